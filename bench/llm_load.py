"""The local LLM under load, against a real `rag serve` on 127.0.0.1 (loopback traffic only).

Usage: python bench/llm_load.py [--steady-s 60] [--burst 44] [--index-dir index]
1. steady: 4 clients ask local questions back to back for --steady-s seconds; counts errors and
   samples the server's RSS (it should stay flat).
2. burst: --burst concurrent local streams plus one stream aborted after its first bytes, while
   /healthz and extractive answers are timed; each local request ends answered by the LLM, with
   the draft (cut at its deadline), or refused with 503 + Retry-After.
Prints a table; the last line is one JSON object.
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

from evals.suites import load_suite
from tests.servers import rag_server


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_pid(port: str) -> int:
    """The pid of the process listening on the port (the uvicorn server)."""
    import subprocess

    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    return int(out.stdout.split("pid=")[1].split(",")[0])


def steady(url: str, questions: list[str], seconds: float, pid: int) -> dict[str, Any]:
    stop = time.monotonic() + seconds
    codes: list[int] = []
    backends: list[str] = []
    rss: list[float] = [rss_mb(pid)]

    def client(i: int) -> None:
        k = i
        while time.monotonic() < stop:
            q = questions[k % len(questions)]
            k += 4
            try:
                r = httpx.post(f"{url}/api/ask", json={"question": q}, timeout=120)
                codes.append(r.status_code)
                if r.status_code == 200:
                    backends.append(r.json()["backend"])
            except httpx.HTTPError:
                codes.append(-1)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(5)
        rss.append(rss_mb(pid))
    return {
        "steady_requests": len(codes),
        "steady_errors": sum(c != 200 for c in codes),
        "steady_local_answers": backends.count("local"),
        "rss_mb_start": round(rss[0], 1),
        "rss_mb_end": round(rss[-1], 1),
        "rss_mb_max": round(max(rss), 1),
        "rss_mb_every_5s": [round(r) for r in rss],
    }


def burst(url: str, questions: list[str], n: int) -> dict[str, Any]:
    outcomes: list[str] = []

    def local(i: int) -> None:
        body = {"question": questions[i % len(questions)], "backend": "local"}
        try:
            with httpx.stream("POST", f"{url}/api/ask/stream", json=body, timeout=180) as r:
                if r.status_code == 503:
                    outcomes.append("503" if r.headers.get("retry-after") else "503-no-retry")
                    return
                text = r.read().decode()
            final = json.loads(text.rsplit("event: answer\ndata: ", 1)[1].split("\n", 1)[0])
            cut = any("deadline" in w for w in final["warnings"])
            outcomes.append("draft-at-deadline" if cut else f"answered-{final['backend']}")
        except Exception as exc:  # counted, not raised: the bench reports every outcome
            outcomes.append(f"error {type(exc).__name__}")

    def aborted() -> None:
        body = {"question": questions[0], "backend": "local"}
        with httpx.stream("POST", f"{url}/api/ask/stream", json=body, timeout=60) as r:
            for _ in r.iter_bytes():
                break

    threads = [threading.Thread(target=aborted)]
    threads += [threading.Thread(target=local, args=(i,)) for i in range(n)]
    # /healthz and extractive answers are timed from another process with one kept-alive
    # connection: timed from this one, the 45 client threads' GIL and a fresh client per call
    # (its TLS context) were measured, not the server.
    ctx = multiprocessing.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    prober = ctx.Process(target=probe, args=(url, questions, stop, results))
    prober.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    health, extractive = results.get(timeout=60)
    prober.join()
    return {
        "burst": n,
        "outcomes": {o: outcomes.count(o) for o in sorted(set(outcomes))},
        "healthz_n": len(health),
        "healthz_ms_p50": round(statistics.median(health), 1),
        "healthz_ms_p99": percentile(health, 0.99),
        "healthz_ms_max": round(max(health), 1),
        "extractive_n": len(extractive),
        "extractive_ms_p50": round(statistics.median(extractive), 1),
        "extractive_ms_p99": percentile(extractive, 0.99),
        "extractive_ms_max": round(max(extractive), 1),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def probe(url: str, questions: list[str], stop: Any, results: Any) -> None:
    """Time /healthz and an extractive answer every 0.1 s until `stop` is set."""
    health: list[float] = []
    extractive: list[float] = []
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            client.get(f"{url}/healthz")
            health.append((time.perf_counter() - t0) * 1000)
            q = questions[len(extractive) % len(questions)]
            t0 = time.perf_counter()
            client.post(f"{url}/api/ask", json={"question": q, "backend": "extractive"})
            extractive.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.1)
    results.put((health, extractive))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steady-s", type=float, default=60)
    parser.add_argument("--burst", type=int, default=44)
    parser.add_argument("--index-dir", default=os.environ.get("RAG_INDEX_DIR", "index"))
    parser.add_argument(
        "--url",
        default=None,
        help="a running server (started with RAG_LLM_BACKEND=local) instead of starting one; "
        "lets the clients run at another priority or on other cores than the server",
    )
    args = parser.parse_args()
    questions = [
        g["question"] for g in load_suite("seeds").select("test") if g["kind"] != "unanswerable"
    ]
    env = {
        "RAG_LLM_BACKEND": "local",
        "RAG_INDEX_DIR": args.index_dir,
        "RAG_RATE_LIMIT_PER_MINUTE": "0",  # load from one address, on purpose
    }
    if args.url:
        url = args.url.rstrip("/")
        pid = server_pid(url.rsplit(":", 1)[1])
        result = {**steady(url, questions, args.steady_s, pid), **burst(url, questions, args.burst)}
    else:
        with rag_server(env, timeout_s=300) as url:
            pid = server_pid(url.rsplit(":", 1)[1])
            result = {
                **steady(url, questions, args.steady_s, pid),
                **burst(url, questions, args.burst),
            }
    for key, value in result.items():
        print(f"{key:<22} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
