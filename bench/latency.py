"""Index build time, answer latency and memory of the default pipeline on an eval suite.

Usage: python bench/latency.py [--suite seeds|squad2] [--backend extractive] [--limit N]
       [--repeat 3]
Prints a table and, on the last line, one JSON object. `rank_ms` is the sentence ranker (first
stage + the answerability scorer), the part the learned scorer adds to an answer. With an LLM:
`draft_ms` is the first content (the verified extractive draft), `check_ms` what the local model's
answerability check adds after it (`rag.judge`), `first_token_ms` the LLM's first token,
`llm_answer_ms` whole answers where the LLM wrote (value questions that pass the check),
`prompt_tokens` the user turn it read (the instructions are cached), and the model's prompt and
generation speed measured at load. CPU flags are printed: timings depend on them.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

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
        pipeline.backends.warm()  # loads (and measures) the LLM, if any
        pipeline.ranker.warm()  # sentence vectors, as a server does in the background at start
        pipeline.answer(questions[0])
        totals, retrieves, ranks, firsts, backends = [], [], [], [], set()
        drafts, llm_totals, prompt_tokens, checks = [], [], [], []
        local = pipeline.backends.get("local") if args.backend == "local" else None
        for _ in range(args.repeat):
            for q in questions:
                a = pipeline.answer(q)
                totals.append(a.timings_ms["total"])
                retrieves.append(a.timings_ms["retrieve"])
                ranks.append(a.timings_ms.get("rank", 0.0))
                if "draft" in a.timings_ms:
                    drafts.append(a.timings_ms["draft"])
                if "judge" in a.timings_ms:  # when the check ended, from the start
                    checks.append(a.timings_ms["judge"] - a.timings_ms["draft"])
                if "first_token" in a.timings_ms:
                    firsts.append(a.timings_ms["first_token"])
                    llm_totals.append(a.timings_ms["total"])
                    if local is not None and not isinstance(local, Exception):
                        prompt_tokens.append(_prompt_tokens(pipeline, local, q))
                backends.add(a.backend)

    speed = getattr(local, "speed", None)
    result = {
        "suite": args.suite,
        "backends": sorted(backends),
        "chunks": n_chunks,
        "index_build_s": round(build_s, 2),
        "pipeline_load_s": round(load_s, 2),
        "queries": len(totals),
        "retrieve_ms_p50": round(statistics.median(retrieves), 1),
        "rank_ms_p50": round(statistics.median(ranks), 1),
        "draft_ms_p50": _pct(drafts, 0.5),
        "draft_ms_p90": _pct(drafts, 0.9),
        "checked": len(checks),
        "check_ms_p50": _pct(checks, 0.5),
        "check_ms_p90": _pct(checks, 0.9),
        "first_token_ms_p50": _pct(firsts, 0.5),
        "first_token_ms_p90": _pct(firsts, 0.9),
        "llm_answers": len(llm_totals),
        "llm_answer_ms_p50": _pct(llm_totals, 0.5),
        "llm_answer_ms_p90": _pct(llm_totals, 0.9),
        "prompt_tokens_p50": _pct(prompt_tokens, 0.5),
        "prompt_tokens_max": max(prompt_tokens) if prompt_tokens else None,
        "prompt_tok_per_s": round(speed.prompt_tps, 1) if speed else None,
        "gen_tok_per_s": round(speed.gen_tps, 1) if speed else None,
        "cpu_flags": _cpu_flags(),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    result["answer_ms_p50"] = _pct(totals, 0.5)
    result["answer_ms_p90"] = _pct(totals, 0.9)
    result["answer_ms_p99"] = _pct(totals, 0.99)
    for key, value in result.items():
        print(f"{key:<18} {value}")
    print(json.dumps(result))


def _pct(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank, the median for 0.5), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if q == 0.5:
        return round(statistics.median(ordered), 1)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def _prompt_tokens(pipeline: Pipeline, local: Any, question: str) -> int:
    """Tokens of the user turn the local model read for `question` (what the cache can't skip)."""
    from rag.prompt import fit, messages
    from rag.question import analyse

    passages = pipeline.passages(question, pipeline.settings.top_k)
    ranked = pipeline.ranker.rank(analyse(question), passages)
    shown = fit(passages, ranked, question, pipeline.settings.llm_prompt_tokens)
    user = messages(question, shown)[1]["content"]
    return len(local.engine.llm.tokenize(user.encode(), add_bos=False))


def _cpu_flags() -> str:
    """The SIMD flags that decide llama.cpp's speed (AVX2, AVX-512 ...)."""
    try:
        flags = next(
            line
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
        ).split()
    except (OSError, StopIteration):
        return "unknown"
    keep = ("avx2", "avx512f", "avx512_vnni", "avx512vnni", "avx_vnni", "fma", "f16c")
    return " ".join(f for f in keep if f in flags) or "no AVX2"


if __name__ == "__main__":
    main()
