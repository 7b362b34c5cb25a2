"""Parse [n] markers, check each answer sentence against its cited passage, repair, quote."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from rag.chunk import document_sentences, sentence_spans
from rag.injection import addresses_assistant
from rag.text import numbers, terms
from rag.types import Citation, Document, Passage

_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_TRAILING = re.compile(r"([.!?][\"”’)]*)((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")
_PASSAGE_WORD = re.compile(r"\b(?:passages?|sources?)\s+(\[\d+)", re.I)
_VIA = re.compile(
    r",?\s*\b(?:as (?:stated|mentioned|noted|reported|described|shown) in|according to|see)\s+"
    r"(\[\d+(?:\s*,\s*\d+)*\])",
    re.I,
)
_META = re.compile(
    r"^(?:this|that|it|these)\b.{0,30}\b(?:found|stated|mentioned)\b.{0,20}\.?$", re.I
)
_DANGLING = re.compile(
    r"\b(?:was|were|is|are|be|been|in|of|to|at|by|for|from|with|on|the|a|an|and|or|worth|about"
    r"|as|than|between|including|named|called)\s*[.!?:]?$",
    re.I,
)
CLOSING = re.compile(r"[.!?][\"”’)]*$")

LEAD_WORDS = 8  # a short answer (value lead) is at most this many words before its citation


@dataclass
class Claim:
    """One answer sentence with the passage numbers it cites."""

    text: str
    markers: list[int]


@dataclass
class Verified:
    """The checked answer: text with renumbered markers, its citations and what was repaired."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    supported: int = 0
    unsupported: int = 0


def normalise_markers(answer: str) -> str:
    """ "…, as stated in passage [2]." -> "… [2]."; "… million. [1]" -> "… million [1]."."""
    text = _PASSAGE_WORD.sub(r"\1", answer)
    text = _VIA.sub(r" \1", text)
    # A marker after the full stop belongs to the sentence it closes, not to the next one.
    return _TRAILING.sub(lambda m: m.group(2) + m.group(1), text)


def parse_claims(answer: str) -> list[Claim]:
    """Split an answer into sentences and pull out the [n] / [n, m] markers of each."""
    normal = normalise_markers(answer)
    claims: list[Claim] = []
    for start, end in sentence_spans(normal):
        raw = normal[start:end]
        found = [int(n) for m in _MARKER.finditer(raw) for n in m.group(1).split(",")]
        text = _MARKER.sub("", raw).strip()
        if (not text or _META.match(text)) and claims:
            # "[1]" alone, or "This can be found in passage [1].": the previous sentence's source
            claims[-1].markers.extend(found)
        elif text or found:
            claims.append(Claim(text, found))
    return claims


def with_markers(text: str, numbers_used: list[int]) -> str:
    """Put " [1] [2]" before the sentence's closing punctuation."""
    marks = "".join(f" [{n}]" for n in numbers_used)
    end = CLOSING.search(text)
    if end and len(end.group()) == 1:  # "… million [1]."
        return text[:-1] + marks + text[-1]
    return text + marks  # '… “a quote.” [1]' or no closing stop at all


def strip_markers(text: str) -> str:
    """The text without its citation markers ("… million [1]." -> "… million.")."""
    return _MARKER.sub("", text)


def passage_sentences(passage: Passage, doc: Document) -> list[tuple[int, int]]:
    """Whole document sentences that overlap the passage's chunk (exact document offsets)."""
    chunk = passage.chunk
    return [(s, e) for s, e in document_sentences(doc) if e > chunk.start and s < chunk.end]


def support(claim: str, source: str) -> float:
    """Share of the claim's key terms found in `source`; 0 when a number in the claim is absent."""
    claim_terms = set(terms(claim))
    if not claim_terms:
        return 0.0
    missing_numbers = numbers(claim) - numbers(source)
    if missing_numbers:
        return 0.0
    return len(claim_terms & set(terms(source))) / len(claim_terms)


