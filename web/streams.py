"""Answers that stop when their client leaves, computed a few at a time.

A disconnect sets the answer's `cancelled` event, which stops its LLM job (queued or generating)
within one token. At most `slots` answers compute their draft at once; the others wait on the event
loop holding no thread, so a burst of questions on 2 cores cannot starve /healthz (answering is
CPU-bound Python: dozens of threads at once would take the GIL from the event loop). A slot is
released as soon as the draft is out: waiting for the LLM (its own queue, `rag.generators.worker`)
costs no CPU and must not hold up other people's drafts. Extractive-only answers wait before
drafts for an LLM answer (shortest job first): under a burst of LLM questions a plain question
waits for the drafts already computing, not for the whole burst, while an LLM answer that takes
seconds anyway starts ~0.1 s later.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

_POLL_S = 0.25
_END = object()

Events = Callable[[threading.Event], Iterator[Any]]


def sse_json(data: Any) -> str:
    """JSON for one SSE `data:` line: U+2028/U+2029 escaped (JavaScript line terminators)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class Slots:
    """At most `n` holders at once; waiters that ask to go `first` are served before the others,
    in arrival order within each. A waiter cancelled while waiting never takes (or adds) a slot."""

    def __init__(self, n: int) -> None:
        self._free = n
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())

    def locked(self) -> bool:
        return self._free == 0

    async def acquire(self, first: bool = False) -> None:
        if self._free > 0 and not any(self._waiting):
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting[0 if first else 1]
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed a slot just as it was cancelled: pass it on
            elif future in queue:
                queue.remove(future)
            raise

    def release(self) -> None:
        for queue in self._waiting:
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)
                    return
        self._free += 1


async def _items(
    events: Events, slots: Slots, cancelled: threading.Event, first: bool = False
) -> AsyncIterator[Any]:
    """Iterate blocking `events(cancelled)` off the event loop, in a slot until its first item
    (`first`: an extractive-only answer, served before drafts for an LLM)."""
    iterator = events(cancelled)
    await slots.acquire(first)  # a client that leaves while waiting here never takes a slot
    held = True
    try:
        while True:
            item = await run_in_threadpool(next, iterator, _END)
            if held:
                slots.release()
                held = False
            if item is _END:
                return
            yield item
    finally:
        if held:
            slots.release()


async def answer_watching(
    request: Request, events: Events, slots: Slots, first: bool = False
) -> Any:
    """The value of the ("answer", value) event of `events(cancelled)`; a client that leaves
    cancels it (None then)."""
    cancelled = threading.Event()

    async def last() -> Any:
        final = None
        async for kind, value in _items(events, slots, cancelled, first):
            if kind == "answer":
                final = value
        return final

    task = asyncio.ensure_future(last())
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


def event_stream(frames: Events, slots: Slots, first: bool = False) -> StreamingResponse:
    """An SSE response over blocking `frames(cancelled)`; a closed connection sets `cancelled`."""
    cancelled = threading.Event()

    async def body() -> AsyncIterator[str]:
        try:
            async for frame in _items(frames, slots, cancelled, first):
                yield frame
        finally:  # the client left (the task is cancelled), or the answer is complete
            cancelled.set()

    return StreamingResponse(body(), media_type="text/event-stream")
