"""Thumbs up/down on answers, appended to a JSON-lines file so bad answers can become gold."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()


def feedback_path(data_dir: Path) -> Path:
    """The JSON-lines file under the data dir."""
    return data_dir / "feedback.jsonl"


def record(data_dir: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Append one entry (with a timestamp) and return it."""
    stored = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **entry}
    path = feedback_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(stored, ensure_ascii=False) + "\n")
    return stored


def entries(data_dir: Path) -> list[dict[str, Any]]:
    """Every stored entry, oldest first; unreadable lines are skipped."""
    path = feedback_path(data_dir)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
