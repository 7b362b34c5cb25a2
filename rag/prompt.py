"""The answer prompt: one versioned file, rendered into chat messages (fixed part first), and
what the LLM reads: the ranker's best sentences within a token budget."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from rag.question import analyse
from rag.rank import Scored
from rag.types import Chunk, Passage

PROMPT_VERSION = "answer-v6"
STOP = ("\n\n",)  # a short answer ends at its first blank line
CHARS_PER_TOKEN = 4  # English prose with the Qwen tokenizer: ~4.2 characters a token
_TITLE_CHARS = 48


@lru_cache(maxsize=4)
def _template(version: str) -> dict[str, str]:
    """The prompt file's `### name` sections: system, user, reminder, reminder for a value."""
    text = (Path(__file__).parent / "prompts" / f"{version}.txt").read_text(encoding="utf-8")
    parts = re.split(r"^### (.+)\n", text, flags=re.M)[1:]
    return {name.strip(): body.strip() for name, body in zip(parts[::2], parts[1::2], strict=True)}


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
    """System rules (identical every time, so llama.cpp reuses its cache) then the user turn,
    which ends by asking for the value first when the question asks for one."""
    t = _template(version)
    reminder = t["reminder for a value"] if analyse(question).asks_value else t["reminder"]
    user = t["user"].format(
        passages=format_passages(passages), question=question, reminder=reminder
    )
    return [{"role": "system", "content": t["system"]}, {"role": "user", "content": user}]


def judge_messages(
    question: str, sentences: Sequence[tuple[str, str]], version: str = PROMPT_VERSION
) -> list[dict[str, str]]:
    """The yes/no check of `rag.judge`: the same system rules as an answer (llama.cpp's cached
    prefix serves both), then the best (title, sentence) pairs and the question."""
    t = _template(version)
    shown = [
        Passage(n, Chunk(f"judge:{n}", "judge", text, 0, len(text)), title, 0.0)
        for n, (title, text) in enumerate(sentences, start=1)
    ]
    user = t["judge"].format(passages=format_passages(shown), question=question)
    return [{"role": "system", "content": t["system"]}, {"role": "user", "content": user}]


def fit(
    passages: Sequence[Passage], ranked: Sequence[Scored], question: str, budget_tokens: int
) -> list[Passage]:
    """The passages holding the best-ranked sentences, each cut to those sentences (document
    order), taken best first while the user turn stays within `budget_tokens`. A passage keeps
    its number, so the model's [n] still points at it; passages with no chosen sentence go."""
    t = _template(PROMPT_VERSION)
    fixed = len(t["user"]) + len(t["reminder for a value"]) + len(question)
    room = budget_tokens * CHARS_PER_TOKEN - fixed
    by_n = {p.n: p for p in passages}
    chosen: dict[int, list[Scored]] = {}
    for r in ranked:
        cost = (
            len(r.text) + 1 + (0 if r.n in chosen else min(len(by_n[r.n].title), _TITLE_CHARS) + 8)
        )
        if cost > room:
            if chosen:
                break
            continue  # one sentence longer than the whole budget: look for a shorter one
        chosen.setdefault(r.n, []).append(r)
        room -= cost
    return [
        replace(p, excerpt=" ".join(r.text for r in sorted(chosen[p.n], key=lambda r: r.start)))
        for p in passages
        if p.n in chosen
    ]
