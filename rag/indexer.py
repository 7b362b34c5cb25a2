"""Index maintenance: add, replace, delete and sync documents with one locked, atomic commit.

Every change reads the current build, decides the new set of documents, re-embeds only the
documents whose text changed (content hashes in the manifest; the vectors of the others are
copied), and writes a complete new build that `current` then points at. A writer killed at any
point leaves `current` on the last good build; the next commit removes what it left behind.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunk import chunk_documents, chunk_text_for_index
from rag.config import Settings
from rag.embed import Embedder, make_embedder
from rag.errors import IndexMismatchError, IndexNotFoundError, storage_error
from rag.ingest import Scan, scan
from rag.lexical import BM25Index
from rag.store import Store, base_build, load_store, read_documents, write_store, writer_lock
from rag.types import Chunk, Document

Decide = Callable[[Mapping[str, Document]], list[Document]]


@dataclass
class Commit:
    """What one commit changed, and the build it wrote."""

    build: Path | None = None
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded_chunks: int = 0
    reused_chunks: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


def text_hash(doc: Document) -> str:
    return hashlib.sha256(doc.text.encode()).hexdigest()


def commit(
    settings: Settings,
    decide: Decide,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    sources: list[str] | None = None,
    progress: bool = False,
    from_sources: bool = False,
    on_commit: Callable[[], None] | None = None,
) -> Commit:
    """Under the writer lock: `decide(current documents)` gives the new documents; write them.
    `from_sources`: `decide` reads the files, not the index (a damaged index is then rebuilt).
    A full or read-only disk is a StorageError (507 / 503), never a half-written index.
    `on_commit` runs under the same lock once the new documents are committed (an upload moves
    its file into place there, so no other writer ever sees one without the other)."""
    embedder = embedder or make_embedder(settings)
    try:
        with writer_lock(settings.index_dir, settings.index_lock_wait_s):
            result = _write(settings, decide, embedder, rebuild, sources, progress, from_sources)
            if on_commit is not None:
                on_commit()
            return result
    except OSError as exc:
        error = storage_error(exc, settings.index_dir)
        if error is None:
            raise
        raise error from exc


def _changes(old_docs: Mapping[str, Document], docs: list[Document], result: Commit) -> Commit:
    """`result` with the ids added, replaced (text changed) and removed."""
    new_ids = {d.doc_id for d in docs}
    result.removed = sorted(set(old_docs) - new_ids)
    for doc in docs:
        if doc.doc_id not in old_docs:
            result.added.append(doc.doc_id)
        elif text_hash(old_docs[doc.doc_id]) != text_hash(doc):
            result.replaced.append(doc.doc_id)
    return result


def _write(
    settings: Settings,
    decide: Decide,
    embedder: Embedder,
    rebuild: bool,
    sources: list[str] | None,
    progress: bool,
    from_sources: bool,
) -> Commit:
    """The body of a commit (the caller holds the writer lock)."""
    # What the index holds is read apart from whether its vectors can be reused: an upload
    # after a change of embedder or chunking must keep every other document (re-embedded).
    base, note = base_build(settings.index_dir)
    old = None if rebuild else _current(settings, embedder, base)
    try:  # the loaded build's documents when there is one: documents.json is read once
        old_docs = old.documents if old is not None else read_documents(base)
    except IndexMismatchError:
        if not from_sources:
            raise
        old_docs = {}  # `rag index` rebuilds a damaged index from its sources
    notes = [note] if note else []
    notes += reconcile_uploads(settings, old_docs, base)
    docs = sorted(decide(old_docs), key=lambda d: d.doc_id)
    result = _changes(old_docs, docs, Commit(notes=notes))
    unchanged = {d.doc_id for d in docs} - set(result.added) - set(result.replaced)
    same = not (result.added or result.replaced or result.removed)
    if old is not None and same and all(old_docs[d.doc_id] == d for d in docs):
        result.unchanged, result.manifest = len(docs), old.manifest
        return result  # nothing to write
    chunks, vectors, reused = _chunks_and_vectors(
        settings, docs, old, unchanged, embedder, progress
    )
    result.unchanged = len(unchanged)
    result.reused_chunks, result.embedded_chunks = reused, len(chunks) - reused
    titles = {d.doc_id: d.title for d in docs}
    texts = [_index_text(settings, titles, c) for c in chunks]
    manifest = {
        "embedding_model": embedder.name,
        "chunking": _chunking(settings),
        "sources": sources
        if sources is not None
        else (old.manifest.get("sources", []) if old else []),
    }
    result.build = write_store(
        settings.index_dir,
        docs,
        chunks,
        vectors,
        manifest,
        BM25Index.build(texts) if texts else None,
        settings.hnsw_min_vectors,
        locked=True,
        milvus_uri=settings.milvus_target,
    )
    result.manifest = {**manifest, "n_documents": len(docs), "n_chunks": len(chunks)}
    return result


PENDING = ".pending-"


def pending_path(path: Path) -> Path:
    """Where an upload's file waits until its document is committed."""
    return path.with_name(PENDING + path.name)


