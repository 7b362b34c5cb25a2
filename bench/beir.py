"""BEIR benchmark of the project's own indexing and retrieval (dense, BM25, hybrid).

Usage: python bench/beir.py --data ../shared/bench/scifact --split train [--modes dense,bm25,hybrid]
The index is built with rag's own chunking, embedding and store code and cached under
--cache-dir, keyed by the corpus hash and the index settings. Metrics follow trec_eval
(ir_measures over pytrec_eval). Prints a table, then one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import ir_measures
import numpy as np
from ir_measures import RR, R, nDCG

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.config import Settings
from rag.embed import make_embedder
from rag.pipeline import index_documents
from rag.retrieve import Retriever
from rag.store import Store, load_store, make_index
from rag.types import Document

MEASURES = [nDCG @ 10, R @ 10, R @ 100, RR @ 10]
DOCS_PER_QUERY = 100


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_beir(folder: Path, split: str) -> tuple[list[Document], dict[str, str], dict]:
    """Documents, {query id: text} restricted to judged queries, and qrels {qid: {did: rel}}."""
    docs = [
        Document(str(d["_id"]), d.get("title") or "", d.get("text") or "")
        for d in read_jsonl(folder / "corpus.jsonl")
    ]
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels" / f"{split}.tsv").read_text().splitlines()[1:]:
        qid, did, rel = line.split("\t")[:3]
        qrels.setdefault(qid, {})[did] = int(rel)
    queries = {
        str(q["_id"]): q["text"]
        for q in read_jsonl(folder / "queries.jsonl")
        if str(q["_id"]) in qrels
    }
    return docs, queries, qrels


def cached_store(docs: list[Document], settings: Settings, cache: Path) -> tuple[Store, float]:
    """Load the cached build for this corpus + settings, or build it (timed)."""
    key = hashlib.sha256()
    for d in docs:
        key.update(f"{d.doc_id}\0{d.title}\0{d.text}\0".encode())
    key.update(
        json.dumps(
            [
                settings.embedder,
                settings.embed_runtime,
                settings.chunk_size,
                settings.chunk_overlap,
                settings.title_in_chunks,
                settings.hnsw_min_vectors,
            ]
        ).encode()
    )
    index_dir = cache / key.hexdigest()[:16]
    embedder = make_embedder(settings)
    settings = settings.model_copy(update={"index_dir": index_dir})
    build_s = float("nan")
    if not (settings.current_index / "manifest.json").exists():
        t0 = time.perf_counter()
        index_documents(settings, docs, embedder, ["beir"])
        build_s = time.perf_counter() - t0
    else:
        build_s = json.loads((index_dir / "build_seconds.json").read_text())["seconds"]
    (index_dir / "build_seconds.json").write_text(json.dumps({"seconds": build_s}))
    return load_store(settings.current_index, embedder.name, embedder.dim), build_s


def run_mode(store: Store, settings: Settings, mode: str, queries: dict[str, str]) -> tuple:
    """Doc-level run (best chunk per doc) and per-query latencies in ms."""
    depth = DOCS_PER_QUERY * 3
    settings = settings.model_copy(
        update={"retrieval_mode": mode, "candidates": max(settings.candidates, depth)}
    )
    retriever = Retriever(store, make_embedder(settings), settings)
    run, latencies = [], []
    for qid, text in queries.items():
        t0 = time.perf_counter()
        hits = retriever.search(text, depth)
        latencies.append((time.perf_counter() - t0) * 1000)
        seen: dict[str, float] = {}
        for h in hits:  # best-first, so the first chunk of a doc carries its score
            if h.chunk.doc_id not in seen:
                seen[h.chunk.doc_id] = float(len(hits) - h.rank)
            if len(seen) == DOCS_PER_QUERY:
                break
        run += [ir_measures.ScoredDoc(qid, did, score) for did, score in seen.items()]
    return run, latencies


def hnsw_recall(store: Store, settings: Settings, queries: dict[str, str], k: int = 10) -> float:
    """Recall@k of an HNSW index over the same vectors against the exact Flat search."""
    vectors = store.index.reconstruct_n(0, store.index.ntotal)
    approx, _ = make_index(vectors, hnsw_min_vectors=1)
    approx.hnsw.efSearch = 128
    q = make_embedder(settings).embed(list(queries.values()))
    _, exact = store.index.search(q, k)
    _, found = approx.search(q, k)
    shares = []
    for a, b in zip(exact, found, strict=True):
        truth = {int(r) for r in a if r >= 0}  # -1 pads a result shorter than k
        shares.append(len(truth & {int(r) for r in b}) / max(len(truth), 1))
    return float(np.mean(shares))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="BEIR folder")
    parser.add_argument("--split", default="test")
    parser.add_argument("--modes", default="dense,bm25,hybrid")
    parser.add_argument("--cache-dir", type=Path, default=Path(".cache/beir"))
    parser.add_argument("--chunk-size", type=int, default=None)
    args = parser.parse_args()

    overrides = {"chunk_size": args.chunk_size} if args.chunk_size else {}
    settings = Settings(**overrides)
    docs, queries, qrels = load_beir(args.data, args.split)
    store, build_s = cached_store(docs, settings, args.cache_dir)
    judged = [ir_measures.Qrel(q, d, r) for q, rels in qrels.items() for d, r in rels.items()]
    result: dict[str, Any] = {
        "data": str(args.data),
        "split": args.split,
        "documents": len(docs),
        "chunks": len(store.chunks),
        "queries": len(queries),
        "index_type": store.manifest["index_type"],
        "index_build_s": round(build_s, 1),
        "passages_per_s": round(len(store.chunks) / build_s, 1) if build_s == build_s else None,
        "settings": {
            k: getattr(settings, k)
            for k in (
                "embed_runtime",
                "chunk_size",
                "chunk_overlap",
                "rrf_k",
                "dense_weight",
                "bm25_weight",
                "title_in_chunks",
            )
        },
        "modes": {},
    }
    heads = ("nDCG@10", "R@10", "R@100", "MRR@10", "p50 ms", "p99 ms")
    print(f"{'mode':<8} " + " ".join(f"{h:>8}" for h in heads))
    for mode in args.modes.split(","):
        run, lat = run_mode(store, settings, mode, queries)
        agg = ir_measures.calc_aggregate(MEASURES, judged, run)
        row = {
            "ndcg@10": round(agg[nDCG @ 10], 4),
            "recall@10": round(agg[R @ 10], 4),
            "recall@100": round(agg[R @ 100], 4),
            "mrr@10": round(agg[RR @ 10], 4),
            "latency_ms_p50": round(statistics.median(lat), 1),
            "latency_ms_p99": round(percentile(lat, 0.99), 1),
        }
        result["modes"][mode] = row
        print(
            f"{mode:<8} {row['ndcg@10']:>8.4f} {row['recall@10']:>7.4f} {row['recall@100']:>7.4f}"
            f" {row['mrr@10']:>7.4f} {row['latency_ms_p50']:>7.1f} {row['latency_ms_p99']:>7.1f}"
        )
    result["hnsw_recall@10_vs_flat"] = round(hnsw_recall(store, settings, queries), 4)
    print(
        f"index: {result['chunks']} chunks, {result['index_type']}, built in "
        f"{result['index_build_s']} s; HNSW recall@10 vs flat {result['hnsw_recall@10_vs_flat']}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
