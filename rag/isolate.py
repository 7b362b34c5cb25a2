"""Parse a file in a child process with a memory cap and a wall-clock limit.

A zip bomb, a pathological PDF or a page that OCR chews on for minutes costs that child, never
the server's memory or the index writer's lock: over the cap the child fails (MemoryError, or
the kernel stops it), past the limit it is killed, and the file gets a clear ParseError. Plain
text, bounded by the upload size and linear to read, is parsed in-process.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from rag.parse import Parsed, ParseError, parse

IN_PROCESS = (".txt",)


CHECK_EVERY_S = 0.25


def parse_isolated(
    name: str,
    data: bytes,
    memory_mb: int,
    timeout_s: float,
    gone: Callable[[], bool] | None = None,
) -> Parsed:
    """`parse(name, data)`, in a child process for formats whose cost is not linear in size.
    `gone()` is asked every CHECK_EVERY_S: when it says the client has left, the child is killed
    and the file refused (nobody is waiting for it)."""
    if name.lower().endswith(IN_PROCESS):
        return parse(name, data)
    context = multiprocessing.get_context("spawn")  # no fork of a process holding models
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(name, data, memory_mb, send), daemon=True, name="rag-parse"
    )
    child.start()
    send.close()
    try:
        deadline = time.monotonic() + timeout_s
        while not receive.poll(min(CHECK_EVERY_S, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise ParseError(
                    f"{name}: reading it took longer than {timeout_s:.0f} s "
                    "(RAG_PARSE_TIMEOUT_S): refused"
                )
            if gone is not None and gone():
                raise ParseError(f"{name}: the client left; reading it was stopped")
        try:
            kind, value = receive.recv()
        except EOFError:  # the child died: out of memory, or killed
            raise ParseError(
                f"{name}: reading it needed more than {memory_mb} MB (RAG_PARSE_MEMORY_MB) "
                "or crashed the parser: refused"
            ) from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
    if kind == "error":
        raise ParseError(value)
    result: Parsed = value
    return result


def _child(name: str, data: bytes, memory_mb: int, send: Connection) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    answer: tuple[str, Any]
    try:
        answer = ("ok", parse(name, data))
    except ParseError as exc:
        answer = ("error", str(exc))
    except MemoryError:
        answer = ("error", f"{name}: reading it needed more than {memory_mb} MB: refused")
    try:
        send.send(answer)
    finally:
        send.close()
