"""Which answer stands: the verified extractive draft, or an LLM's answer built on it.

The draft is the scorer's best sentence, quoted and verified. An LLM's answer replaces it, or
leads it with the asked value, only when it is verified, gives the asked kind of value written in
the draft's quote, and does not decline what the scorer is sure of; otherwise the draft stands.
`decision` on the answer says which rule applied.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.cite import LEAD_WORDS
from rag.generate import Attempt
from rag.types import Answer


def choose(draft: Answer, llm: Answer, problem: str, attempt: Attempt, sure: float) -> Answer:
    """The LLM's answer replaces the verified draft only when it is verified, gives the asked
    value copied from its source, and does not decline what the scorer is sure of."""
    who = llm.backend
    if attempt.backend == "none":
        final, why = draft, "no LLM answered: the verified draft stands"
    elif problem == "declined" and (draft.confidence or 0.0) >= sure:
        final = draft
        why = f"the {who} model said it did not know, but the draft is sure (>= {sure})"
    elif problem == "declined":
        final = llm
        why = f"the {who} model found no answer and the draft was not sure (< {sure})"
    elif problem:
        final, why = draft, f"the {who} answer was dropped ({problem}): the draft stands"
    elif lead := value_lead(llm.answer):
        # The model named the value: it leads the verified draft when the draft's quote
        # writes it (the scorer's sentence; on the SQuAD dev sample it was right more often
        # than the model when they disagreed).
        quoted = next((c for c in draft.citations if lead_copied(lead, c.quote)), None)
        if quoted is None:
            final = draft
            why = f"the {who} model's value {lead!r} is not in the draft's quote: it stands"
        else:
            answer = f"{lead} [{quoted.n}]. {_without_lead(draft.answer)}"
            final = replace(draft, answer=answer, backend=who)
            why = f"the {who} model named the value; the verified quote follows"
    elif not _agrees(llm, draft):
        # The scorer picked its sentence from more candidates than the model read, and on
        # the dev splits it was right more often when they disagreed (SQuAD dev sample:
        # 13 questions the draft had right and the model wrong, 2 the other way).
        final = draft
        why = f"the {who} answer cites other sentences than the scorer's best: the draft stands"
    else:
        final, why = llm, f"the {who} answer is verified: it replaces the draft"
    # What went wrong on the way stays visible, whichever answer stands.
    warnings = [*attempt.warnings, *llm.warnings]
    warnings += [w for w in final.warnings if w not in warnings]
    return replace(final, decision=why, warnings=warnings)


def _without_lead(answer: str) -> str:
    """The answer without the short value it opens with ("$500 million [1]. ...")."""
    if value_lead(answer) is None:
        return answer
    return answer.split("]", 1)[1].lstrip(". ")


def _agrees(llm: Answer, draft: Answer) -> bool:
    """Does the LLM's answer cite a sentence the draft cites (overlapping spans)?"""
    return any(
        a.doc_id == b.doc_id and a.start < b.end and b.start < a.end
        for a in llm.citations
        for b in draft.citations
    )


def value_lead(answer: str) -> str | None:
    """The short value an answer opens with ("$500 million" in "$500 million [1]. ..."): the text
    before the first citation marker when it is at most `LEAD_WORDS` words, else None."""
    head = answer.split("[", 1)[0].strip().rstrip(".:;,")
    if "[" not in answer or not head or len(head.split()) > LEAD_WORDS:
        return None
    return head


def lead_copied(lead: str, quote: str) -> bool:
    """Is the lead written in the quote: verbatim, or made only of the quote's own words
    ("92 minerals" from "92 identified minerals"; not "8 Sept 2025" from "September 8, 2025")?"""
    squash = lambda t: " ".join(t.split()).casefold()  # noqa: E731
    if squash(lead) in squash(quote):
        return True
    words = lambda t: set(re.findall(r"[\w$€£¥₹%.,'-]+", t.casefold()))  # noqa: E731
    return words(lead.rstrip(".,")) <= words(quote) | {w.rstrip(".,") for w in words(quote)}


def draft_decision(draft: Answer, problem: str, threshold: float) -> str:
    if not draft.abstained:
        return f"the best sentence answers (scorer confidence {draft.confidence} >= {threshold})"
    if draft.citations:
        return "a cited source says the asked detail was not made public"
    if problem == "declined":
        return f"no sentence answers (scorer confidence {draft.confidence} < {threshold})"
    return f"the best sentence cannot answer: {problem}"
