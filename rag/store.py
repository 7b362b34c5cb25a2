"""FAISS index + chunk and document tables (JSON, no pickle) + manifest, on disk under `index/`."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np

from rag.errors import IndexBusyError, IndexMismatchError, IndexNotFoundError
from rag.lexical import BM25Index
from rag.types import Chunk, Document

FORMAT_VERSION = 1
# HNSW search breadth: recall@10 0.982 at 1M chunks, p99 1.05 ms on 2 cores (bench/scale.py).
EF_SEARCH = 256
FILES = ("manifest.json", "documents.json", "chunks.json", "vectors.faiss")


class VectorIndex(Protocol):
    """What a store needs from its vector engine: the subset of FAISS's index API that FAISS
    indexes have natively and `rag.milvus.MilvusVectors` implements over a Milvus collection.
    Adding and deleting are commits (`rag.indexer`): each writes a complete new build."""

    ntotal: int
    d: int

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def reconstruct(self, key: int) -> np.ndarray: ...

    def reconstruct_n(self, n0: int, ni: int) -> np.ndarray: ...


@dataclass
class Store:
    """A loaded index: vectors, BM25, the chunk each row stands for, and the source documents."""

    index: VectorIndex
    chunks: list[Chunk]
    documents: dict[str, Document]
    manifest: dict[str, Any]
    lexical: BM25Index | None = None

    def cosine(self, vector: np.ndarray, rows: list[int]) -> list[float]:
        """Inner product of `vector` with the stored vectors of `rows`."""
        if not rows:
            return []
        stored = np.stack([self.index.reconstruct(r) for r in rows])
        return [float(x) for x in stored @ vector.astype(np.float32)]

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row, inner-product score) of the `k` nearest rows, best first."""
        if not self.chunks:
            return []
        scores, rows = self.index.search(vector.reshape(1, -1).astype(np.float32), k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def vectors(self) -> np.ndarray:
        """Every stored vector, row i for chunk i."""
        if self.index.ntotal == 0:
            return np.zeros((0, self.index.d), dtype=np.float32)
        return np.asarray(self.index.reconstruct_n(0, self.index.ntotal), dtype=np.float32)


@contextmanager
def writer_lock(index_dir: Path, wait_s: float = 30.0) -> Iterator[None]:
    """One writer of `index_dir` at a time, across processes and threads (flock on `.lock`);
    IndexBusyError after `wait_s` seconds of waiting."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"another writer is updating the index at {index_dir} "
                        f"(waited {wait_s:.0f} s); try again when it has finished"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def corpus_hashes(docs: list[Document]) -> dict[str, str]:
    """SHA-256 of each document's text, keyed by id."""
    return {d.doc_id: hashlib.sha256(d.text.encode()).hexdigest() for d in docs}


def make_index(vectors: np.ndarray, hnsw_min_vectors: int) -> tuple[Any, str]:
    """Exact Flat inner product for small corpora, HNSW (approximate) for large ones."""
    dim = int(vectors.shape[1])
    index: Any
    if vectors.shape[0] >= hnsw_min_vectors:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 200
        kind = "IndexHNSWFlat"
    else:
        index, kind = faiss.IndexFlatIP(dim), "IndexFlatIP"
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


def _write_vectors(
    tmp: Path, build: str, vectors: np.ndarray, hnsw_min_vectors: int, milvus_uri: str
) -> tuple[dict[str, Any], str]:
    """The vectors of a build (FAISS in `tmp`, or a Milvus collection) and their entry."""
    if milvus_uri:
        from rag import milvus

        # Named first: a writer killed while inserting leaves a collection to drop later.
        name = milvus.collection_name(build)
        _write_json(tmp / "vectors.json", {"kind": "milvus", "uri": milvus_uri, "collection": name})
        entry = milvus.write_vectors(milvus_uri, build, vectors, hnsw_min_vectors)
        kind = str(entry["index_type"])
    else:
        index, kind = make_index(vectors, hnsw_min_vectors)
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        entry = {"kind": "faiss"}
    _write_json(tmp / "vectors.json", entry)
    return entry, kind


def write_store(
    index_dir: Path,
    docs: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    manifest: dict[str, Any],
    lexical: BM25Index | None = None,
    hnsw_min_vectors: int = 100_000,
    locked: bool = False,
    milvus_uri: str = "",
) -> Path:
    """Write a complete build to a fresh folder, then atomically point `current` at it.
    Takes the writer lock itself unless the caller holds it (`locked`). With `milvus_uri` the
    vectors go to a new Milvus collection instead of `vectors.faiss` (`rag.milvus`)."""
    if not locked:
        with writer_lock(index_dir):
            return write_store(
                index_dir, docs, chunks, vectors, manifest, lexical,
                hnsw_min_vectors=hnsw_min_vectors, locked=True, milvus_uri=milvus_uri,
            )  # fmt: skip
    if vectors.shape[0] != len(chunks):
        raise ValueError(f"{vectors.shape[0]} vectors for {len(chunks)} chunks")
    index_dir.mkdir(parents=True, exist_ok=True)
    build = index_dir / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.time_ns()}"
    tmp = build.with_name(build.name + ".tmp")
    tmp.mkdir()
    try:
        entry, kind = _write_vectors(tmp, build.name, vectors, hnsw_min_vectors, milvus_uri)
        if lexical is not None:
            lexical.save(tmp)
        _write_json(tmp / "chunks.json", [asdict(c) for c in chunks])
        _write_json(tmp / "documents.json", [asdict(d) for d in docs])
        full = {
            "format_version": FORMAT_VERSION,
            **manifest,
            "dimension": int(vectors.shape[1]),
            "n_documents": len(docs),
            "n_chunks": len(chunks),
            "index_type": kind,
            "vectors": entry,
            "bm25": lexical is not None,
            "corpus": corpus_hashes(docs),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _write_json(tmp / "manifest.json", full)  # last: its presence marks a complete build
        tmp.rename(build)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point_current(index_dir, build)
    return build


def _write_json(path: Path, data: Any) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def _point_current(index_dir: Path, build: Path) -> None:
    """Swap `current` to `build` (atomic rename of a new link), then clean up (writer lock held):
    the build `current` pointed at before is kept for servers still loading it; older builds,
    half-written ones left by a killed writer and stray links are removed."""
    link = index_dir / "current"
    previous = os.readlink(link) if link.is_symlink() else None
    tmp_link = index_dir / f".current-{os.getpid()}-{time.time_ns()}"
    tmp_link.symlink_to(build.name)
    os.replace(tmp_link, link)  # atomic: readers see the old build or the new one, never half
    clean_up(index_dir, keep={build.name, previous or ""})


def base_build(index_dir: Path) -> tuple[Path, str]:
    """The build a commit starts from: what `current` points at, or, when the link is missing or
    broken (deleted by hand, a half-restored backup), the newest complete build, with a note;
    never "empty" while a complete build exists."""
    current = index_dir / "current"
    if (current / "manifest.json").exists():
        return current, ""
    builds = [b for b in index_dir.glob("build-*") if (b / "manifest.json").exists()]
    if not builds:
        return current, ""
    newest = max(builds, key=lambda b: (b / "manifest.json").stat().st_mtime)
    return newest, f"`current` was missing or broken: started from the newest build, {newest.name}"


def clean_up(index_dir: Path, keep: set[str]) -> None:
    """Remove builds not in `keep` (and their Milvus collections) and stray `.current-*` links
    (call with the writer lock)."""
    for old in index_dir.glob("build-*"):
        if old.name not in keep:
            _drop_vectors(old)
            shutil.rmtree(old, ignore_errors=True)
    for stray in index_dir.glob(".current-*"):
        stray.unlink(missing_ok=True)


def _document(row: dict[str, Any]) -> Document:
    """A Document from its JSON row (lists back to tuples; older rows lack the newer fields)."""
    return Document(
        **{
            **row,
            "pages": tuple(row.get("pages", ())),
            "blocks": tuple(tuple(span) for span in row.get("blocks", ())),
            "unread_pages": tuple(row.get("unread_pages", ())),
        }
    )


def read_documents(folder: Path) -> dict[str, Document]:
    """The documents of a build ({} when there is none); IndexMismatchError if they are
    unreadable (a writer must not mistake a damaged index for an empty one)."""
    if not (folder / "manifest.json").exists():
        return {}
    try:
        rows = json.loads((folder / "documents.json").read_text("utf-8"))
        docs = [_document(d) for d in rows]
    except Exception as exc:
        raise IndexMismatchError(
            f"the documents of the index at {folder} are unreadable ({exc}): "
            "rebuild it from the sources with `rag index --rebuild`"
        ) from exc
    return {d.doc_id: d for d in docs}


def _drop_vectors(build: Path) -> None:
    try:
        entry = json.loads((build / "vectors.json").read_text("utf-8"))
    except (OSError, ValueError):
        return
    if entry.get("kind") == "milvus" and entry.get("collection"):
        from rag import milvus

        milvus.drop(entry)


def load_store(folder: Path, embedder_name: str, dim: int) -> Store:
    """Load a build; refuse one made by another embedder or dimension, or a damaged one."""
    if not (folder / "manifest.json").exists():
        raise IndexNotFoundError(
            f"no index at {folder}: build it with `rag index` (or `make index`)"
        )
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(
            f"index manifest unreadable ({exc}): rebuild with `rag index`"
        ) from exc
    if manifest.get("embedding_model") != embedder_name or manifest.get("dimension") != dim:
        raise IndexMismatchError(
            f"index at {folder} was built with {manifest.get('embedding_model')!r} "
            f"(dim {manifest.get('dimension')}), but the configured embedder is {embedder_name!r} "
            f"(dim {dim}): rebuild it with `rag index`"
        )
    entry = manifest.get("vectors", {"kind": "faiss"})
    try:
        index: Any
        if entry.get("kind") == "milvus":
            from rag.milvus import MilvusVectors

            index = MilvusVectors(entry, dim, int(manifest.get("n_chunks", 0)))
        else:
            index = faiss.read_index(str(folder / "vectors.faiss"))  # the concrete subclass
        chunks = [Chunk(**c) for c in json.loads((folder / "chunks.json").read_text("utf-8"))]
        documents = read_documents(folder)
    except IndexMismatchError:
        raise
    except Exception as exc:
        raise IndexMismatchError(
            f"index at {folder} is damaged ({exc}): rebuild with `rag index`"
        ) from exc
    manifest["build"] = folder.resolve().name
    if manifest.get("index_type") == "IndexHNSWFlat":
        index.hnsw.efSearch = EF_SEARCH
    lexical = None
    if manifest.get("bm25"):
        try:
            lexical = BM25Index.load(folder)
        except Exception as exc:
            raise IndexMismatchError(
                f"BM25 index at {folder} is damaged ({exc}): rebuild it"
            ) from exc
    if index.ntotal != len(chunks) or index.d != dim:
        raise IndexMismatchError(
            f"index at {folder} holds {index.ntotal} vectors for {len(chunks)} chunks: "
            "rebuild it with `rag index`"
        )
    return Store(index, chunks, documents, manifest, lexical)
