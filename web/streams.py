"""Answers that stop when their client leaves: a disconnect sets the answer's `cancelled` event,
which stops its LLM job (queued or generating) within one token."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

T = TypeVar("T")
_POLL_S = 0.25


async def run_watching(request: Request, work: Callable[[threading.Event], T]) -> T:
    """Run blocking `work(cancelled)` off the event loop; set `cancelled` if the client goes."""
    cancelled = threading.Event()
    task = asyncio.ensure_future(run_in_threadpool(work, cancelled))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=_POLL_S)
            if done:
                return task.result()
            if await request.is_disconnected():
                cancelled.set()
    finally:
        if not task.done():
            cancelled.set()


def event_stream(frames: Callable[[threading.Event], Iterator[str]]) -> StreamingResponse:
    """An SSE response over blocking `frames(cancelled)`; a closed connection sets `cancelled`."""
    cancelled = threading.Event()

    async def body() -> AsyncIterator[str]:
        try:
            async for frame in iterate_in_threadpool(frames(cancelled)):
                yield frame
        finally:  # the client left (the task is cancelled), or the answer is complete
            cancelled.set()

    return StreamingResponse(body(), media_type="text/event-stream")
