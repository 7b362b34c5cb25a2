"""Thumbs up/down on answers, kept in SQLite (capped) so bad answers can become gold."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from rag.errors import RagError

_LOCK = threading.Lock()


class FeedbackFullError(RagError):
    """The store holds RAG_FEEDBACK_MAX_ENTRIES entries already."""

    status_code = 507


def feedback_path(data_dir: Path) -> Path:
    """The SQLite file under the data dir."""
    return data_dir / "feedback.sqlite3"


def _connect(data_dir: Path) -> sqlite3.Connection:
    data_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(feedback_path(data_dir), timeout=10)
    db.execute(
        "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, at TEXT, entry TEXT NOT NULL)"
    )
    return db


def record(data_dir: Path, entry: dict[str, Any], max_entries: int = 10_000) -> dict[str, Any]:
    """Store one entry (with a timestamp) and return it; FeedbackFullError past the cap."""
    stored = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **entry}
    with _LOCK:
        db = _connect(data_dir)
        try:
            with db:
                (count,) = db.execute("SELECT COUNT(*) FROM feedback").fetchone()
                if count >= max_entries:
                    raise FeedbackFullError(
                        f"the feedback store is full ({max_entries} entries, "
                        "RAG_FEEDBACK_MAX_ENTRIES): export and clear it"
                    )
                cur = db.execute(
                    "INSERT INTO feedback (at, entry) VALUES (?, ?)",
                    (stored["at"], json.dumps(stored, ensure_ascii=False)),
                )
        finally:
            db.close()
    return {"id": cur.lastrowid, **stored}


def entries(data_dir: Path, offset: int = 0, limit: int = 100) -> tuple[list[dict[str, Any]], int]:
    """One page of entries, oldest first, and how many there are in all."""
    if not feedback_path(data_dir).exists():
        return [], 0
    db = _connect(data_dir)
    try:
        (total,) = db.execute("SELECT COUNT(*) FROM feedback").fetchone()
        rows = db.execute(
            "SELECT id, entry FROM feedback ORDER BY id LIMIT ? OFFSET ?", (limit, offset)
        ).fetchall()
    finally:
        db.close()
    return [{"id": i, **json.loads(e)} for i, e in rows], int(total)
