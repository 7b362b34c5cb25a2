"""Load on a real `rag serve` (loopback only): N clients asking back to back for S seconds.

Usage: python bench/load.py [--clients 32] [--seconds 60] [--backend extractive|local|mixed]
       [--stream] [--index-dir index] [--url http://127.0.0.1:8000] [--warmup-s 15]
`--stream` asks `/api/ask/stream` and counts a stream that ends without its final `answer`
event (a cut connection) as status "cut"; `mixed` alternates local and extractive questions.
A warm-up of the same load (not counted) comes first, so RSS compares a warm server with
itself. Clients run in 4 processes (threads of one process would measure the client's GIL);
questions are the seeds gold questions (dev and test). Prints throughput, p50/p99 latency,
errors by status, and the server's RSS before/after (sampled every 5 s); the last line is one
JSON object. The server runs with RAG_RATE_LIMIT_PER_MINUTE=0 (load from one address, on
purpose).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.llm_load import rss_mb, server_pid
from evals.suites import load_suite
from tests.servers import rag_server

PROCESSES = 4


def ask(http: httpx.Client, url: str, body: dict[str, Any], stream: bool) -> int | str:
    """The status of one question; a stream must end with its `answer` event, else "cut"."""
    if not stream:
        return http.post(f"{url}/api/ask", json=body).status_code
    with http.stream("POST", f"{url}/api/ask/stream", json=body) as r:
        if r.status_code != 200:
            return r.status_code
        try:
            text = "".join(r.iter_text())
        except httpx.HTTPError:
            return "cut"
    return 200 if "event: answer" in text else "cut"


def client_process(
    url: str,
    questions: list[str],
    threads: int,
    seconds: float,
    backend: str,
    out: Any,
    stream: bool = False,
) -> None:
    results: list[tuple[float, int | str]] = []
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        k = offset
        with httpx.Client(timeout=120) as http:
            while time.monotonic() < stop:
                chosen = backend
                if backend == "mixed":
                    chosen = "local" if k % 2 else "extractive"
                body = {"question": questions[k % len(questions)], "backend": chosen}
                k += 7
                t0 = time.perf_counter()
                status: int | str
                try:
                    status = ask(http, url, body, stream)
                except httpx.HTTPError:
                    status = -1
                results.append(((time.perf_counter() - t0) * 1000, status))

    pool = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(results)


def run(
    url: str, clients: int, seconds: float, backend: str, stream: bool = False
) -> dict[str, Any]:
    questions = [g["question"] for g in load_suite("seeds").items]
    pid = server_pid(url.rsplit(":", 1)[1])
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    per = [clients // PROCESSES + (1 if i < clients % PROCESSES else 0) for i in range(PROCESSES)]
    procs = [
        ctx.Process(
            target=client_process,
            args=(url, questions[i:] + questions[:i], n, seconds, backend, out, stream),
        )
        for i, n in enumerate(per)
        if n
    ]
    rss = [rss_mb(pid)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    results: list[tuple[float, int | str]] = []
    pending = len(procs)
    while pending:
        try:
            results += out.get(timeout=5)
            pending -= 1
        except Exception:
            pass
        rss.append(rss_mb(pid))
    wall = time.monotonic() - t0
    for p in procs:
        p.join()
    ok = sorted(ms for ms, status in results if status == 200)
    errors: dict[str, int] = {}
    for _, status in results:
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
    return {
        "backend": backend,
        "stream": stream,
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(results),
        "answers_per_s": round(len(ok) / wall, 2),
        "errors": errors,
        "p50_ms": round(statistics.median(ok), 1) if ok else None,
        "p99_ms": round(ok[min(len(ok) - 1, int(0.99 * len(ok)))], 1) if ok else None,
        "rss_mb_before": round(rss[0], 1),
        "rss_mb_after": round(rss[-1], 1),
        "rss_change_pct": round(100 * (rss[-1] - rss[0]) / rss[0], 1) if rss[0] else None,
        "cpu_flags": cpu_flags(),
    }


def cpu_flags() -> str:
    flags = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = line
            break
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx_vnni")
    return f"{os.cpu_count()} cores, " + " ".join(f for f in wanted if f" {f}" in flags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--backend", choices=("extractive", "local", "mixed"), default="extractive")
    parser.add_argument("--stream", action="store_true", help="ask /api/ask/stream")
    parser.add_argument("--index-dir", default=os.environ.get("RAG_INDEX_DIR", "index"))
    parser.add_argument("--url", default=None, help="a running server instead of starting one")
    parser.add_argument("--warmup-s", type=float, default=15, help="uncounted load first")
    args = parser.parse_args()
    if args.url:
        result = run(args.url.rstrip("/"), args.clients, args.seconds, args.backend, args.stream)
    else:
        env = {
            # mixed: a server with the local model that also serves extractive questions
            "RAG_LLM_BACKEND": "local" if args.backend == "mixed" else args.backend,
            "RAG_INDEX_DIR": args.index_dir,
            "RAG_RATE_LIMIT_PER_MINUTE": "0",
        }
        with rag_server(env, timeout_s=300) as url:
            httpx.post(f"{url}/api/ask", json={"question": "warm up?"}, timeout=120)
            if args.warmup_s:  # the same load, not counted: thread stacks, ONNX arenas, caches
                run(url, args.clients, args.warmup_s, args.backend, args.stream)
            result = run(url, args.clients, args.seconds, args.backend, args.stream)
    for key, value in result.items():
        print(f"{key:<16} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