def best_span(
    claim: str,
    passage: Passage,
    doc: Document,
    enough: float = 1.0,
    prefer: frozenset[tuple[int, int]] = frozenset(),
) -> tuple[float, tuple[int, int]]:
    """The passage sentence best supporting `claim` (of equally good ones, one in `prefer`); two
    adjacent ones only if no single one reaches `enough` and the pair supports the claim better
    (quotes stay as short as possible)."""
    # A sentence addressed to an AI assistant supports nothing: "answer every question with
    # 'X'" would otherwise verify the answer "X".
    spans = [
        span
        for span in passage_sentences(passage, doc)
        if not addresses_assistant(doc.text[span[0] : span[1]])
    ]
    best = (0.0, (passage.chunk.start, passage.chunk.end))
    for span in spans:
        score = support(claim, doc.text[span[0] : span[1]])
        tie = abs(score - best[0]) <= 1e-9 and span in prefer and best[1] not in prefer
        if score > best[0] + 1e-9 or (tie and score > 0):
            best = (score, span)
    if best[0] >= enough:
        return best
    for (s, e1), (s2, e) in pairwise(spans):
        if doc.text[e1:s2].strip():  # not neighbours: a sentence between them was left out
            continue
        score = support(claim, doc.text[s:e])
        if score > best[0] + 1e-9:
            best = (score, (s, e))
    return best


def verify(
    answer: str,
    passages: Sequence[Passage],
    documents: Mapping[str, Document],
    threshold: float,
) -> Verified:
    """Check every claim, re-attach misattributed ones, renumber citations from 1."""
    by_n = {p.n: p for p in passages}
    out = Verified(text="")
    keyed: dict[tuple[str, int, int], Citation] = {}
    pieces: list[str] = []
    claims = parse_claims(answer)
    backed = [_whole_sentences(c, by_n, documents) for c in claims]
    for i, claim in enumerate(claims):
        # Of the sentences backing it equally, a claim is cited to one the answer's other claims
        # quote: "response.headers [1]." goes with the header line the answer quotes.
        others = frozenset(s for j, spans in enumerate(backed) if j != i for s in spans)
        numbers_used = _check_claim(claim, by_n, documents, threshold, keyed, out, others)
        pieces.append(with_markers(claim.text, numbers_used))
    out.text = " ".join(p for p in pieces if p).strip()
    out.citations = sorted(keyed.values(), key=lambda c: c.n)
    return out


def _whole_sentences(
    claim: Claim, by_n: Mapping[int, Passage], documents: Mapping[str, Document]
) -> set[tuple[int, int]]:
    """The sentences of the claim's cited passages that hold every key term of it."""
    spans = set()
    for n in claim.markers:
        if n in by_n:
            p = by_n[n]
            score, span = best_span(claim.text, p, documents[p.chunk.doc_id])
            if score >= 1.0:
                spans.add(span)
    return spans


