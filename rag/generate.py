"""Answer backends behind one Protocol, a factory, and a fallback chain that says who answered."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rag.config import Settings
from rag.errors import BusyError, InvalidInputError
from rag.generators.worker import Budget
from rag.types import ABSTAIN, Passage

__all__ = ["ABSTAIN", "DONT_KNOW", "ORDER", "RESET", "Attempt", "Backends", "Generator"]
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

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        budget: Budget,
        leads: Sequence[str] = (),
    ) -> Iterator[str]:
        """Pieces of the answer text as they are produced, stopping when the budget is over;
        raises GeneratorError on failure (DeadlineError past the deadline, BusyError when full).
        `leads`: the values the answer may open with (a backend that can constrain its
        decoding keeps to them; others may ignore them)."""
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

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        attempt: Attempt,
        budget: Budget,
        leads: Sequence[str] = (),
    ) -> Iterator[str]:
        """Tokens of the first backend that succeeds; RESET if one failed after emitting."""
        for name, backend in self.backends:
            if budget.cancelled.is_set():
                break
            if isinstance(backend, Exception):
                attempt.warnings.append(f"{name} backend unavailable: {backend}")
                continue
            emitted = False
            try:
                for piece in backend.stream(question, passages, budget, leads):
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


def llama_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


class Backends:
    """Builds each backend once per process, on first use; remembers one that failed to build.

    The server decides which backends a request may name (`Settings.allowed`), and what "auto"
    means on this machine: local when llama.cpp is installed and its measured speed here
    answers within `llm_auto_max_s` (`expected_seconds`); local that only checks answers when
    just its check fits (`check_seconds`); else extractive."""

    def __init__(self, settings: Settings, extractive: Generator) -> None:
        self.settings = settings
        self._built: dict[str, Generator | Exception] = {"extractive": extractive}
        self._configured: str | None = None
        self.auto_reason = ""
        self.measured = ""  # the local model's speed behind "auto", and when it was measured
        # Which questions an LLM writes answers for; "auto" lowers it to "none" (the local
        # model only checks answers) where a written answer would take too long.
        self.llm_questions = settings.llm_questions

    def replace_extractive(self, extractive: Generator) -> None:
        """Serve a new build's extractive backend (the LLMs stay loaded)."""
        self._built["extractive"] = extractive

    def get(self, name: str) -> Generator | Exception:
        """The backend, or the exception that explains why it cannot be built."""
        if name not in self._built:
            try:
                self._built[name] = _build(name, self.settings)
            except Exception as exc:
                self._built[name] = exc
        return self._built[name]

    @property
    def decided(self) -> bool:
        """Has "auto" been decided (the configured backend is known without loading a model)?"""
        return self._configured is not None or self.settings.llm_backend != "auto"

    @property
    def configured(self) -> str:
        """The server's backend, with "auto" decided once by what this machine can do."""
        if self._configured is None:
            name: str = self.settings.llm_backend
            if name == "auto":
                name, self.auto_reason = self._auto()
            self._configured = name
        return self._configured

    def _auto(self) -> tuple[str, str]:
        if not llama_installed():
            return "extractive", "llama-cpp-python is not installed"
        local = self.get("local")
        if isinstance(local, Exception):
            return "extractive", f"the local model could not load: {local}"
        expected = float(getattr(local, "expected_seconds", float("inf")))
        check = float(getattr(local, "check_seconds", float("inf")))
        limit = self.settings.llm_auto_max_s
        speed: Any = getattr(local, "speed", None)
        if speed is not None and speed.measured_at:
            self.measured = (
                f"{speed.prompt_tps:.0f} prompt tokens/s, {speed.gen_tps:.0f} written tokens/s, "
                f"best of {speed.rounds} rounds at {speed.measured_at}"
            )
        if expected > limit and check <= limit and self.settings.judge_weight > 0:
            # Too slow to write answers, fast enough to check them: the verified quote stands
            # or is withdrawn, and abstention gets the model's judgement (rag.judge).
            self.llm_questions = "none"
            return "local", (
                f"the local model only checks answers here (~{check:.1f} s); a written answer "
                f"would take ~{expected:.1f} s (> {limit} s)"
            )
        if expected > limit:
            close = getattr(self._built.pop("local"), "close", None)
            if close:
                close()  # free its ~1.3 GB
            return "extractive", f"the local model would take ~{expected:.1f} s here (> {limit} s)"
        return "local", f"the local model answers in ~{expected:.1f} s here (<= {limit} s)"

    def allowed(self) -> tuple[str, ...]:
        """Backends a request may ask for: RAG_ALLOWED_BACKENDS, else the configured one and
        extractive (a client cannot load a 1.3 GB model on a server started without it)."""
        names = self.settings.allowed or (self.configured, "extractive")
        return tuple(dict.fromkeys(names))

    def resolve(self, requested: str | None) -> str:
        """The backend one request gets; InvalidInputError for one this server does not allow."""
        if requested is None:
            return self.configured
        if requested not in self.allowed():
            raise InvalidInputError(
                f"backend {requested!r} is not enabled on this server; allowed: "
                f"{', '.join(self.allowed())} (RAG_ALLOWED_BACKENDS)"
            )
        return requested

    def check_capacity(self, requested: str | None) -> str:
        """The backend the request gets; BusyError now (before a stream starts) when that model
        has no room."""
        name = self.resolve(requested)
        full = getattr(self.get(name), "full", None)
        if full is not None and full():
            raise BusyError(f"the {name} model is busy; retry shortly")
        return name

    def warm(self) -> None:
        """Decide "auto" and build the configured backend now, before the first question."""
        self.get(self.configured)

    def chain(self, name: str) -> FallbackChain:
        """The LLM backends to try for `name`, in order (extractive is the draft: not here)."""
        order = [
            n for n in chain_order(name, bool(self.settings.llm_base_url)) if n != "extractive"
        ]
        return FallbackChain([(n, self.get(n)) for n in order])


def _build(name: str, settings: Settings) -> Generator:
    if name == "local":
        from rag.generators.local import LocalGenerator

        return LocalGenerator(settings)
    if name == "hosted":
        from rag.generators.hosted import HostedGenerator

        return HostedGenerator(settings)
    raise ValueError(f"unknown backend {name!r}")
