"""What a question asks for: the kind of value an answer must contain, and the asked attribute.

"How many jobs ...?" needs a count of jobs, "What was the quantity in tonnes ...?" a weight,
"When ...?" a date. A sentence without that kind of value does not answer the question, however
well its words match: the extractive ranker demotes it, and the pipeline abstains when an LLM
answer lacks it (a small model otherwise answers "how many jobs?" with the deal's dollar value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.values import MONTHS

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?"
    r"|thousands?|millions?|billions?"
)
_NUMBER = rf"(?:\d[\d,.]*|\b(?:{_NUMBER_WORDS})\b)"
_ANY_NUMBER = re.compile(_NUMBER, re.I)
# A wh-word that opens the question ("when" later is a conjunction: "present when ... inked").
_START = r"^\W*(?:(?:and|but|so|since|then)\s+)?"
_WEIGHT = re.compile(rf"{_NUMBER}\s*(?:metric\s+)?(?:tonnes|tons|kg|kilograms|pounds|lbs)\b", re.I)
_DATE = re.compile(rf"\b(?:{MONTHS}|\d{{4}})\b")


@dataclass(frozen=True)
class Want:
    """A kind of answer: when the question asks for it, and what a sentence giving it contains."""

    label: str
    asks: re.Pattern[str]
    has: re.Pattern[str]  # what a good answer sentence contains (ranks sentences)
    # What any answer must contain, or None when the kind is too loose to refuse on ("who?"
    # may be answered by a surname alone; "how much copper?" in tonnes, not dollars).
    needs: re.Pattern[str] | None = None


def _exact(label: str, asks: re.Pattern[str], pattern: re.Pattern[str]) -> Want:
    """A kind every answer must contain, the same pattern ranking sentences and refusing."""
    return Want(label, asks, pattern, pattern)


WANTS = [
    Want(
        "an amount",
        re.compile(
            r"\b(how much|value of|worth|cost|price|amount|valued|how big|how large)\b", re.I
        ),
        re.compile(
            r"[$€£]\s?\d|\d+(?:\.\d+)?\s*(?:million|billion|trillion|dollars|percent|%)", re.I
        ),
        _ANY_NUMBER,
    ),
    _exact(
        "a date",
        re.compile(rf"{_START}when\b|\b(?:date|(?:what|which) (?:day|year|month))\b", re.I),
        _DATE,
    ),
    _exact("a weight", re.compile(r"\b(tonnes|tons|weight|how heavy)\b", re.I), _WEIGHT),
    _exact(
        "a number",
        re.compile(r"\b(how many|number of|quantity|percent|percentage|rate|how long)\b", re.I),
        _ANY_NUMBER,
    ),
    Want(
        "a place",
        re.compile(rf"{_START}where\b", re.I),
        re.compile(r"\b(?:in|at|from|-based)\b.*[A-Z][a-z]+|[A-Z][a-z]+-based"),
    ),
    Want(
        "a name",
        re.compile(
            rf"{_START}(?:who|whom)\b|\bwhich (?:company|firm|organi[sz]ation|official|person)\b",
            re.I,
        ),
        re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+"),
    ),
]

# "how many jobs": the counted noun (not "how many of the ...", "how many more ...").
_COUNTED = re.compile(r"\bhow many\s+(?!of\b|more\b|times\b|other\b)([a-z][a-z-]{2,})", re.I)
# "What was the commercial value of ...", "What is the population of ...": the asked attribute.
_ATTRIBUTE = re.compile(
    r"^\s*(?:what|which)\s+(?:is|was|are|were|will be)\s+the\s+((?:[a-z-]+\s+){0,2}?[a-z-]+)"
    r"\s+(?:of|in|for|from)\b",
    re.I,
)


@lru_cache(maxsize=256)  # the ranker asks once per candidate sentence
def wants(question: str) -> tuple[Want, ...]:
    """The kinds of value the question asks for (often none, sometimes two)."""
    found = [w for w in WANTS if w.asks.search(question)]
    noun = _COUNTED.search(question)
    if noun:
        stem = re.escape(noun.group(1).lower()[:4])
        # "2,000 new jobs" or "jobs ... is 2,000"
        count = re.compile(
            rf"{_NUMBER}\s+(?:[\w-]+\s+){{0,3}}?{stem}|{stem}\w*\s+(?:[\w-]+\s+){{0,3}}?{_NUMBER}",
            re.I,
        )
        found.append(_exact(f"a number of {noun.group(1)}", _COUNTED, count))
    return tuple(found)


def lacking(question: str, text: str) -> str | None:
    """The kind of value the question asks for that `text` does not contain, or None."""
    for want in wants(question):
        if want.needs is not None and not want.needs.search(text):
            return want.label
    return None


@lru_cache(maxsize=256)
def attribute(question: str) -> str | None:
    """The attribute the question asks about ("commercial value"), lower-case, or None."""
    match = _ATTRIBUTE.search(question)
    return match.group(1).lower() if match else None


_OWNER = re.compile(r"\bof\s+(?:the\s+)?((?:[\w’'-]+\s+){0,4}[\w’'-]+)\s*\?*\s*$", re.I)


@lru_cache(maxsize=256)
def owner(question: str) -> str | None:
    """Whose attribute is asked: the last word of a closing "of the ..." phrase ("shipment")."""
    match = _OWNER.search(question)
    return match.group(1).split()[-1].lower() if match else None
