"""Find retrieved passages from different documents that give different values for the question.

Only sentences the ranker rates as answering the question are compared (each at least the
answer threshold and near the best), only values of the kind asked for (those in the reader's
answer words first: `answer_values`), and two values conflict
only when a part both give differs: "June 28, 1919" vs "June 28, 1920" do, "September 8" vs
"September 8, 2025" do not; "$5 million" vs "€5 million" do. `say_sources_disagree` then writes
each conflict into the answer with exact citations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rag.question import Question
from rag.rank import Scored
from rag.types import Answer, Citation, Document, Passage
from rag.values import Value


def find_conflicts(
    q: Question,
    ranked: Sequence[Scored],
    min_score: float,
    passages: Sequence[Passage],
    ratio: float = 0.6,
) -> list[dict[str, Any]]:
    """One conflict when the best answering sentences of two or more documents disagree."""
    if q.extract is None or not ranked:
        return []
    by_score = sorted(ranked, key=lambda r: -r.score)
    floor = max(min_score, ratio * by_score[0].score)
    per_doc: dict[str, tuple[Value, Scored]] = {}
    for cand in by_score:
        if cand.score < floor:
            break
        if cand.doc_id in per_doc:
            continue
        values = answer_values(q, cand)
        if values:
            per_doc[cand.doc_id] = (values[0], cand)
    found = [v for v, _ in per_doc.values()]
    if len(found) < 2 or all(a.agrees(b) for a in found for b in found):
        return []
    by_passage = {p.n: p for p in passages}
    return [
        {
            "claim": q.text,
            "values": [
                {
                    "value": v.text,
                    "doc_id": doc_id,
                    "title": by_passage[c.n].title,
                    "passage": c.n,
                    "quote": c.text,
                    "start": c.start,
                    "end": c.end,
                }
                for doc_id, (v, c) in per_doc.items()
            ],
        }
    ]


def answer_values(q: Question, cand: Scored) -> list[Value]:
    """The asked kind's values in the reader's answer words when they hold one (a sentence
    giving two dates answers with one of them), else in the whole sentence."""
    assert q.extract is not None
    if cand.span is not None:
        a, b = cand.span[0] - cand.start, cand.span[1] - cand.start
        inside = q.extract(cand.text[a:b])
        if inside:
            return inside
    return q.extract(cand.text)


def short_title(title: str, words: int = 8) -> str:
    parts = title.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def say_sources_disagree(
    result: Answer,
    conflict: dict[str, Any],
    chunk_ids: dict[int, str],
    documents: Mapping[str, Document],
) -> None:
    """Append 'The sources disagree: A gives x [i]; B gives y [j].' with exact citations."""
    by_span = {(c.doc_id, c.start, c.end): c.n for c in result.citations}
    parts = []
    for v in conflict["values"]:
        key = (v["doc_id"], v["start"], v["end"])
        passage = v.pop("passage")
        if key not in by_span:
            n = len(result.citations) + 1
            result.citations.append(
                Citation(
                    n=n,
                    doc_id=v["doc_id"],
                    title=v["title"],
                    chunk_id=chunk_ids[passage],
                    quote=v["quote"],
                    start=v["start"],
                    end=v["end"],
                    verified=True,
                    support=1.0,
                    page=documents[v["doc_id"]].page_at(v["start"]),
                )
            )
            by_span[key] = n
        v["n"] = by_span[key]
        parts.append(f"“{short_title(v['title'])}” gives {v['value']} [{v['n']}]")
    result.answer += " The sources disagree: " + "; ".join(parts) + "."