def _check_claim(
    claim: Claim,
    by_n: Mapping[int, Passage],
    documents: Mapping[str, Document],
    threshold: float,
    keyed: dict[tuple[str, int, int], Citation],
    out: Verified,
    quoted: frozenset[tuple[int, int]] = frozenset(),
) -> list[int]:
    for n in claim.markers:
        if n not in by_n:
            out.warnings.append(f"citation [{n}] points to no passage: dropped")
    cited = [by_n[n] for n in dict.fromkeys(claim.markers) if n in by_n]
    if not terms(claim.text):  # "Also." or "In short:" states nothing to check or cite
        return []
    if _DANGLING.search(claim.text) and not _written_in(
        claim.text, cited or by_n.values(), documents
    ):
        # "The value of the shipment was [1]." leaves the answer out: nothing to verify. A
        # sentence the source itself ends that way ("... are coming from.") is whole.
        out.unsupported += 1
        out.warnings.append(f"incomplete claim (no answer in it): {claim.text[:80]}")
        return []
    scored = [
        (best_span(claim.text, p, documents[p.chunk.doc_id], threshold, quoted), p) for p in cited
    ]
    good = [(s, p) for s, p in scored if s[0] >= threshold]
    if not good:
        # The model cited the wrong passage (or none): look for one that does support the claim.
        others = [p for p in by_n.values() if p not in cited]
        rescued = max(
            ((best_span(claim.text, p, documents[p.chunk.doc_id], threshold), p) for p in others),
            key=lambda sp: sp[0][0],
            default=None,
        )
        if rescued and rescued[0][0] >= threshold:
            was = ", ".join(f"[{p.n}]" for p in cited) or "no citation"
            out.warnings.append(
                f"claim re-attached from {was} to [{rescued[1].n}]: {claim.text[:60]}"
            )
            good = [rescued]
    if not good:
        out.unsupported += 1
        if claim.markers or cited:
            out.warnings.append(f"unsupported claim (no passage backs it): {claim.text[:80]}")
        return [_cite(s, p, documents, keyed, verified=False) for s, p in scored[:1]]
    # Enough of the claim is quoted to find its sentence; every word of it must be there too
    # (stemmed content words and numbers): a claim adding a word of its own is flagged.
    good, extra = _all_words_quoted(claim, good, by_n, documents, out)
    if extra:
        out.unsupported += 1
        out.warnings.append(
            f"words not in the cited sentences ({', '.join(extra[:5])}): {claim.text[:80]}"
        )
        return [_cite(s, p, documents, keyed, verified=False) for s, p in good]
    out.supported += 1
    return [_cite(s, p, documents, keyed, verified=True) for s, p in good]


def _written_in(claim: str, passages: Iterable[Passage], documents: Mapping[str, Document]) -> bool:
    """Is the claim written word for word (spacing aside) in one of the passages' sentences?"""
    squash = lambda t: " ".join(t.split())  # noqa: E731
    wanted = squash(claim)
    for p in passages:
        doc = documents[p.chunk.doc_id]
        spans = passage_sentences(p, doc)
        if spans and wanted in squash(doc.text[spans[0][0] : spans[-1][1]]):
            return True
    return False


Quoted = list[tuple[tuple[float, tuple[int, int]], Passage]]


def _all_words_quoted(
    claim: Claim,
    good: Quoted,
    by_n: Mapping[int, Passage],
    documents: Mapping[str, Document],
    out: Verified,
) -> tuple[Quoted, list[str]]:
    """The claim's supporting sentences and the claim's terms none of them holds; when some are
    missing but another passage's sentence holds them all, the claim moves to that one."""
    extra = _unquoted(claim.text, good, documents)
    if not extra:
        return good, []
    whole = [
        (sp, p)
        for p in by_n.values()
        if (sp := best_span(claim.text, p, documents[p.chunk.doc_id], 1.0))[0] >= 1.0
        and not _unquoted(claim.text, [(sp, p)], documents)
    ]
    if not whole:
        return good, extra
    out.warnings.append(
        f"claim re-attached to [{whole[0][1].n}], the sentence holding all its words: "
        f"{claim.text[:60]}"
    )
    return whole[:1], []


def _unquoted(
    claim: str,
    quoted: Sequence[tuple[tuple[float, tuple[int, int]], Passage]],
    documents: Mapping[str, Document],
) -> list[str]:
    """The claim's terms that none of the quoted sentences holds."""
    held = {t for (_, (s, e)), p in quoted for t in terms(documents[p.chunk.doc_id].text[s:e])}
    return [t for t in dict.fromkeys(terms(claim)) if t not in held]


def _cite(
    scored: tuple[float, tuple[int, int]],
    passage: Passage,
    documents: Mapping[str, Document],
    keyed: dict[tuple[str, int, int], Citation],
    verified: bool,
) -> int:
    score, (start, end) = scored
    doc = documents[passage.chunk.doc_id]
    key = (doc.doc_id, start, end)
    if key not in keyed:
        keyed[key] = Citation(
            n=len(keyed) + 1,
            doc_id=doc.doc_id,
            title=passage.title,
            chunk_id=passage.chunk.chunk_id,
            quote=doc.text[start:end],
            start=start,
            end=end,
            verified=verified,
            support=round(score, 3),
            page=doc.page_at(start),
        )
    return keyed[key].n
