"""Documents API: list, read, upload (POST, multipart `files`), replace (PUT), delete.

Each change is one locked, atomic index commit (`rag.indexer.commit`): only the changed
documents are embedded, and the server answers from the new build as soon as it is complete.
Uploaded originals are kept in `<index_dir>/uploads/` so `rag index` keeps them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse

from rag.config import Settings
from rag.errors import DocumentNotFoundError
from rag.indexer import commit, pending_path
from rag.ingest import doc_id_for
from rag.isolate import parse_isolated
from rag.parse import ParseError
from rag.pipeline import Pipeline
from rag.store import load_store
from rag.types import Document
from web.deps import KeyDep, PipelineDep, get_pipeline, swap
from web.schemas import DeletedOut, DocumentOut, DocumentSummary, IngestOut, Problem

router = APIRouter()
log = logging.getLogger("rag.web")
MAX_FILES = 20
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No or wrong API key"},
    403: {"model": Problem, "description": "A cross-site request without keys"},
    409: {"model": Problem, "description": "Another index writer is busy"},
    413: {"model": Problem, "description": "Upload larger than RAG_MAX_UPLOAD_MB"},
    422: {"model": Problem, "description": "No file could be read"},
    429: {"model": Problem, "description": "Too many requests"},
}


def summary(d: Document, settings: Settings) -> dict[str, Any]:
    uploaded = Path(d.path).parent == settings.upload_dir if d.path else False
    return {
        "doc_id": d.doc_id,
        "title": d.title,
        "n_chars": len(d.text),
        "n_pages": len(d.pages) or None,
        "source": "upload" if uploaded else d.path,
        "status": "partial" if d.unread_pages else "indexed",
        "unread_pages": list(d.unread_pages),
    }


@router.get("/api/documents", response_model=list[DocumentSummary])
def documents(pipeline: PipelineDep) -> list[dict[str, Any]]:
    return [summary(d, pipeline.settings) for d in pipeline.documents.values()]


@router.get(
    "/api/documents/{doc_id}",
    response_model=DocumentOut,
    responses={404: {"model": Problem, "description": "No such document"}},
)
def document(doc_id: str, pipeline: PipelineDep) -> dict[str, Any]:
    d = pipeline.document(doc_id)
    return {"doc_id": d.doc_id, "title": d.title, "text": d.text, "pages": list(d.pages)}


@router.post(
    "/api/documents",
    status_code=201,
    response_model=IngestOut,
    dependencies=[KeyDep],
    responses=_WRITE_ERRORS,
)
def upload(request: Request, files: Annotated[list[UploadFile], File()]) -> Any:
    """Add documents (.txt .md .pdf .html .docx); a file that cannot be read, or whose id is
    taken (PUT replaces), is listed in `errors` and the others are added."""
    if len(files) > MAX_FILES:
        return _problem(422, f"at most {MAX_FILES} files per upload, got {len(files)}")
    return _ingest(request, [(f.filename or "upload", f.file.read()) for f in files], None)


@router.put(
    "/api/documents/{doc_id}",
    response_model=IngestOut,
    dependencies=[KeyDep],
    responses=_WRITE_ERRORS,
)
def replace(doc_id: str, request: Request, file: Annotated[UploadFile, File()]) -> Any:
    """Replace (or create) document `doc_id` with the uploaded file."""
    if doc_id_for(doc_id) != doc_id:
        return _problem(422, f"document ids use only A-Z a-z 0-9 . _ - (got {doc_id!r})")
    return _ingest(request, [(file.filename or doc_id, file.file.read())], doc_id)


@router.delete(
    "/api/documents/{doc_id}",
    response_model=DeletedOut,
    dependencies=[KeyDep],
    responses={**_WRITE_ERRORS, 404: {"model": Problem, "description": "No such document"}},
)
def delete(doc_id: str, request: Request) -> dict[str, Any]:
    """Remove a document from the index (and its uploaded original): no answer cites it again."""
    pipeline = get_pipeline(request)
    settings = pipeline.settings
    found: list[Document] = []
    removed: list[tuple[Path, bytes]] = []  # the uploaded original, to put back if it fails

    def decide(old: Mapping[str, Document]) -> list[Document]:
        if doc_id not in old:
            raise DocumentNotFoundError(f"no indexed document has id {doc_id!r}")
        found.append(old[doc_id])
        original = Path(old[doc_id].path) if old[doc_id].path else None
        if original is not None and original.parent == settings.upload_dir and original.exists():
            # Removed under the writer lock: a `rag index` waiting for it cannot read it back.
            removed.append((original, original.read_bytes()))
            original.unlink()
        return [d for d in old.values() if d.doc_id != doc_id]

    try:
        result = commit(settings, decide, pipeline.embedder)
    except BaseException:
        for original, data in removed:
            _restore(original, data)
        raise
    note = ""
    path = Path(found[0].path) if found and found[0].path else None
    if path is not None and path.parent != settings.upload_dir:
        note = f"{path} is still on disk: the next `rag index` adds it back unless it is removed"
    _serve(request, pipeline, result.build)
    return {"deleted": doc_id, "build": result.build.name if result.build else None, "note": note}


def _ingest(request: Request, files: list[tuple[str, bytes]], replace_id: str | None) -> Any:
    pipeline = get_pipeline(request)
    settings = pipeline.settings
    errors: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []  # what a parser says of a file it read (OCR, unread pages)
    conflicts = 0  # files whose id is taken (PUT replaces them): nothing added then is a 409
    parsed: list[tuple[Document, bytes]] = []

    def gone() -> bool:  # asked from this worker thread while a child parses a file
        try:
            return bool(anyio.from_thread.run(request.is_disconnected))
        except RuntimeError:  # not in an anyio worker thread (a direct call): nobody left
            return False

    for name, data in files:
        try:
            p = parse_isolated(name, data, settings.parse_memory_mb, settings.parse_timeout_s, gone)
        except ParseError as exc:
            errors.append({"file": name, "detail": str(exc)})
            continue
        doc_id = replace_id or doc_id_for(name)
        path = settings.upload_dir / f"{doc_id}.{name.rsplit('.', 1)[-1].lower()}"
        parsed.append((p.document(doc_id, str(path)), data))
        notes += [{"file": name, "note": n} for n in p.notes]
    saved: list[tuple[Path, bytes | None]] = []  # to undo if the commit fails
    added: list[Document] = []

    def decide(old: Mapping[str, Document]) -> list[Document]:
        nonlocal conflicts
        out = dict(old)
        for doc, data in parsed:
            if replace_id is None and doc.doc_id in out:
                conflicts += 1
                errors.append(
                    {
                        "file": Path(doc.path).name,
                        "detail": f"a document with id {doc.doc_id!r} exists: "
                        f"PUT /api/documents/{doc.doc_id} replaces it",
                    }
                )
                continue
            previous = out.get(doc.doc_id)
            if previous is not None and previous.path != doc.path and previous.path:
                old_path = Path(previous.path)
                if old_path.parent == settings.upload_dir and old_path.exists():
                    saved.append((old_path, old_path.read_bytes()))
                    old_path.unlink()
            # Written beside its final name; moved into place once the document is committed
            # (under the same lock): a crash in between leaves a pending file that the next
            # commit reconciles and reports, never an upload file without its document.
            pending = pending_path(Path(doc.path))
            saved.append((pending, None))
            _write_atomic(pending, data)
            out[doc.doc_id] = doc
            added.append(doc)
        return list(out.values())

    def move_into_place() -> None:
        for doc in added:
            os.replace(pending_path(Path(doc.path)), doc.path)

    try:
        result = (
            commit(settings, decide, pipeline.embedder, on_commit=move_into_place)
            if parsed
            else None
        )
    except BaseException:
        for path, before in reversed(saved):
            _restore(path, before)
        raise
    _serve(request, pipeline, result.build if result else None)
    body = {
        "documents": [summary(d, settings) for d in added],
        "errors": errors,
        "notes": notes,
        "build": result.build.name if result and result.build else None,
    }
    if not added:
        detail = "; ".join(e["detail"] for e in errors) or "no file was given"
        return _problem(409 if conflicts else 422, detail, errors)
    return JSONResponse(body, status_code=201 if replace_id is None else 200)


def _serve(request: Request, pipeline: Pipeline, build: Path | None) -> None:
    """Answer from `build` (a commit's new build; None: nothing changed) before replying."""
    if build is not None:
        swap(request, load_store(build, pipeline.embedder.name, pipeline.embedder.dim))


def _write_atomic(path: Path, data: bytes) -> None:
    """Temp name, fsync, rename; the temp file never outlives a failed write (a full disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _restore(path: Path, data: bytes | None) -> None:
    """Undo one file change after a failed commit (best effort: the disk may still be full)."""
    try:
        if data is None:
            path.unlink(missing_ok=True)
        else:
            _write_atomic(path, data)
    except OSError as exc:
        log.warning("could not restore %s after a failed commit: %s", path, exc)


def _problem(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)
