"""Values of the kind a question asks for (an amount, a share, a date, a named thing), read off
a sentence with keys that make equal values compare equal ("$6 trillion" == "US$6,000 billion")."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_MONEY = re.compile(
    r"(?:US)?\$\s?(\d+(?:[.,]\d+)*)\s*(thousand|million|billion|trillion)?"
    r"|(\d+(?:[.,]\d+)*)\s*(thousand|million|billion|trillion)\s+(?:US\s+)?dollars",
    re.I,
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b)", re.I)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b(?:{MONTHS})\s+\d{{1,2}}(?:,\s*\d{{4}})?|\b(?:{MONTHS})\s+\d{{4}}")

_ASKS_MONEY = re.compile(r"\b(how much|worth|value|valued|cost|price|amount|estimate)\b", re.I)
_ASKS_PERCENT = re.compile(r"\b(percent|percentage|share|rate|tariff)\b", re.I)
_ASKS_DATE = re.compile(r"\b(when|what date|which date|which day)\b", re.I)
_ASKS_WHICH = re.compile(r"\bwhich\s+((?:[\w.-]+\s+){0,2}[\w-]+)", re.I)
# Question nouns that ask for an organisation, and the last words an organisation's name ends with.
_ORG_NOUNS = {"group", "organization", "organisation", "outfit", "militant", "militants"}
_ORG_NAME = re.compile(
    r"\b(?:[A-Z][\w’'-]+\s+){1,4}"
    r"(?:Army|Brigade|Front|Group|Organization|Organisation|Party|Movement|Council|Force|Forces)\b"
)


@dataclass(frozen=True)
class Value:
    """One value a sentence gives, with a key that makes equal values compare equal."""

    text: str
    key: str


Extractor = Callable[[str], list[Value]]


def _money(sentence: str) -> list[Value]:
    out = []
    for m in _MONEY.finditer(sentence):
        number, scale = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        amount = float(number.replace(",", "")) * _SCALE.get((scale or "").lower(), 1.0)
        out.append(Value(m.group().strip(), f"${amount:.4g}"))
    return out


def _percent(sentence: str) -> list[Value]:
    return [Value(m.group(), f"{float(m.group(1)):g}%") for m in _PERCENT.finditer(sentence)]


def _date(sentence: str) -> list[Value]:
    return [
        Value(m.group(), re.sub(r",?\s*\d{4}$", "", m.group())) for m in _DATE.finditer(sentence)
    ]


_NOT_NAMES = {"the", "a", "an", "this", "that", "its", "their"}


def _key(name: str) -> str:
    return re.sub(r"^the\s+", "", name.strip().lower())


def _named(noun: str) -> Extractor:
    # "the Biden administration" for "Which administration ...?", and a title before a name,
    # "Senator Aimal Wali Khan", for "Which senator ...?".
    before = re.compile(rf"\b((?:[A-Z][\w.’'-]+\s+){{1,3}}){noun}\b")
    title = re.compile(rf"\b{noun.capitalize()}\s+((?:[A-Z][\w.’'-]+\s+){{0,2}}[A-Z][\w.’'-]+)")

    def extract(sentence: str) -> list[Value]:
        found = [Value(m.group().strip(), _key(m.group(1))) for m in before.finditer(sentence)]
        found += [Value(m.group(1), _key(m.group(1))) for m in title.finditer(sentence)]
        return [v for v in found if v.key not in _NOT_NAMES]  # "The senator" names no one

    return extract


def _organisation(question: str) -> Extractor:
    asked = {w.lower() for w in re.findall(r"[\w-]+", question)}

    def extract(sentence: str) -> list[Value]:
        # A name made only of the question's own words ("the Baloch Army") is no answer.
        names = [re.sub(r"^The\s+", "", m.group()) for m in _ORG_NAME.finditer(sentence)]
        return [Value(n, _key(n)) for n in names if not {w.lower() for w in n.split()} <= asked]

    return extract


def _which(question: str, phrase: str) -> Extractor | None:
    """`Which X ...?`: names of the asked noun ("the Biden administration"), or organisations."""
    words = phrase.split()
    if _ORG_NOUNS & {w.lower() for w in words}:
        return _organisation(question)
    # The noun is the first common (lower-case) word: "which US administration", "which senator".
    noun = next((w for w in words if w.isalpha() and w.islower() and len(w) >= 4), None)
    return _named(noun) if noun else None


def _measure(question: str) -> Extractor | None:
    if _ASKS_DATE.search(question):
        return _date
    if _ASKS_MONEY.search(question):
        return _money
    if _ASKS_PERCENT.search(question):
        return _percent
    return None


@lru_cache(maxsize=256)  # the ranker asks once per candidate sentence
def named_extractor(question: str) -> Extractor | None:
    """`Which X ...?` that asks no amount, share or date: names of the asked X, else None."""
    which = _ASKS_WHICH.search(question)
    if which is None or _measure(question) is not None:
        return None
    return _which(question, which.group(1))


def extractor_for(question: str) -> Extractor | None:
    """A function sentence -> values of the kind the question asks for, or None."""
    return _measure(question) or named_extractor(question)
