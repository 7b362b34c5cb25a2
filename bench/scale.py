"""How vector search cost grows with the corpus: 10k, 100k, 1M chunks; FAISS Flat, FAISS HNSW,
Milvus Lite.

Usage: python bench/scale.py [--sizes 10000,100000,1000000] [--base-index .cache/incremental/index]
       [--milvus-max 100000] [--queries 200] [--out bench/scale]
Vectors: the real MiniLM vectors of SciFact's chunks (17,263, from an index `bench/incremental.py`
built), repeated with perturbation to reach each size: each synthetic vector is a real one plus
Gaussian noise (cosine ~0.9 to its source), renormalised, so the corpus keeps the clusters of real
text. Queries: the MiniLM vectors of SciFact's first `--queries` questions (real queries). Without
the base index, random unit vectors (an easier-to-measure but harder-to-search worst case; say
so). For each size and index: build time, size on disk, memory of the index, query latency p50 /
p99 (one query at a time, k=100 as the retriever asks), recall@10 against exact search. Prints a
table, writes `<out>.json` and `<out>.png`; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import cpu_flags

K = 100  # what the retriever asks the dense index for (RAG_CANDIDATES)


def base_vectors(index: Path) -> tuple[np.ndarray, str]:
    path = index / "current" / "vectors.faiss"
    if path.exists():
        flat = faiss.read_index(str(path))
        return flat.reconstruct_n(0, flat.ntotal), f"SciFact MiniLM vectors ({flat.ntotal})"
    rng = np.random.default_rng(0)
    v = rng.standard_normal((20_000, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True), "random unit vectors (no base index)"


def query_vectors(n: int, data: Path) -> np.ndarray:
    from rag.config import Settings
    from rag.embed import make_embedder

    lines = (data / "queries.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    texts = [json.loads(line)["text"] for line in lines]
    return make_embedder(Settings(embedder="minilm")).embed(texts).astype(np.float32)


def corpus(base: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    """`n` vectors: real ones plus noise (cosine ~0.9 to their source), unit length."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    step = 100_000
    for at in range(0, n, step):
        m = min(step, n - at)
        src = base[rng.integers(0, len(base), m)]
        noise = rng.standard_normal(src.shape).astype(np.float32) * (0.48 / np.sqrt(base.shape[1]))
        v = src + noise
        out[at : at + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def timed_queries(search: Any, queries: np.ndarray) -> tuple[list[float], np.ndarray]:
    lat, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        rows = search(q.reshape(1, -1))
        lat.append((time.perf_counter() - t0) * 1000)
        found.append(rows[0][:10])
    return lat, np.asarray(found)


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)]))


def faiss_case(name: str, index: Any, vectors: np.ndarray, queries: np.ndarray) -> dict[str, Any]:
    t0 = time.perf_counter()
    index.add(vectors)
    build = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.faiss"
        faiss.write_index(index, str(path))
        disk = path.stat().st_size
    lat, found = timed_queries(lambda q: index.search(q, K)[1], queries)
    return {
        "index": name,
        "build_s": build,
        "disk_mb": disk / 2**20,
        "memory_mb": disk / 2**20,
        "lat": lat,
        "found": found,
    }


def milvus_case(vectors: np.ndarray, queries: np.ndarray, hnsw: bool) -> dict[str, Any]:
    from rag import milvus

    with tempfile.TemporaryDirectory() as tmp:
        uri = str(Path(tmp) / "scale.db")
        t0 = time.perf_counter()
        entry = milvus.write_vectors(uri, f"scale-{len(vectors)}", vectors, 0 if hnsw else 10**12)
        build = time.perf_counter() - t0
        index = milvus.MilvusVectors(entry, vectors.shape[1], len(vectors))
        lat, found = timed_queries(lambda q: index.search(q, K)[1], queries)
        disk = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        milvus.drop(entry)
    return {
        "index": f"Milvus Lite {'HNSW' if hnsw else 'FLAT'}",
        "build_s": build,
        "disk_mb": disk / 2**20,
        "memory_mb": None,
        "lat": lat,
        "found": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--base-index", type=Path, default=Path(".cache/incremental/index"))
    parser.add_argument("--data", type=Path, default=Path("../shared/bench/scifact"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--milvus-max", type=int, default=100_000)
    parser.add_argument("--ef-construction", type=int, default=200, help="as rag/store.py builds")
    parser.add_argument("--ef-search", default="64,128,256,512,1024")
    parser.add_argument("--out", type=Path, default=Path("bench/scale"))
    args = parser.parse_args()
    faiss.omp_set_num_threads(os.cpu_count() or 2)
    base, source = base_vectors(args.base_index)
    queries = query_vectors(args.queries, args.data)
    rows: list[dict[str, Any]] = []
    for n in [int(s) for s in args.sizes.split(",")]:
        vectors = corpus(base, n)
        dim = vectors.shape[1]
        cases = [faiss_case("FAISS Flat", faiss.IndexFlatIP(dim), vectors, queries)]
        exact = cases[0]["found"]
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = args.ef_construction
        case = faiss_case("FAISS HNSW M=32", hnsw, vectors, queries)
        for ef in [int(e) for e in args.ef_search.split(",")]:
            hnsw.hnsw.efSearch = ef
            lat, found = timed_queries(lambda q, h=hnsw: h.search(q, K)[1], queries)
            cases.append({**case, "index": f"FAISS HNSW M=32 ef={ef}", "lat": lat, "found": found})
        if n <= args.milvus_max:
            cases.append(milvus_case(vectors, queries, hnsw=False))
        for c in cases:
            row = {
                "n": n,
                "index": c["index"],
                "build_s": round(c["build_s"], 2),
                "disk_mb": round(c["disk_mb"], 1),
                "memory_mb": round(c["memory_mb"], 1) if c["memory_mb"] else None,
                "p50_ms": round(statistics.median(c["lat"]), 2),
                "p99_ms": round(sorted(c["lat"])[int(0.99 * len(c["lat"]))], 2),
                "recall_at_10": round(recall(c["found"], exact), 4),
            }
            rows.append(row)
            print(
                f"{n:>9,} {row['index']:<26} build {row['build_s']:>8.1f} s  disk "
                f"{row['disk_mb']:>8.1f} MB  p50 {row['p50_ms']:>7.2f} ms  p99 "
                f"{row['p99_ms']:>7.2f} ms  recall@10 {row['recall_at_10']:.3f}",
                flush=True,
            )
        del vectors
    result = {"cpu": cpu_flags(), "vectors": source, "queries": len(queries), "k": K, "rows": rows}
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    plot(rows, args.out.with_suffix(".png"))
    print(json.dumps(result))


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name in dict.fromkeys(r["index"] for r in rows):
        mine = [r for r in rows if r["index"] == name]
        sizes = [r["n"] for r in mine]
        left.plot(sizes, [r["p99_ms"] for r in mine], marker="o", label=name)
        right.plot(sizes, [r["disk_mb"] for r in mine], marker="o", label=name)
    for ax, label in ((left, "query p99 (ms, k=100, 2 cores)"), (right, "index size (MB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
