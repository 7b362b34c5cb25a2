"""What a question asks for, worked out once per question and passed along.

`analyse(question)` gives a `Question`: the kinds of value an answer should contain (an amount,
a date, a number, a weight, a count of a noun, a place, a name), the attribute asked about and
whose it is ("the commercial value of the shipment"), and the extractor that reads the asked value
off a sentence for the conflict check. The sentence ranker, the pipeline's "the answer lacks the
asked value" check and the conflict finder all read this one object.

The patterns describe English, not one corpus: dates include eras, centuries, decades and bare
years; numbers include number words of any size; amounts any currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag import values
from rag.text import terms

MONTHS = values.MONTHS
_UNITS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen"
)
_TENS = r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
NUMBER_WORDS = rf"(?:{_TENS})(?:-(?:{_UNITS}))?|{_UNITS}|dozens?|scores?|hundreds?|thousands?"
NUMBER_WORDS += r"|millions?|billions?|trillions?"
_NUMBER = rf"(?:\d[\d,.]*|\b(?:{NUMBER_WORDS})\b)"
ANY_NUMBER = re.compile(_NUMBER, re.I)
_ORDINAL = (
    r"\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
    r"|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth"
    r"|nineteenth|twentieth|twenty-first"
)
# A date: a month, a year with or without an era, a century, a decade, a weekday.
DATE = re.compile(
    rf"\b(?:{MONTHS})\b|\b\d{{1,4}}\s*(?:AD|BC|BCE|CE)\b|\b(?:AD|BC)\s*\d{{1,4}}\b"
    rf"|\b(?:{_ORDINAL})[- ]centur(?:y|ies)\b|\b\d{{3,4}}s\b|\b(?:1\d|20)\d{{2}}\b"
    r"|\b(?:in|since|by|until|from|after|before|around|circa|c\.)\s+\d{3,4}\b"
    r"|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
    re.I,
)
WEIGHT = re.compile(
    rf"{_NUMBER}\s*(?:metric\s+)?(?:tonnes|tons|kg|kilograms?|grams?|pounds|lbs|ounces)\b", re.I
)
AMOUNT = re.compile(
    rf"{values.CURRENCY_SIGN}\s?\d|\d+(?:\.\d+)?\s*(?:thousand|million|billion|trillion|%|percent)"
    rf"|{_NUMBER}\s+(?:{values.CURRENCY_WORDS})\b",
    re.I,
)
# A wh-word that opens the question ("when" later is a conjunction: "present when ... inked").
_START = r"^\W*(?:(?:and|but|so|since|then|in|on|at|by|during)\s+)?"


@dataclass(frozen=True)
class Kind:
    """A kind of answer: when a question asks for it and what a sentence giving it contains."""

    label: str
    asks: re.Pattern[str]
    has: re.Pattern[str]  # what a good answer sentence contains (a ranking hint)
    # Must every answer contain it? False when the kind is too loose to refuse on: a surname
    # alone answers "who?", a region "where?".
    required: bool = True


KINDS = (
    Kind(
        "an amount",
        re.compile(
            r"\b(how much|value of|worth|cost|price|amount|valued|how big|how large)\b", re.I
        ),
        AMOUNT,
        required=False,  # "how much copper?" may be answered in tonnes; checked as a number
    ),
    Kind(
        "a date",
        re.compile(
            rf"{_START}when\b|\b(?:what|which) (?:date|day|year|month|century|decade|era|time)\b"
            r"|\bwhat date\b|\bin what year\b",
            re.I,
        ),
        DATE,
    ),
    Kind("a weight", re.compile(r"\b(tonnes|tons|weight|how heavy)\b", re.I), WEIGHT),
    Kind(
        "a number",
        re.compile(r"\b(how many|how much|number of|quantity|percent|percentage)\b", re.I),
        ANY_NUMBER,
    ),
    Kind(
        "a measure",
        re.compile(r"\b(how (?:long|old|far|fast|tall|high|deep|wide)|rate)\b", re.I),
        ANY_NUMBER,
        required=False,  # "How long did it last?" may be answered "several years"
    ),
    Kind(
        "a place",
        re.compile(rf"{_START}where\b", re.I),
        re.compile(r"\b(?:in|at|from|near|-based)\b.*[A-Z][a-z]+|[A-Z][a-z]+-based"),
        required=False,
    ),
    Kind(
        "a name",
        re.compile(
            rf"{_START}(?:who|whom)\b|\bwhich (?:company|firm|organi[sz]ation|official|person)\b",
            re.I,
        ),
        re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+"),
        required=False,
    ),
)

_REASON = re.compile(
    rf"{_START}(?:why|how (?:did|does|do|is|was|were|are|can|could|would|will|has|have))\b", re.I
)
_DATE_KIND = next(k for k in KINDS if k.label == "a date")
# A proper name: capitalised words, with "of", "the", "and", "for" or "&" between them.
_PROPER = re.compile(
    r"\b[A-Z][\w.’'&-]*(?:\s+(?:(?:of|the|and|for|de|&)\s+)?[A-Z][\w.’'&-]*)*(?:\s+\([A-Z]+\))?"
)
_THE = re.compile(r"^(?:The|A|An|In|On|At|By|For|From|With|As|But|And)\s+")

# "how many jobs": the counted noun (not "how many of the ...", "how many more ...").
_COUNTED = re.compile(r"\bhow many\s+(?!of\b|more\b|times\b|other\b)([a-z][a-z-]{2,})", re.I)
# "What was the commercial value of ...", "What is the population of ...": the asked attribute.
_ATTRIBUTE = re.compile(
    r"^\s*(?:what|which)\s+(?:is|was|are|were|will be)\s+the\s+((?:[a-z-]+\s+){0,2}?[a-z-]+)"
    r"\s+(?:of|in|for|from)\b",
    re.I,
)
_OWNER = re.compile(r"\bof\s+(?:the\s+)?((?:[\w’'-]+\s+){0,4}[\w’'-]+)\s*\?*\s*$", re.I)
_WHICH = re.compile(r"\bwhich\s+((?:[\w.-]+\s+){0,2}[\w-]+)", re.I)
# "not disclosed", "never made public", "withheld": the detail is unknown. Not "not announced
# until 1912" (it was announced, later) nor "not only disclosed ...".
WITHHELD = re.compile(
    r"\b(?:not|never)\b(?!\s+only\b)[^.;]{0,40}?\b(?:disclosed|revealed|made public|announced"
    r"|released|published|specified)\b(?![^.;]{0,30}\b(?:until|till|before|after|when|in \d))"
    r"|\bwithheld\b|\bundisclosed\b",
    re.I,
)


_ASKS_MONEY = re.compile(r"\b(how much|worth|value|valued|cost|price|amount|estimate)\b", re.I)
_ASKS_PERCENT = re.compile(r"\b(percent|percentage|share|rate|tariff)\b", re.I)
# Question nouns that ask for an organisation ("Which militant group ...?").
_ORG_NOUNS = {"group", "organization", "organisation", "outfit", "militant", "militants"}


def _measure(question: str) -> values.Extractor | None:
    """The value reader for a question asking for a date, an amount or a share, else None."""
    if _DATE_KIND.asks.search(question):
        return values.dates
    if _ASKS_MONEY.search(question):
        return values.money
    if _ASKS_PERCENT.search(question):
        return values.percent
    return None


def _which(question: str, phrase: str) -> values.Extractor | None:
    """`Which X ...?`: names of the asked noun ("the Biden administration"), or organisations."""
    words = phrase.split()
    if _ORG_NOUNS & {w.lower() for w in words}:
        return values.organisations(question)
    # The noun is the first common (lower-case) word: "which US administration", "which senator".
    noun = next((w for w in words if w.isalpha() and w.islower() and len(w) >= 4), None)
    return values.named(noun) if noun else None


@dataclass(frozen=True)
class Question:
    """One question, analysed once."""

    text: str
    kinds: tuple[Kind, ...]
    attribute: str | None  # "commercial value" in "What was the commercial value of ..."
    owner: str | None  # "shipment" in "... of the first shipment?"
    extract: values.Extractor | None  # reads the asked value off a sentence, for conflicts
    named: values.Extractor | None  # names of the X in "which X ...?"

    def lacking(self, text: str) -> str | None:
        """The required kind of value that `text` does not contain, or None."""
        for kind in self.kinds:
            if kind.required and not kind.has.search(text):
                return kind.label
        return None

    @property
    def asks_value(self) -> bool:
        """Does the question ask for a kind of value (an amount, date, number, name, place)?
        ("Which X ...?" alone does not, nor "how long ...?": the answer may be any phrase.)"""
        return any(k.label != "a measure" for k in self.kinds)

    def value(self, sentence: str) -> str | None:
        """The asked value as `sentence` writes it, when exactly one can be picked. Two
        candidates: None (guessing between them would put a wrong value first)."""
        found = self.candidates(sentence, names=False)
        return found[0] if len(found) == 1 else None

    def candidates(self, text: str, names: bool = True) -> list[str]:
        """Every value of the asked kind that `text` writes and the question does not already
        hold, as written ("2" inside "2 tonnes" is not a second one). `names`: for "who" and
        "where", runs of capitalised words count too (too loose to pick one without a reader)."""
        if self.extract is not None:
            found = [v.text for v in self.extract(text)]
        else:
            counts = [k for k in self.kinds if k.asks is _COUNTED]
            exact = counts or [k for k in self.kinds if k.required]
            found = [m.group() for k in exact for m in k.has.finditer(text)]
        if names and any(k.label in ("a name", "a place") for k in self.kinds):
            found += [_name(m.group(), self.text) for m in _PROPER.finditer(text)]
        asked = self.text.casefold()
        fresh = list(dict.fromkeys(t.strip() for t in found if t.strip().casefold() not in asked))
        return [t for t in fresh if t and not any(t != u and t in u for u in fresh)]

    def withheld(self, sentence: str) -> bool:
        """The sentence says that the very detail asked about was not made public."""
        if not self.attribute or not WITHHELD.search(sentence):
            return False
        # "the commercial value of the shipment" is not "the value of the MoU".
        return set(terms(f"{self.attribute} {self.owner or ''}")) <= set(terms(sentence))

    def hint(self, sentence: str) -> float:
        """A multiplier for a sentence's first-stage score from the kinds asked for."""
        factor = 1.0
        for kind in self.kinds:
            factor *= 1.15 if kind.has.search(sentence) else 0.6
        if self.named is not None and self.named(sentence):
            factor *= 1.3
        return factor


