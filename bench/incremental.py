"""Incremental `rag index` on BEIR SciFact (5,183 abstracts, one .txt file each).

Usage: python bench/incremental.py [--data ../shared/bench/scifact] [--work .cache/incremental]
1. writes the corpus as files under --work/corpus (once) and syncs the index (a full build the
   first time: timed; later runs find nothing to do);
2. changes one file, then deletes one, then adds one, syncing after each: prints the time and
   how many chunks each sync embedded (only that file's) and reused.
Prints a table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import cpu_flags
from rag.config import Settings
from rag.indexer import sync


def write_corpus(data: Path, corpus: Path) -> int:
    corpus.mkdir(parents=True, exist_ok=True)
    n = 0
    for line in (data / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        path = corpus / f"{d['_id']}.txt"
        if not path.exists():
            path.write_text(f"{d.get('title') or d['_id']}\n\n{d.get('text') or ''}\n")
        n += 1
    return n


def timed_sync(settings: Settings, label: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    r = sync(settings)
    return {
        "step": label,
        "seconds": round(time.perf_counter() - t0, 2),
        "added": len(r.added),
        "changed": len(r.replaced),
        "removed": len(r.removed),
        "embedded_chunks": r.embedded_chunks,
        "reused_chunks": r.reused_chunks,
        "skipped_files": len(r.errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/bench/scifact"))
    parser.add_argument("--work", type=Path, default=Path(".cache/incremental"))
    args = parser.parse_args()
    corpus = args.work / "corpus"
    n = write_corpus(args.data, corpus)
    settings = Settings(sources=[corpus], index_dir=args.work / "index", llm_backend="extractive")
    steps = [timed_sync(settings, f"first sync ({n} files)")]
    files = sorted(corpus.glob("*.txt"))
    changed, removed = files[len(files) // 2], files[len(files) // 3]
    changed.write_text(changed.read_text() + f"\nEdited at {time.time():.0f}.\n")
    steps.append(timed_sync(settings, f"one file changed ({changed.name})"))
    removed.unlink()
    steps.append(timed_sync(settings, f"one file deleted ({removed.name})"))
    (corpus / "zz-added.txt").write_text("Added note\n\nA new abstract about zinc uptake.\n")
    steps.append(timed_sync(settings, "one file added"))
    steps.append(timed_sync(settings, "nothing changed"))
    (corpus / "zz-added.txt").unlink()  # leave the corpus as the data has it, less one file
    for s in steps:
        print(
            f"{s['step']:<40} {s['seconds']:>8.2f} s  embedded {s['embedded_chunks']:>6}  "
            f"reused {s['reused_chunks']:>6}"
        )
    print(json.dumps({"cpu": cpu_flags(), "steps": steps}))


if __name__ == "__main__":
    main()
