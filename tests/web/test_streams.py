"""Answer slots: a draft holds one only until its first event; a client that leaves while
waiting for one never takes (or gives back) a slot; extractive-only answers wait before drafts
for an LLM."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from web.streams import Slots, _items


def test_a_slot_is_held_only_until_the_first_event() -> None:
    async def main() -> list[int]:
        slots = Slots(1)
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
        slots = Slots(1)
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


def test_extractive_answers_are_served_before_queued_llm_drafts() -> None:
    async def main() -> list[str]:
        slots = Slots(1)
        order: list[str] = []
        await slots.acquire()  # a draft computing now

        async def wait(name: str, first: bool) -> None:
            await slots.acquire(first)
            order.append(name)
            slots.release()

        tasks = [asyncio.ensure_future(wait(f"llm{i}", False)) for i in range(3)]
        await asyncio.sleep(0)
        tasks.append(asyncio.ensure_future(wait("extractive", True)))
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(*tasks)
        assert not slots.locked()
        return order

    assert asyncio.run(main()) == ["extractive", "llm0", "llm1", "llm2"]


def test_a_slot_handed_to_a_waiter_that_just_left_goes_to_the_next() -> None:
    async def main() -> None:
        slots = Slots(1)
        await slots.acquire()
        leaving = asyncio.ensure_future(slots.acquire())
        staying = asyncio.ensure_future(slots.acquire())
        await asyncio.sleep(0)
        slots.release()  # hands the slot to `leaving` ...
        leaving.cancel()  # ... which is cancelled before it runs
        with contextlib.suppress(asyncio.CancelledError):
            await leaving
        await asyncio.wait_for(staying, 1)  # the slot went on to the next waiter
        assert slots.locked()
        slots.release()
        assert not slots.locked()

    asyncio.run(main())
