"""Request dependencies shared by the routers: the live pipeline and the key check.

The server follows the index: a request finds a new build (another process ran `rag index`, or an
upload here committed one) by reading the `current` link at most once a second; one request loads
it while the others keep answering from the old build, then the next requests get the new one.
No request ever sees half an update: each holds one pipeline, over one complete build.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.store import Store, load_store
from web.security import check_key

log = logging.getLogger("rag.web")
_CHECK_EVERY_S = 1.0
_reload = threading.Lock()


def get_pipeline(request: Request) -> Pipeline:
    """The pipeline over the current build (overridable in tests)."""
    state = request.app.state
    pipeline: Pipeline | None = state.pipeline
    now = time.monotonic()
    due = now - getattr(state, "checked_at", 0.0) >= _CHECK_EVERY_S
    if pipeline is None:
        if due:  # started before any index was built: load the first one that appears
            state.checked_at = now
            _load_first(request)
        if state.pipeline is None:
            raise state.load_error
        return state.pipeline
    if due:
        state.checked_at = now
        _follow(request, pipeline)
    return state.pipeline


def _load_first(request: Request) -> None:
    state = request.app.state
    settings = state.settings
    if not (settings.current_index / "manifest.json").exists() or not _reload.acquire(
        blocking=False
    ):
        return
    try:
        pipeline = Pipeline.load(settings)
        pipeline.backends.warm()
        state.pipeline, state.load_error = pipeline, None
        threading.Thread(target=pipeline.ranker.warm, daemon=True).start()
    except RagError as exc:
        state.load_error = exc
    finally:
        _reload.release()


def _follow(request: Request, pipeline: Pipeline) -> None:
    link = pipeline.settings.current_index
    try:
        target = os.readlink(link)
    except OSError:
        return
    if target == pipeline.build or not _reload.acquire(blocking=False):
        return
    try:
        folder = link.parent / target  # not `current`: it may move again while this loads
        store = load_store(folder, pipeline.embedder.name, pipeline.embedder.dim)
        swap(request, store)
    except RagError as exc:  # keep serving the build we have
        log.warning("index build %s could not be loaded: %s", target, exc)
    finally:
        _reload.release()


def swap(request: Request, store: Store) -> Pipeline:
    """Serve `store` from the next request on; its new sentences are embedded in the background."""
    state = request.app.state
    if state.pipeline.build == store.manifest.get("build"):
        return state.pipeline
    new = state.pipeline.with_store(store)
    state.pipeline = new
    threading.Thread(target=new.ranker.warm, daemon=True).start()
    return new


def require_key(request: Request) -> None:
    """Routes that change state (or read feedback): a key, or this machine without keys."""
    refused = check_key(request, request.app.state.settings)
    if refused is not None:
        raise KeyRefused(refused)


class KeyRefused(Exception):
    """Carries the 401/403 response `check_key` chose (rendered by the app's handler)."""

    def __init__(self, response: JSONResponse) -> None:
        self.response = response


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
KeyDep = Depends(require_key)
