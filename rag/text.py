"""Pure text helpers shared by answering, citation checking and evals: terms, numbers, names."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours according said says tell told
describe described give name named much many did does what's whats which
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": " ", "–": " ", "\u00a0": " "})


def fold(text: str) -> str:
    """Unicode-normalised, lower-cased text with typographic quotes and dashes made plain."""
    return unicodedata.normalize("NFKC", text).translate(_FOLD).lower()


def plain(text: str) -> str:
    """The text without accents ("kücükdeveci" -> "kucukdeveci")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball English stem ('valued' and 'value' -> 'valu'); numbers are kept as they are."""
    return word if word[:1].isdigit() else str(_STEMMER.stemWord(word))


def terms(text: str) -> list[str]:
    """Stemmed content words and numbers, in order, stopwords dropped."""
    words = _WORD.findall(fold(text).replace("'s ", " "))
    return [
        stem(w.replace(",", ""))
        for w in words
        if (w not in STOPWORDS and len(w) > 1) or w.isdigit()
    ]


def numbers(text: str) -> set[str]:
    """Numbers in the text without thousands separators ('1,000' -> '1000')."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}
