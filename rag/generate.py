"""Answer backends behind one Protocol, a factory, and a fallback chain that says who answered."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rag.config import Settings
from rag.types import Passage

ABSTAIN = "The indexed sources don't say."
# How an LLM says it cannot answer from the passages (the prompt asks for the first form).
DONT_KNOW = re.compile(
    r"\bI (?:don't|do not|cannot|can't) (?:know|answer|find)\b"
    r"|\b(?:sources|passages|context) (?:do not|don't|does not|doesn't) "
    r"(?:say|contain|mention|provide|specify|state)\b"
    r"|\bnot (?:mentioned|specified|stated|provided) in the (?:sources|passages)\b",
    re.I,
)
ORDER = ("local", "hosted", "extractive")
RESET = "\u0000reset"  # yielded by the chain when a backend failed mid-stream


class Generator(Protocol):
    """Turns a question and numbered passages into answer text that cites them as [n]."""

    name: str

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Pieces of the answer text as they are produced; raises GeneratorError on failure."""
        ...


@dataclass
class Attempt:
    """What the chain did for one answer: who answered and why others were skipped."""

    backend: str = ""
    warnings: list[str] = field(default_factory=list)


class FallbackChain:
    """Tries backends in order; the first that finishes answers, failures become warnings."""

    def __init__(self, backends: Sequence[tuple[str, Generator | Exception]]) -> None:
        self.backends = list(backends)

    def stream(self, question: str, passages: Sequence[Passage], attempt: Attempt) -> Iterator[str]:
        """Tokens of the first backend that succeeds; RESET if one failed after emitting."""
        for name, backend in self.backends:
            if isinstance(backend, Exception):
                attempt.warnings.append(f"{name} backend unavailable: {backend}")
                continue
            emitted = False
            try:
                for piece in backend.stream(question, passages):
                    emitted = True
                    yield piece
            except Exception as exc:  # any backend failure must fall through, never a 500
                attempt.warnings.append(f"{name} backend failed: {exc}")
                if emitted:
                    yield RESET
                continue
            attempt.backend = name
            return
        attempt.backend = "none"


def chain_order(first: str, hosted_configured: bool) -> list[str]:
    """The requested backend, then the ones after it in local -> hosted -> extractive."""
    names = list(ORDER[ORDER.index(first) :])
    if first != "hosted" and not hosted_configured:
        names = [n for n in names if n != "hosted"]
    return names


def default_backend() -> str:
    """`local` when llama-cpp-python is installed, else `extractive`."""
    import importlib.util

    return "local" if importlib.util.find_spec("llama_cpp") else "extractive"


class Backends:
    """Builds each backend once per process, on first use; remembers one that failed to build."""

    def __init__(self, settings: Settings, extractive: Generator) -> None:
        self.settings = settings
        self._built: dict[str, Generator | Exception] = {"extractive": extractive}

    def get(self, name: str) -> Generator | Exception:
        """The backend, or the exception that explains why it cannot be built."""
        if name not in self._built:
            try:
                self._built[name] = _build(name, self.settings)
            except Exception as exc:
                self._built[name] = exc
        return self._built[name]

    def warm(self) -> None:
        """Build the configured backend now (a server loads its model before the first question)."""
        self.chain()

    def chain(self, first: str | None = None) -> FallbackChain:
        """The fallback chain starting at `first` (default: the configured backend)."""
        first = first or self.settings.llm_backend
        if first == "auto":
            first = default_backend()
        order = chain_order(first, bool(self.settings.llm_base_url))
        return FallbackChain([(n, self.get(n)) for n in order])


def _build(name: str, settings: Settings) -> Generator:
    if name == "local":
        from rag.generators.local import LocalGenerator

        return LocalGenerator(settings)
    if name == "hosted":
        from rag.generators.hosted import HostedGenerator

        return HostedGenerator(settings)
    raise ValueError(f"unknown backend {name!r}")
