"""The answer prompt: one versioned file, rendered into chat messages (fixed part first)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from rag.types import Passage

PROMPT_VERSION = "answer-v3"
_TITLE_CHARS = 90


@lru_cache(maxsize=4)
def _template(version: str) -> tuple[str, str]:
    text = (Path(__file__).parent / "prompts" / f"{version}.txt").read_text(encoding="utf-8")
    _, rest = text.split("### system\n", 1)
    system, user = rest.split("### user\n", 1)
    return system.strip(), user.strip()


def format_passages(passages: Sequence[Passage]) -> str:
    """'[n] (Title) text' blocks; long titles are cut so the passage text dominates."""
    blocks = []
    for p in passages:
        title = p.title if len(p.title) <= _TITLE_CHARS else p.title[:_TITLE_CHARS].rstrip() + "…"
        blocks.append(f"[{p.n}] ({title}) {' '.join(p.prompt_text.split())}")
    return "\n\n".join(blocks)


def messages(
    question: str, passages: Sequence[Passage], version: str = PROMPT_VERSION
) -> list[dict[str, str]]:
    """System rules (identical every time, so llama.cpp reuses its cache) then the user turn."""
    system, user = _template(version)
    return [
        {"role": "system", "content": system},
        {
            "role": "user",
            "content": user.format(passages=format_passages(passages), question=question),
        },
    ]
