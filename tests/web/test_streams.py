"""Answer slots: a draft holds one only until its first event; a client that leaves while
waiting for one never takes (or gives back) a slot."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from web.streams import _items


def test_a_slot_is_held_only_until_the_first_event() -> None:
    async def main() -> list[int]:
        slots = asyncio.Semaphore(1)
        seen = []

        def events(cancelled: threading.Event) -> Iterator[int]:
            yield 1
            seen.append(slots.locked())  # the draft is out: the slot is free again
            yield 2

        items = [i async for i in _items(events, slots, threading.Event())]
        assert seen == [False] and not slots.locked()
        return items

    assert asyncio.run(main()) == [1, 2]


def test_leaving_while_waiting_for_a_slot_does_not_add_one() -> None:
    async def main() -> None:
        slots = asyncio.Semaphore(1)
        await slots.acquire()  # someone else's draft
        waiting = _items(lambda cancelled: iter([1]), slots, threading.Event())
        task = asyncio.ensure_future(waiting.__anext__())
        await asyncio.sleep(0.01)
        task.cancel()  # the client disconnected
        with contextlib.suppress(asyncio.CancelledError):
            await task
        slots.release()
        await slots.acquire()
        assert slots.locked(), "a slot was given back twice: the limit grew"

    asyncio.run(main())
