"""Index build time, answer latency and memory of the default pipeline on an eval suite.

Usage: python bench/latency.py [--suite seeds|squad2] [--backend extractive] [--limit N]
       [--repeat 3]
Prints a table and, on the last line, one JSON object. `rank_ms` is the sentence ranker (first
stage + the answerability scorer), the part the learned scorer adds to an answer.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from evals.suites import load_suite, suite_settings
from rag.config import Settings
from rag.pipeline import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", choices=("seeds", "squad2"), default="seeds")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", default=None, help="local, hosted or extractive")
    parser.add_argument("--limit", type=int, default=None, help="an even sample of N questions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"llm_backend": args.backend} if args.backend else {}
        suite = load_suite(args.suite)
        t0 = time.perf_counter()
        settings = suite_settings(Settings(**overrides), suite, Path(tmp))
        build_s = time.perf_counter() - t0
        manifest = settings.current_index / "manifest.json"
        n_chunks = json.loads(manifest.read_text())["n_chunks"]
        t0 = time.perf_counter()
        pipeline = Pipeline.load(settings)
        load_s = time.perf_counter() - t0
        questions = [g["question"] for g in suite.select(None, args.limit)]
        pipeline.answer(questions[0])  # warm-up: loads the LLM, if any
        totals, retrieves, ranks, firsts, backends = [], [], [], [], set()
        for _ in range(args.repeat):
            for q in questions:
                a = pipeline.answer(q)
                totals.append(a.timings_ms["total"])
                retrieves.append(a.timings_ms["retrieve"])
                ranks.append(a.timings_ms.get("rank", 0.0))
                if "first_token" in a.timings_ms:
                    firsts.append(a.timings_ms["first_token"])
                backends.add(a.backend)

    totals.sort()
    firsts.sort()
    result = {
        "suite": args.suite,
        "backends": sorted(backends),
        "chunks": n_chunks,
        "index_build_s": round(build_s, 2),
        "pipeline_load_s": round(load_s, 2),
        "queries": len(totals),
        "answer_ms_p50": round(statistics.median(totals), 1),
        "answer_ms_p90": round(totals[min(len(totals) - 1, int(0.9 * len(totals)))], 1),
        "answer_ms_p99": round(totals[min(len(totals) - 1, int(0.99 * len(totals)))], 1),
        "retrieve_ms_p50": round(statistics.median(retrieves), 1),
        "rank_ms_p50": round(statistics.median(ranks), 1),
        "first_token_ms_p50": round(statistics.median(firsts), 1) if firsts else None,
        "first_token_ms_p90": round(firsts[int(0.9 * len(firsts))], 1) if firsts else None,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    for key, value in result.items():
        print(f"{key:<18} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
