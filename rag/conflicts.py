"""Find retrieved passages from different documents that give different values for the question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.generators.extractive import Scored
from rag.types import Passage
from rag.values import Value, extractor_for


def find_conflicts(
    question: str, ranked: Sequence[Scored], min_score: float, passages: Sequence[Passage]
) -> list[dict[str, Any]]:
    """One conflict when the best relevant sentences of two or more documents disagree."""
    extract = extractor_for(question)
    if extract is None or not ranked:
        return []
    floor = max(min_score, 0.6 * ranked[0].score)
    per_doc: dict[str, tuple[Value, Scored]] = {}
    for cand in ranked:
        if cand.score < floor:
            break
        if cand.doc_id in per_doc:
            continue
        values = extract(cand.text)
        if values:
            per_doc[cand.doc_id] = (values[0], cand)
    keys = {v.key for v, _ in per_doc.values()}
    if len(per_doc) < 2 or len(keys) < 2:
        return []
    return [
        {
            "claim": question,
            "values": [
                {
                    "value": v.text,
                    "doc_id": doc_id,
                    "title": passages[c.n - 1].title,
                    "passage": c.n,
                    "quote": c.text,
                    "start": c.start,
                    "end": c.end,
                }
                for doc_id, (v, c) in per_doc.items()
            ],
        }
    ]
