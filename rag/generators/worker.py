"""One model, one thread: LLM jobs run one at a time off the request pool, from a bounded queue.

A llama.cpp context serves one generation at a time. Requests do not take a lock (a client that
disconnects mid-stream used to leave it held); they hand a job to the worker thread and read its
pieces from a queue. The wait list is bounded: a full one refuses at once (`BusyError`, a 503 with
Retry-After). A job whose client went away or whose deadline passed is dropped before it starts
and stopped between two tokens, so abandoned requests stop burning the CPU.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from rag.errors import BusyError, DeadlineError, GeneratorError

_DONE = object()
_POLL_S = 0.1  # how often a waiting reader checks for cancellation


@dataclass
class Budget:
    """One answer's limits: when it must be done, and whether its client is gone."""

    deadline: float = float("inf")  # time.monotonic() by which the answer must be complete
    cancelled: threading.Event = field(default_factory=threading.Event)
    waited_ms: float = 0.0  # time spent queued for the model

    @classmethod
    def within(cls, seconds: float, cancelled: threading.Event | None = None) -> Budget:
        return cls(time.monotonic() + seconds, cancelled or threading.Event())

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def over(self) -> bool:
        """The client is gone or the deadline has passed: stop working on this answer."""
        return self.cancelled.is_set() or self.remaining() <= 0


Produce = Callable[[Budget], Iterator[str]]
T = TypeVar("T")


def _once(result: list[T], fn: Callable[[], T]) -> Iterator[str]:
    result.append(fn())
    yield ""


@dataclass
class _Job:
    produce: Produce
    budget: Budget
    queued_at: float = field(default_factory=time.monotonic)
    pieces: queue.Queue[object] = field(default_factory=queue.Queue)
    stop: threading.Event = field(default_factory=threading.Event)


class SerialWorker:
    """Runs jobs one at a time on its own daemon thread; at most `max_waiting` queued."""

    def __init__(
        self, name: str, max_waiting: int = 4, retry_after: int = 5, nice: int = 0
    ) -> None:
        self.name = name
        self.retry_after = retry_after
        self.nice = nice
        self._jobs: queue.Queue[_Job] = queue.Queue(maxsize=max(1, max_waiting))
        self._thread = threading.Thread(target=self._run, name=f"{name}-worker", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Jobs queued and not yet started."""
        return self._jobs.qsize()

    def full(self) -> bool:
        return self._jobs.full()

    def stream(self, produce: Produce, budget: Budget) -> Iterator[str]:
        """Queue `produce` and yield its pieces; BusyError when the queue is full, DeadlineError
        when the budget runs out first. Leaving the loop early (close, error) cancels the job."""
        job = _Job(produce, budget)
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            raise BusyError(
                f"the {self.name} model is busy ({self._jobs.maxsize} answers waiting); retry in "
                f"{self.retry_after} s",
                self.retry_after,
            ) from None
        try:
            while True:
                if budget.cancelled.is_set():
                    return
                left = budget.remaining()
                if left <= 0:
                    raise DeadlineError(f"the {self.name} model did not answer within its deadline")
                try:
                    item = job.pieces.get(timeout=min(_POLL_S, left))
                except queue.Empty:
                    continue
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield str(item)
        finally:
            job.stop.set()

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the worker thread (threads the model starts there share its priority)."""
        result: list[T] = []
        for _ in self.stream(lambda budget: _once(result, fn), Budget()):
            pass
        return result[0]

    def _run(self) -> None:
        if self.nice:
            # Below the web server's threads: /healthz and drafts stay fast while it generates
            # (Linux applies a thread's niceness to the threads it starts, llama.cpp's included).
            with contextlib.suppress(AttributeError, OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        while True:
            job = self._jobs.get()
            job.budget.waited_ms = (time.monotonic() - job.queued_at) * 1000
            try:
                if job.stop.is_set() or job.budget.over():
                    continue  # nobody is waiting for it any more
                pieces = job.produce(job.budget)
                try:
                    for piece in pieces:
                        if job.stop.is_set() or job.budget.over():
                            break
                        job.pieces.put(piece)
                finally:
                    close = getattr(pieces, "close", None)
                    if close:
                        close()  # ends the model's own stream now, not at garbage collection
            except Exception as exc:  # handed to the reader; the worker lives on
                job.pieces.put(
                    exc if isinstance(exc, GeneratorError) else GeneratorError(f"{exc!r}")
                )
            finally:
                job.pieces.put(_DONE)
