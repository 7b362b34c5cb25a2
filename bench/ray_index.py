"""Bulk indexing throughput: one process vs Ray workers, on SciFact abstracts (real MiniLM).

Usage: python bench/ray_index.py [--files 1000] [--workers 2] [--data ../shared/bench/scifact]
Writes the first --files abstracts as files, then times a full `rag index --rebuild` in one
process and on --workers local Ray workers (Ray start-up included, and reported apart). Prints a
table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import cpu_flags
from rag.config import Settings
from rag.indexer import sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("../shared/bench/scifact"))
    args = parser.parse_args()
    import ray

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        lines = (args.data / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
        for line in lines[: args.files]:
            d = json.loads(line)
            (corpus / f"{d['_id']}.txt").write_text(f"{d.get('title') or d['_id']}\n\n{d['text']}")
        single = Settings(sources=[corpus], index_dir=Path(tmp) / "single")
        t0 = time.perf_counter()
        one = sync(single, rebuild=True)
        single_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
        start_s = time.perf_counter() - t0
        on_ray = single.model_copy(
            update={"index_dir": Path(tmp) / "ray", "index_workers": args.workers}
        )
        t0 = time.perf_counter()
        many = sync(on_ray, rebuild=True)
        ray_s = time.perf_counter() - t0
        ray.shutdown()
    chunks = one.embedded_chunks
    result = {
        "cpu": cpu_flags(),
        "files": args.files,
        "chunks": chunks,
        "single_process_s": round(single_s, 1),
        "single_chunks_per_s": round(chunks / single_s, 1),
        "ray_workers": args.workers,
        "ray_start_s": round(start_s, 1),
        "ray_index_s": round(ray_s, 1),
        "ray_chunks_per_s": round(many.embedded_chunks / ray_s, 1),
    }
    for key, value in result.items():
        print(f"{key:<22} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
