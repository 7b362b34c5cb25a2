"""What a request may ask: a question, k, a backend, earlier turns; clear errors otherwise."""

from __future__ import annotations

from collections.abc import Sequence

from rag.errors import InvalidInputError
from rag.generate import ORDER

MAX_QUESTION_CHARS = 2000
MAX_K = 50
MAX_TURNS = 20


def validate_history(history: Sequence[dict[str, str]] | None) -> list[dict[str, str]]:
    """Prior turns as [{"role": "user"|"assistant", "content": str}], checked."""
    turns = list(history or [])
    if len(turns) > MAX_TURNS:
        raise InvalidInputError(f"history has {len(turns)} turns; the limit is {MAX_TURNS}")
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("role") not in {"user", "assistant"}:
            raise InvalidInputError(f"history[{i}] needs a role of 'user' or 'assistant'")
        if (
            not isinstance(turn.get("content"), str)
            or len(turn["content"]) > 4 * MAX_QUESTION_CHARS
        ):
            raise InvalidInputError(f"history[{i}].content must be text of at most 8000 chars")
    return turns


def validate_question(question: str, k: int | None, backend: str | None = None) -> str:
    """The stripped question, or an InvalidInputError saying what is wrong."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidInputError("question is empty: ask something about the indexed documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInputError(
            f"question is {len(question)} characters; the limit is {MAX_QUESTION_CHARS}"
        )
    if k is not None and not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k must be between 1 and {MAX_K}, got {k}")
    if backend is not None and backend not in ORDER:
        raise InvalidInputError(f"backend must be one of {', '.join(ORDER)}, got {backend!r}")
    return question.strip()
