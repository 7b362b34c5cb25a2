"""Where the time goes when real files are indexed: parse (per file, OCR apart), chunk, embed.

Usage: python bench/ingest.py [FOLDER ...]   (default: evals/realdocs/docs)
Parses every file, then chunks and embeds all of them with the real embedder, as `rag index`
does; prints one row per file, the totals, and a last line of JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import cpu_flags
from rag.chunk import chunk_documents
from rag.config import Settings
from rag.embed import make_embedder
from rag.ingest import _files
from rag.parse import ParseError, parse

DEFAULT = Path(__file__).resolve().parent.parent / "evals" / "realdocs" / "docs"


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or [DEFAULT]
    settings = Settings()
    docs, rows = [], []
    for file in [f for folder in folders for f in _files(folder)]:
        t0 = time.perf_counter()
        try:
            parsed = parse(file.name, file.read_bytes())
        except ParseError as exc:
            print(f"{file.name}: {exc}")
            continue
        seconds = time.perf_counter() - t0
        ocr = next((n for n in parsed.notes if n.startswith("read by OCR")), "")
        rows.append({"file": file.name, "chars": len(parsed.text), "parse_s": round(seconds, 2),
                     "pages": len(parsed.pages), "ocr": ocr})  # fmt: skip
        docs.append(parsed.document(file.stem, str(file)))
    t0 = time.perf_counter()
    chunks = chunk_documents(docs, settings.chunk_size, settings.chunk_overlap)
    chunk_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    embedder = make_embedder(settings)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    embedder.embed([c.text for c in chunks])
    embed_s = time.perf_counter() - t0
    print(f"{'file':34} {'chars':>8} {'pages':>5} {'parse s':>8}  OCR")
    for r in rows:
        print(f"{r['file']:34} {r['chars']:>8} {r['pages']:>5} {r['parse_s']:>8}  {r['ocr']}")
    total = {
        "files": len(rows),
        "chars": sum(r["chars"] for r in rows),
        "parse_s": round(sum(r["parse_s"] for r in rows), 2),
        "chunks": len(chunks),
        "chunk_s": round(chunk_s, 2),
        "embedder_load_s": round(load_s, 2),
        "embed_s": round(embed_s, 2),
        "cpu": cpu_flags(),
    }
    print(
        f"total: {total['files']} files, {total['chars']} chars; parse {total['parse_s']} s, "
        f"chunk {total['chunk_s']} s ({total['chunks']} chunks), embed {total['embed_s']} s "
        f"(+ {total['embedder_load_s']} s to load the model); CPU: {total['cpu']}"
    )
    print(json.dumps({"rows": rows, "total": total}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
