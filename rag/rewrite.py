"""Follow-up questions -> standalone questions, by rule (no model needed)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import STOPWORDS

_FOLLOW_UP = re.compile(
    r"^\s*(?:and|but|also|so|what about|how about|then)\b"
    r"|\b(?:it|its|they|them|their|this|that|these|those|he|she|his|her|there|the deal|the same)\b",
    re.I,
)
_WORD = re.compile(r"[A-Za-z0-9$][\w$.’'-]*")
MAX_TOPIC_WORDS = 8


def is_follow_up(question: str) -> bool:
    """Does the question lean on an earlier turn (a pronoun, a leading 'and', very short)?"""
    return bool(_FOLLOW_UP.search(question)) or len(question.split()) <= 3


def topic(question: str) -> str:
    """The content words of a question, in order: 'value USSM MoU'."""
    words = [w.strip(".,?!'’") for w in _WORD.findall(question)]
    kept = [w for w in words if w.lower() not in STOPWORDS and len(w) > 1]
    return " ".join(kept[:MAX_TOPIC_WORDS])


def standalone(question: str, history: Sequence[dict[str, str]]) -> str:
    """The question itself, or the question plus the topic of the last user turn it refers to."""
    previous = [t["content"] for t in history if t.get("role") == "user" and t.get("content")]
    if not previous or not is_follow_up(question):
        return question
    core = re.sub(r"^\s*(?:and|but|also|so|then)\b[\s,]*", "", question, flags=re.I).strip()
    core = core[:1].upper() + core[1:]
    about = topic(previous[-1])
    return f"{core.rstrip('?').rstrip()} (about: {about})?" if about else core