def reconcile_uploads(settings: Settings, old: Mapping[str, Document], base: Path) -> list[str]:
    """Files an upload left pending when its process died (kill -9): one whose document the
    base build committed after it was written is moved into place; any other was never
    indexed, and is removed. Either way it is reported, never silently indexed."""
    notes: list[str] = []
    if not settings.upload_dir.is_dir():
        return notes
    manifest = base / "manifest.json"
    built = manifest.stat().st_mtime if manifest.exists() else 0.0
    paths = {d.path for d in old.values()}
    for pending in sorted(settings.upload_dir.glob(PENDING + "*")):
        final = pending.with_name(pending.name[len(PENDING) :])
        if str(final) in paths and pending.stat().st_mtime <= built:
            os.replace(pending, final)
            notes.append(f"completed an upload interrupted after its commit: {final.name}")
        else:
            pending.unlink(missing_ok=True)
            notes.append(f"removed an upload interrupted before it was indexed: {final.name}")
    return notes


def sync(
    settings: Settings,
    paths: Iterable[Path] | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: bool = False,
) -> Commit:
    """`rag index`: make the index hold exactly the readable files under `paths` (default: the
    configured sources) and the uploads folder; only new or changed files are embedded."""
    roots = [Path(p) for p in (paths or settings.sources)]
    if settings.upload_dir.is_dir():  # first: an upload that replaced a file's document wins
        roots.insert(0, settings.upload_dir)
    found = Scan()

    def decide(_old: Mapping[str, Document]) -> list[Document]:
        # Under the writer lock: an upload or a delete that committed while this process
        # waited is on disk now, so it is neither lost nor brought back.
        nonlocal found
        uploads = [settings.upload_dir] if settings.upload_dir.is_dir() else []
        limits = (settings.parse_memory_mb, settings.parse_timeout_s)
        found = scan(uploads + [r for r in roots if r != settings.upload_dir], limits)
        if not found.docs:  # start empty: an index that loads, abstains, and takes uploads
            shown = ", ".join(str(p) for p in roots)
            found.notes.append(f"no readable documents in {shown}: the index is empty")
        return found.docs

    result = commit(
        settings,
        decide,
        embedder,
        rebuild,
        [str(p) for p in roots],
        progress,
        from_sources=True,
    )
    result.errors, result.notes = found.errors, result.notes + found.notes
    return result


def _current(settings: Settings, embedder: Embedder, base: Path) -> Store | None:
    """The base build when its vectors can be reused (same embedder and chunking)."""
    try:
        store = load_store(base, embedder.name, embedder.dim)
    except (IndexNotFoundError, IndexMismatchError):
        return None
    if store.manifest.get("chunking") != _chunking(settings):
        return None
    return store


def _chunking(settings: Settings) -> dict[str, Any]:
    return {
        "size": settings.chunk_size,
        "overlap": settings.chunk_overlap,
        "title_in_chunks": settings.title_in_chunks,
    }


def _index_text(settings: Settings, titles: Mapping[str, str], chunk: Chunk) -> str:
    return chunk_text_for_index(titles[chunk.doc_id], chunk.text, settings.title_in_chunks)


def _chunks_and_vectors(
    settings: Settings,
    docs: list[Document],
    old: Store | None,
    unchanged: set[str],
    embedder: Embedder,
    progress: bool,
) -> tuple[list[Chunk], np.ndarray, int]:
    """Chunks of `docs` in order; vectors copied for `unchanged` documents, embedded otherwise."""
    old_rows: dict[str, list[int]] = {}
    if old is not None:
        for row, c in enumerate(old.chunks):
            old_rows.setdefault(c.doc_id, []).append(row)
    old_vectors = old.vectors() if old is not None and unchanged else None
    chunks: list[Chunk] = []
    rows: list[np.ndarray | None] = []
    for doc in docs:
        if doc.doc_id in unchanged and old is not None and old_vectors is not None:
            for row in old_rows.get(doc.doc_id, []):
                chunks.append(old.chunks[row])
                rows.append(old_vectors[row])
        else:
            for c in chunk_documents([doc], settings.chunk_size, settings.chunk_overlap):
                chunks.append(c)
                rows.append(None)
    todo = [i for i, r in enumerate(rows) if r is None]
    if todo:
        titles = {d.doc_id: d.title for d in docs}
        texts = [_index_text(settings, titles, chunks[i]) for i in todo]
        if settings.index_workers > 1 or settings.ray_address:
            from rag.distributed import ray_embed

            fresh = ray_embed(texts, settings)  # the same embedder, on Ray actors
        else:
            fresh = embedder.embed(texts, progress=progress)
        for i, vec in zip(todo, fresh, strict=True):
            rows[i] = vec
    dim = embedder.dim
    vectors = np.stack([r for r in rows if r is not None]) if rows else np.zeros((0, dim))
    return chunks, vectors.astype(np.float32), len(rows) - len(todo)
