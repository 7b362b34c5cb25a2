"""Names a question asks about that no indexed document mentions.

"How much slower does a program run under Cachegrind?" asked of a corpus where "Cachegrind" never
appears cannot be answered from it, however closely a sentence about Memcheck matches the rest of
the question. The reader, shown one sentence at a time, does not know what the corpus lacks; the
corpus's vocabulary does. A name here is a word written like one, past the question's first
word: capitalised ("Cachegrind", "Raspberry Pi"), an acronym ("MPFR"), mixed case ("iPhone") or
letters with digits ("x86"). A name one typing slip away from a corpus word ("Maastrich" for
"Maastricht") or a short form of one ("Postgres" for "PostgreSQL") counts as mentioned.
Measured in docs/evaluation.md.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Iterator

from rag.text import stem, terms

_NAME = re.compile(
    r"(?<![\w'’-])(?:[A-Z][\w'’-]*[A-Za-z0-9]|[a-z]+[A-Z][\w-]*|[A-Za-z]+\d[\w-]*)(?![\w'’-])"
)
_NOT_A_NAME = re.compile(r"^(?:I|I'm|I've|OK)$")
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_CAPITALISED_RUN = re.compile(
    r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|for|the|de|du|von)\s+)*[A-Z][\w'’-]*)+"
)
_SMALL = {"of", "and", "for", "the", "de", "du", "von"}
_LONGEST_NAME = 12  # words in a capitalised run that can be spelled as an acronym


def acronyms(text: str) -> set[str]:
    """What a text abbreviates, as lower-case words: dotted ("U.S." -> "us") and the initials of
    its runs of capitalised words ("American Automobile Association" -> "aaa", and its parts)."""
    found = {m.group().replace(".", "").lower() for m in _DOTTED.finditer(text)}
    for m in _CAPITALISED_RUN.finditer(text):
        words = [w for w in m.group().split() if w not in _SMALL]
        if len(words) > _LONGEST_NAME:
            continue  # text set in capitals (a licence's disclaimer), not a name
        initials = "".join(w[0] for w in words).lower()
        found.update(
            initials[i:j]
            for i in range(len(initials))
            for j in range(i + 2, min(len(initials), i + 6) + 1)
        )
    return found


def names(question: str) -> list[str]:
    """The name-like words of a question, past its first word and any sentence start in it."""
    found = []
    for m in _NAME.finditer(question):
        before = question[: m.start()].rstrip()
        if not before or before[-1] in '.?!:;"“(' or _NOT_A_NAME.match(m.group()):
            continue  # a capital that only starts a sentence or a quote says nothing
        found.append(re.sub(r"['’]s?$", "", m.group()))  # "Albemarle's" names Albemarle
    return found


class Lexicon(Collection[str]):
    """A corpus's words, with the ones starting with a prefix found by bisection: a question's
    short forms are looked up in time logarithmic in the vocabulary, not by a scan of it (a scan
    took ~0.2 s per unknown name over 460,000 words)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self.ordered = sorted(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def __iter__(self) -> Iterator[str]:
        return iter(self.ordered)

    def __len__(self) -> int:
        return len(self.words)

    def starting(self, prefix: str) -> Iterator[str]:
        for word in self.ordered[bisect.bisect_left(self.ordered, prefix) :]:
            if not word.startswith(prefix):
                return
            yield word


def unknown(question: str, vocabulary: Collection[str]) -> list[str]:
    """The question's names with a word no indexed sentence holds, even one edit away."""
    lexicon = vocabulary if isinstance(vocabulary, Lexicon) else Lexicon(vocabulary)
    return [
        name
        for name in dict.fromkeys(names(question))
        if any(not _known(t, lexicon) for t in terms(name))
    ]


def _known(term: str, vocabulary: Lexicon) -> bool:
    if term in vocabulary or term.isdigit():
        return True
    if len(term) < 5:  # short words are one edit away from too many others
        return False
    if any(stem(e) in vocabulary or e in vocabulary for e in _edits(term)):
        return True
    # "Postgres" for "PostgreSQL": one word (stemmed) the other with at most four letters more,
    # neither under five letters.
    shorter = any(term[:k] in vocabulary for k in range(max(5, len(term) - 4), len(term)))
    return shorter or any(len(w) <= len(term) + 4 for w in vocabulary.starting(term))


def _edits(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + swaps + replaces + inserts)