def _name(run: str, question: str) -> str:
    """A capitalised run as a name: after a possessive, without a leading article or the
    question's own words ("U.S. Strategic Metals CEO Stacy Hastie" asked about USSM's CEO)."""
    run = re.split(r"[’']s\s+", run)[-1]
    words = _THE.sub("", run).split()
    asked = {w.casefold().strip("?.,") for w in question.split()}
    while len(words) > 1 and words[0].casefold().strip(".,") in asked:
        words.pop(0)
    name = " ".join(words)
    return name[:-1] if name.endswith(".") and name.count(".") == 1 else name


def _counted(noun: str) -> Kind:
    stem = re.escape(noun.lower()[:4])
    # "2,000 new jobs" or "jobs ... is 2,000"
    count = re.compile(
        rf"{_NUMBER}\s+(?:[\w-]+\s+){{0,3}}?{stem}\w*|{stem}\w*\s+(?:[\w-]+\s+){{0,3}}?{_NUMBER}",
        re.I,
    )
    return Kind(f"a number of {noun}", _COUNTED, count)


@lru_cache(maxsize=1024)
def analyse(text: str) -> Question:
    """What `text` asks for (cached: the pipeline, ranker and conflict check share it)."""
    # "Why ...?" and "How did ...?" ask for a reason or a manner, whatever values they mention.
    kinds = [] if _REASON.search(text) else [k for k in KINDS if k.asks.search(text)]
    noun = _COUNTED.search(text)
    if noun:
        kinds.append(_counted(noun.group(1)))
    attribute = _ATTRIBUTE.search(text)
    owner = _OWNER.search(text)
    measure = _measure(text)
    which = _WHICH.search(text)
    named = _which(text, which.group(1)) if which and not measure else None
    return Question(
        text=text,
        kinds=tuple(kinds),
        attribute=attribute.group(1).lower() if attribute else None,
        owner=owner.group(1).split()[-1].lower() if owner else None,
        extract=measure or named,
        named=named,
    )
