"""Vectors in Milvus (`RAG_STORE=milvus`): Milvus Lite (a local file) or a Milvus server/cluster.

`MilvusVectors` offers the small part of the FAISS index API that `rag.store.Store` uses
(`ntotal`, `d`, `search`, `reconstruct`, `reconstruct_n`), so retrieval, ranking and incremental
commits work unchanged. Each build writes its own collection and the `current` link still decides
which build is live, so a commit stays atomic; cleaning up a build drops its collection. BM25
stays in bm25s beside it (the build folder), fused as with FAISS: Milvus Lite has no full-text
search to lean on, and one lexical implementation keeps answers identical across stores.

Milvus Lite lets one process open a database file: while `rag serve` holds it, add documents
through the upload API (or use a Milvus server URI, which any number of processes share).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import numpy as np

from rag.errors import IndexMismatchError

_CLIENTS: dict[str, Any] = {}
_LOCK = threading.Lock()
_BATCH = 1000
_EF_SEARCH = 256  # as rag/store.py


def client(uri: str) -> Any:
    """One MilvusClient per URI per process (Milvus Lite allows one opener per file)."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    with _LOCK:
        if uri not in _CLIENTS:
            try:
                _CLIENTS[uri] = MilvusClient(uri)
            except MilvusException as exc:
                raise IndexMismatchError(
                    f"cannot open Milvus at {uri} ({exc.message}): a Milvus Lite file is open "
                    "in another process (a running `rag serve`? add documents through its upload "
                    "API), or the server is unreachable"
                ) from exc
        return _CLIENTS[uri]


def collection_name(build: str) -> str:
    return "rag_" + hashlib.sha1(build.encode()).hexdigest()[:20]


def write_vectors(uri: str, build: str, vectors: np.ndarray, hnsw_min: int) -> dict[str, Any]:
    """A new collection holding `vectors` (row i = chunk i); returns the manifest entry."""
    from pymilvus import DataType

    c = client(uri)
    name = collection_name(build)
    if c.has_collection(name):
        c.drop_collection(name)
    dim = int(vectors.shape[1])
    schema = c.create_schema(auto_id=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    params = c.prepare_index_params()
    hnsw = vectors.shape[0] >= hnsw_min
    if hnsw:
        params.add_index(
            "vec", index_type="HNSW", metric_type="IP", params={"M": 32, "efConstruction": 200}
        )
    else:
        params.add_index("vec", index_type="FLAT", metric_type="IP")
    c.create_collection(name, schema=schema, index_params=params)
    for at in range(0, vectors.shape[0], _BATCH):
        rows = vectors[at : at + _BATCH]
        c.insert(name, [{"row": at + i, "vec": v.tolist()} for i, v in enumerate(rows)])
    c.flush(name)
    c.load_collection(name)
    return {
        "kind": "milvus",
        "uri": uri,
        "collection": name,
        "index_type": "milvus-HNSW" if hnsw else "milvus-FLAT",
    }


def drop(entry: dict[str, Any]) -> None:
    """Drop a build's collection (cleanup); a missing one is fine."""
    try:
        c = client(entry["uri"])
        if c.has_collection(entry["collection"]):
            c.drop_collection(entry["collection"])
    except Exception:  # cleanup must never fail a commit
        return


class MilvusVectors:
    """The FAISS index API subset `Store` uses, over one Milvus collection."""

    def __init__(self, entry: dict[str, Any], dim: int, ntotal: int) -> None:
        self.client = client(entry["uri"])
        self.collection = entry["collection"]
        self.d = dim
        self.ntotal = ntotal
        if not self.client.has_collection(self.collection):
            raise IndexMismatchError(
                f"Milvus collection {self.collection} at {entry['uri']} is missing: "
                "rebuild with `rag index --rebuild`"
            )
        self.client.load_collection(self.collection)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        if self.ntotal == 0:
            return scores, rows
        hits = self.client.search(
            self.collection,
            data=[q.tolist() for q in queries],
            limit=min(k, self.ntotal),
            anns_field="vec",
            search_params={"metric_type": "IP", "params": {"ef": max(_EF_SEARCH, k)}},
        )
        for i, found in enumerate(hits):
            for j, hit in enumerate(found):
                rows[i, j] = int(hit["row"])  # the primary key field
                scores[i, j] = float(hit["distance"])
        return scores, rows

    def reconstruct(self, row: int) -> np.ndarray:
        return self._rows(f"row == {int(row)}")[int(row)]

    def reconstruct_n(self, start: int, n: int) -> np.ndarray:
        out = np.zeros((n, self.d), dtype=np.float32)
        for at in range(start, start + n, _BATCH):
            end = min(at + _BATCH, start + n)
            for row, vec in self._rows(f"row >= {at} and row < {end}").items():
                out[row - start] = vec
        return out

    def _rows(self, where: str) -> dict[int, np.ndarray]:
        got = self.client.query(
            self.collection, filter=where, output_fields=["row", "vec"], limit=_BATCH
        )
        return {int(r["row"]): np.asarray(r["vec"], dtype=np.float32) for r in got}
