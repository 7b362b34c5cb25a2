"""Pure scoring functions: answer matching, retrieval hits, citation and abstention metrics."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from rag.text import fold

_SCALE = {
    "k": "thousand",
    "m": "million",
    "mn": "million",
    "bn": "billion",
    "b": "billion",
    "tn": "trillion",
    "t": "trillion",
}
_MONEY_ABBR = re.compile(r"(?:us)?\$\s?(\d+(?:\.\d+)?)\s?(k|m|mn|bn|b|tn|t)\b")
_DOLLARS = re.compile(r"(?:us)?\$\s?(\d+(?:\.\d+)?)")


def normalise(text: str) -> str:
    """Lower case, plain quotes, no thousands commas, '$500m' and '500 million dollars' alike."""
    text = fold(text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = _MONEY_ABBR.sub(lambda m: f" {m.group(1)} {_SCALE[m.group(2)]}", text)
    text = _DOLLARS.sub(r" \1", text)
    text = re.sub(r"\b(us )?dollars?\b", " ", text)
    text = re.sub(r"\bpercent\b|\bper cent\b", "%", text)
    text = re.sub(r"(\d)\s+%", r"\1%", text)
    text = re.sub(r"[^\w%.\s-]|(?<!\d)\.|\.(?!\d)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def contains(answer: str, expected: str) -> bool:
    """Does the normalised answer contain the normalised expected string (on word boundaries)?"""
    a, e = normalise(answer), normalise(expected)
    return bool(e) and re.search(rf"(?<![\w.]){re.escape(e)}(?![\w])", a) is not None


def answer_correct(item: dict[str, Any], result: dict[str, Any]) -> bool:
    """Unanswerable: abstained. Otherwise: not abstained, any `answers` and all `also` present."""
    if item["kind"] == "unanswerable":
        return bool(result["abstained"])
    if result["abstained"]:
        return False
    text = result["answer"]
    return any(contains(text, a) for a in item["answers"]) and all(
        contains(text, a) for a in item.get("also", [])
    )


def _from_gold(doc_id: str, sources: Iterable[str]) -> bool:
    return any(doc_id.startswith(s) for s in sources)


def retrieval_hit(item: dict[str, Any], result: dict[str, Any], k: int | None = None) -> bool:
    """A gold source is among the (first k) retrieved passages."""
    retrieved = result.get("retrieved", [])[:k]
    return any(_from_gold(r["doc_id"], item["sources"]) for r in retrieved)


def reciprocal_rank(item: dict[str, Any], result: dict[str, Any]) -> float:
    """1/rank of the first retrieved passage from a gold source, 0 if none."""
    for i, r in enumerate(result.get("retrieved", []), start=1):
        if _from_gold(r["doc_id"], item["sources"]):
            return 1.0 / i
    return 0.0


def source_recall(item: dict[str, Any], result: dict[str, Any]) -> float:
    """Share of the gold source documents that appear among the retrieved passages."""
    retrieved = [r["doc_id"] for r in result.get("retrieved", [])]
    found = [s for s in item["sources"] if any(d.startswith(s) for d in retrieved)]
    return len(found) / len(item["sources"]) if item["sources"] else 0.0


def citation_correct(item: dict[str, Any], result: dict[str, Any]) -> bool:
    """At least one verified citation points into a gold source."""
    return any(
        c.get("verified", True) and _from_gold(c["doc_id"], item["sources"])
        for c in result.get("citations", [])
    )


def citation_precision(item: dict[str, Any], result: dict[str, Any]) -> tuple[int, int]:
    """(good, total) citations: good = verified and from a gold source."""
    cites = result.get("citations", [])
    good = sum(
        1 for c in cites if c.get("verified", True) and _from_gold(c["doc_id"], item["sources"])
    )
    return good, len(cites)


def conflict_surfaced(item: dict[str, Any], result: dict[str, Any]) -> bool:
    """Every disagreeing value of a conflict question appears in the answer."""
    return all(contains(result["answer"], v) for v in item.get("conflict", []))


def share(flags: Sequence[bool]) -> float | None:
    """Fraction of True, or None for an empty list."""
    return round(sum(flags) / len(flags), 4) if flags else None


def normalise_answer(text: str) -> str:
    """SQuAD's official normalisation: lower case, no punctuation, no articles, one space."""
    text = "".join(c for c in text.lower() if c.isalnum() or c.isspace())
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> bool:
    """SQuAD exact match against any gold answer."""
    got = normalise_answer(prediction)
    return any(got == normalise_answer(g) for g in golds)


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between a predicted and a gold answer."""
    from collections import Counter

    got, want = normalise_answer(prediction).split(), normalise_answer(gold).split()
    if not got or not want:
        return float(got == want)
    common = sum((Counter(got) & Counter(want)).values())
    if not common:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)
