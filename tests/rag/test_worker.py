"""The LLM worker: one job at a time off the request threads, bounded, cancellable, deadlines."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from rag.errors import BusyError, DeadlineError, GeneratorError
from rag.generators.worker import Budget, SerialWorker


class Slow:
    """A fake model: `n` tokens, `delay` s apart; records what it produced and if it was closed."""

    def __init__(self, n: int = 5, delay: float = 0.05) -> None:
        self.n, self.delay = n, delay
        self.produced = 0
        self.closed = threading.Event()

    def __call__(self, budget: Budget) -> Iterator[str]:
        try:
            for i in range(self.n):
                time.sleep(self.delay)
                self.produced += 1
                yield f"t{i} "
        finally:
            self.closed.set()


def test_pieces_arrive_in_order() -> None:
    worker = SerialWorker("test")
    assert "".join(worker.stream(Slow(3, 0.0), Budget())) == "t0 t1 t2 "


def test_a_reader_that_stops_early_frees_the_model_for_the_next_answer() -> None:
    worker = SerialWorker("test")
    long = Slow(1000, 0.01)
    stream = worker.stream(long, Budget())
    assert next(stream) == "t0 "
    stream.close()  # the client went away mid-answer
    assert long.closed.wait(2), "the abandoned generation was not stopped"
    assert long.produced < 1000
    t0 = time.monotonic()
    assert "".join(worker.stream(Slow(2, 0.0), Budget())) == "t0 t1 "
    assert time.monotonic() - t0 < 2


def test_a_cancelled_budget_stops_generation_within_a_token() -> None:
    worker = SerialWorker("test")
    long = Slow(1000, 0.01)
    budget = Budget()
    pieces = []
    for piece in worker.stream(long, budget):
        pieces.append(piece)
        if len(pieces) == 3:
            budget.cancelled.set()  # what the web layer does on a disconnect
    assert long.closed.wait(2) and long.produced < 50


def test_a_full_queue_refuses_at_once() -> None:
    worker = SerialWorker("test", max_waiting=1)
    gate = threading.Event()

    def blocked(budget: Budget) -> Iterator[str]:
        gate.wait(5)
        yield "done"

    first = worker.stream(blocked, Budget())
    running = threading.Thread(target=lambda: list(first))
    running.start()
    time.sleep(0.2)  # the worker has taken the first job; one more may wait
    waiting = worker.stream(Slow(1, 0.0), Budget())
    waiter = threading.Thread(target=lambda: list(waiting))
    waiter.start()
    time.sleep(0.2)
    with pytest.raises(BusyError) as refused:
        next(worker.stream(Slow(1, 0.0), Budget()))
    assert refused.value.retry_after > 0 and refused.value.status_code == 503
    gate.set()
    running.join(5)
    waiter.join(5)


def test_a_deadline_cuts_a_slow_answer_and_the_job_stops() -> None:
    worker = SerialWorker("test")
    slow = Slow(1000, 0.05)
    t0 = time.monotonic()
    with pytest.raises(DeadlineError):
        list(worker.stream(slow, Budget.within(0.3)))
    assert time.monotonic() - t0 < 1.0
    assert slow.closed.wait(2) and slow.produced < 30


def test_a_job_that_waited_past_its_deadline_never_starts() -> None:
    worker = SerialWorker("test")
    first = Slow(10, 0.05)
    thread = threading.Thread(target=lambda: list(worker.stream(first, Budget())))
    thread.start()
    time.sleep(0.05)
    late = Slow(5, 0.0)
    with pytest.raises(DeadlineError):
        list(worker.stream(late, Budget.within(0.1)))
    thread.join(5)
    time.sleep(0.1)
    assert late.produced == 0


def test_a_failing_model_reports_and_the_worker_lives_on() -> None:
    worker = SerialWorker("test")

    def broken(budget: Budget) -> Iterator[str]:
        yield "half "
        raise RuntimeError("llama.cpp fell over")

    with pytest.raises(GeneratorError, match="fell over"):
        list(worker.stream(broken, Budget()))
    assert "".join(worker.stream(Slow(1, 0.0), Budget())) == "t0 "
