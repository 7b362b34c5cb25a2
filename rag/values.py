"""Values of one kind (an amount, a share, a date, a named thing) read off a sentence, with keys
that make equal values compare equal ("$6 trillion" == "US$6,000 billion") and different ones
differ ("June 28, 1919" != "June 28, 1920"; "€5 million" != "$5 million").

Which kind a question asks for is decided in `rag.question`; this module only reads values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH_NO = {m.lower(): i for i, m in enumerate(MONTHS.split("|"), start=1)}
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_WORDS = {
    "dollar": "USD",
    "euro": "EUR",
    "pound": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "rupee": "RS",
    "franc": "CHF",
    "mark": "DEM",
    "yuan": "CNY",
    "renminbi": "CNY",
    "ruble": "RUB",
    "rouble": "RUB",
}
CURRENCY_SIGN = r"(?:US|A|C|HK|NZ)?[$€£¥₹]|\b(?:USD|EUR|GBP|JPY|INR|PKR|CNY|Rs\.?)"
CURRENCY_WORDS = (
    r"(?:US\s+)?(?:dollars?|euros?|pounds?(?:\s+sterling)?|yen|rupees?|francs?|marks?|yuan"
    r"|renminbi|roubles?|rubles?)"
)
_AMOUNT = r"(\d+(?:[.,]\d+)*)\s*(thousand|million|billion|trillion|bn|m)?"
_MONEY = re.compile(
    rf"({CURRENCY_SIGN})\s?{_AMOUNT}\b|\b{_AMOUNT}\s+({CURRENCY_WORDS})\b",
    re.I,
)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)", re.I)
_DATE = re.compile(
    rf"\b(?P<m1>{MONTHS})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(?P<y1>\d{{4}}))?\b"
    rf"|\b(?P<d2>\d{{1,2}})\s+(?P<m2>{MONTHS})(?:,?\s*(?P<y2>\d{{4}}))?\b"
    rf"|\b(?P<m3>{MONTHS}),?\s+(?P<y3>\d{{4}})\b"
    r"|\b(?P<y4>\d{1,4})\s*(?P<era>AD|BC|BCE|CE)\b|\b(?:AD)\s*(?P<y5>\d{1,4})\b"
    r"|\b(?P<y6>(?:1\d|20)\d{2})\b(?!s)"
    r"|\b(?P<c>\d{1,2})(?:st|nd|rd|th)[- ]century\b",
    re.I,
)


@dataclass(frozen=True)
class Value:
    """One value a sentence gives; `key` parts joined by '|', '?' for a part it leaves open."""

    text: str
    key: str

    def agrees(self, other: Value) -> bool:
        """Same kind and no known part differs ("September 8" agrees with "September 8, 2025")."""
        mine, theirs = self.key.split("|"), other.key.split("|")
        if len(mine) != len(theirs) or mine[0] != theirs[0]:
            return False
        return all(a == b or "?" in (a, b) for a, b in zip(mine, theirs, strict=True))


Extractor = Callable[[str], list[Value]]


def _currency(token: str) -> str:
    token = token.strip().lower().removeprefix("us").strip()
    for sign, code in _SIGNS.items():
        if token.endswith(sign):
            return code
    for word, code in _WORDS.items():
        if token.startswith(word):
            return code
    return token.upper().rstrip(".") or "?"


def money(sentence: str) -> list[Value]:
    """Amounts of money in any currency; the key holds the currency and the amount."""
    out = []
    for m in _MONEY.finditer(sentence):
        if m.group(1):
            currency, number, scale = m.group(1), m.group(2), m.group(3)
        else:
            number, scale, currency = m.group(4), m.group(5), m.group(6)
        scale = {"bn": "billion", "m": "million"}.get((scale or "").lower(), (scale or "").lower())
        amount = float(number.replace(",", "")) * _SCALE.get(scale, 1.0)
        out.append(Value(m.group().strip(), f"money|{_currency(currency)}|{amount:.4g}"))
    return out


def percent(sentence: str) -> list[Value]:
    """Percentages ("19%", "19 percent")."""
    return [Value(m.group(), f"pct|{float(m.group(1)):g}") for m in _PERCENT.finditer(sentence)]


def dates(sentence: str) -> list[Value]:
    """Dates with every part the sentence gives: year (with era), month, day; or a century."""
    out = []
    for m in _DATE.finditer(sentence):
        g = m.groupdict()
        if g["c"]:
            out.append(Value(m.group(), f"century|{int(g['c'])}|?|?"))
            continue
        month = g["m1"] or g["m2"] or g["m3"]
        day = g["d1"] or g["d2"]
        year = g["y1"] or g["y2"] or g["y3"] or g["y4"] or g["y5"] or g["y6"]
        if year and (g["era"] or "").upper() in {"BC", "BCE"}:
            year = f"-{year}"
        parts = [
            str(int(year)) if year else "?",
            str(_MONTH_NO[month.lower()]) if month else "?",
            str(int(day)) if day else "?",
        ]
        out.append(Value(m.group(), "date|" + "|".join(parts)))
    return out


_NOT_NAMES = {"the", "a", "an", "this", "that", "its", "their", "his", "her"}
# Adjectives of origin are not names: "Scottish scientist" and "British scientist" may both be
# right about one person.
_DEMONYM = re.compile(r"^(?:[a-z]+(?:ish|ese|ian|ean|ic|an|i)|french|dutch|greek|swiss|thai)$")


def _key(name: str) -> str:
    return re.sub(r"^the\s+", "", name.strip().lower())


def _is_name(key: str) -> bool:
    words = key.split()
    return bool(words) and key not in _NOT_NAMES and not all(_DEMONYM.match(w) for w in words)


def named(noun: str) -> Extractor:
    """Names of a noun: "the Biden administration" and "Senator Aimal Wali Khan"."""
    before = re.compile(rf"\b((?:[A-Z][\w.’'-]+\s+){{1,3}}){noun}\b")
    title = re.compile(rf"\b{noun.capitalize()}\s+((?:[A-Z][\w.’'-]+\s+){{0,2}}[A-Z][\w.’'-]+)")

    def extract(sentence: str) -> list[Value]:
        found = [Value(m.group().strip(), _key(m.group(1))) for m in before.finditer(sentence)]
        found += [Value(m.group(1), _key(m.group(1))) for m in title.finditer(sentence)]
        return [Value(v.text, f"name|{v.key}") for v in found if _is_name(v.key)]

    return extract


# The last words an organisation's name ends with.
_ORG_NAME = re.compile(
    r"\b(?:[A-Z][\w’'-]+\s+){1,4}"
    r"(?:Army|Brigade|Front|Group|Organization|Organisation|Party|Movement|Council|Force|Forces)\b"
)


def organisations(question: str) -> Extractor:
    """Names of organisations, except a name made only of the question's own words."""
    asked = {w.lower() for w in re.findall(r"[\w-]+", question)}

    def extract(sentence: str) -> list[Value]:
        names = [re.sub(r"^The\s+", "", m.group()) for m in _ORG_NAME.finditer(sentence)]
        return [
            Value(n, f"name|{_key(n)}")
            for n in names
            if not {w.lower() for w in n.split()} <= asked
        ]

    return extract
