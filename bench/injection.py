"""Text addressed to an AI inside documents: how much of the injection corpus is caught (dev and
test apart), and how many ordinary sentences are flagged (false positives) on SciFact, SQuAD 2.0
and the realdocs files (code included).

Usage: python bench/injection.py [--scifact ../shared/bench/scifact/corpus.jsonl]
Prints a table and a last line of JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evals.suites import load_suite, squad2_path
from rag.chunk import document_sentences, sentence_spans
from rag.ingest import load_documents
from rag.injection import addresses_assistant

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "evals" / "injection" / "variants.jsonl"


def variants() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def caught(split: str) -> tuple[int, int, list[str]]:
    rows = [v for v in variants() if v["split"] == split]
    missed = [v["text"] for v in rows if not addresses_assistant(v["text"])]
    return len(rows) - len(missed), len(rows), missed


def sentences(corpus: str, scifact: Path) -> list[str]:
    if corpus == "scifact":
        out = []
        for line in scifact.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text") or ""
            out += [text[s:e] for s, e in sentence_spans(text)]
        return out
    if corpus == "squad2":
        docs = load_suite("squad2").documents
    else:
        docs = load_documents([ROOT / "evals" / "realdocs" / "docs"])
    return [d.text[s:e] for d in docs for s, e in document_sentences(d)]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--scifact", type=Path, default=ROOT.parent / "shared/bench/scifact/corpus.jsonl"
    )
    args = ap.parse_args(argv)
    out: dict = {}
    for split in ("dev", "test"):
        hit, n, missed = caught(split)
        out[f"caught_{split}"] = f"{hit}/{n}"
        print(f"injection corpus {split}: caught {hit}/{n}")
        for text in missed:
            print(f"  missed: {text}")
    for corpus in ("scifact", "squad2", "realdocs"):
        if corpus == "squad2" and not squad2_path().is_file():
            continue
        if corpus == "scifact" and not args.scifact.is_file():
            continue
        units = sentences(corpus, args.scifact)
        flagged = [u for u in units if addresses_assistant(u)]
        out[f"false_positives_{corpus}"] = f"{len(flagged)}/{len(units)}"
        print(f"false positives {corpus}: {len(flagged)}/{len(units)}")
        for text in flagged[:10]:
            print(f"  flagged: {text[:160]}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
