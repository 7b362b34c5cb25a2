"""The answer policy: every rule that decides what is answered, in one place.

- `finish`: whether a text (the extractive draft, or an LLM's answer) can stand: "I don't know",
  nothing usable, an unverified sentence, a source saying the asked detail was withheld (a cited
  abstention), no value of the asked kind, a lead not written in its quote.
- `draft_decision`: why the draft answers or abstains (the reader's threshold).
- `after_check`: the local model's check fused with the reader (one threshold on the fused
  probability), which may withdraw the draft or quote a sentence the reader alone refused.
- `choose`: whether an LLM's answer replaces or leads the verified draft.
- `leads`: what the local model may name as the value.
`decision` on the answer says which rule applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from rag.chunk import in_code
from rag.cite import LEAD_WORDS, parse_claims, passage_sentences, verify, with_markers
from rag.conflicts import short_title
from rag.generate import ABSTAIN, DONT_KNOW, Attempt
from rag.injection import addresses_assistant
from rag.question import Question
from rag.rank import Scored
from rag.text import numbers, terms
from rag.types import Answer, Document, Passage


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


def finish(
    result: Answer,
    q: Question,
    passages: list[Passage],
    documents: Mapping[str, Document],
    text: str,
    min_support: float,
    written: bool = True,
) -> str:
    """Verify the text's citations and decide abstention (conflicts come after), filling in
    `result`. Returns why the text cannot stand as an answer ("" when it stands, "declined" for
    "I don't know"). `written`: an LLM wrote the text (not the reader's quote)."""
    if not text.strip() or text.strip() == ABSTAIN or DONT_KNOW.search(text):
        return "declined"
    claims = parse_claims(text)
    # "[1] [2]" alone states nothing; a one-word value ("Normandy [1].") does.
    if not any(len(terms(c.text)) >= 2 or numbers(c.text) for c in claims) and (
        value_lead(text) is None or not terms(text)
    ):
        return "it gave no usable text"
    checked = verify(text, passages, documents, min_support)
    result.warnings.extend(checked.warnings)
    if checked.supported == 0:
        result.warnings.append("no sentence of the draft answer is supported by the sources")
        return "no sentence of it is supported by the sources"
    if checked.unsupported:
        return "a sentence of it is not supported by its sources"
    withheld = [c for c in checked.citations if c.verified and q.withheld(c.quote)]
    if withheld:
        # A source says the asked detail was never made public: quote just that source.
        cite = replace(withheld[0], n=1)
        result.abstained, result.citations = True, [cite]
        result.answer = f"{ABSTAIN[:-1]}: {with_markers(cite.quote, [1])}"
        return ""
    result.answer, result.citations = checked.text, checked.citations
    if q.withheld(checked.text):
        result.abstained = True
        result.answer = f"{ABSTAIN[:-1]}: {checked.text}"
        return ""
    return _refusal(result, q, checked.text, written)


def _refusal(result: Answer, q: Question, text: str, written: bool) -> str:
    """A verified text that still cannot answer: an LLM's text without a value of the asked
    kind, or a lead value not written in its cited sentence. The reader's own quote is not
    refused for the kind: on the dev article it never trained on, that rule cost 2 answers of
    421 (overall 0.739 with it, 0.744 without; seeds dev unchanged; `bench/reader_rules.py`)."""
    missing = q.lacking(text) if written else None
    if missing:
        # "How many jobs?" answered with the deal's dollar value: the sources lack the fact.
        result.warnings.append(f"the question asks for {missing} and the answer gives none")
        result.answer, result.citations = ABSTAIN, []
        return f"it does not give {missing}"
    lead = value_lead(text)
    if lead is not None and not any(lead_copied(lead, c.quote) for c in result.citations):
        result.answer, result.citations = ABSTAIN, []
        return f"its value {lead!r} is not written in the cited sentence"
    result.abstained = False
    return ""


def after_check(
    draft: Answer, margin: float, fused: float, floor: float, redraft: Callable[[], Answer | None]
) -> Answer:
    """The draft once the local model has checked it: below `floor` on the fused probability
    it abstains; a draft the reader alone refused is quoted (`redraft`) when the check is
    confident enough and the best quote can stand."""
    seen = f"scorer {draft.confidence}, local model log-odds {margin:+.2f}"
    draft = replace(draft, judge_margin=round(margin, 3), judged=round(fused, 4))
    if fused < floor:
        why = f"no sentence answers (fused {fused:.3f} < {floor}; {seen})"
        return replace(draft, answer=ABSTAIN, abstained=True, citations=[], decision=why)
    if draft.abstained:
        found = redraft()
        if found is None:
            return draft  # the best quote still cannot answer: the refusal stands
        draft = replace(found, judge_margin=draft.judge_margin, judged=draft.judged)
    draft.decision = f"the best sentence answers (fused {fused:.3f} >= {floor}; {seen})"
    return draft


def leads(q: Question, draft: Answer, ranked: Sequence[Scored]) -> list[str]:
    """What the local model may name as the value: the reader's answer words in the draft's
    quoted sentences, then every value of the asked kind those sentences write (the value must
    come from the draft's quote: see `choose`)."""
    cited = {(c.doc_id, c.start) for c in draft.citations}
    spans = [r.answer_words for r in ranked if (r.doc_id, r.start) in cited and r.answer_words]
    found = [*spans, *q.candidates(" ".join(c.quote for c in draft.citations))]
    return [w for w in dict.fromkeys(found) if w]


def instruction_warnings(
    passages: Sequence[Passage], documents: Mapping[str, Document]
) -> list[str]:
    """A warning for each passage holding text addressed to an AI assistant (never used)."""
    out = []
    for p in passages:
        doc = documents[p.chunk.doc_id]
        for s, e in passage_sentences(p, doc):
            if not in_code(doc, s) and addresses_assistant(doc.text[s:e]):
                quote = " ".join(doc.text[s:e].split()[:8])
                out.append(
                    f"passage [{p.n}] ({short_title(p.title)}) holds text addressed to an AI "
                    f"assistant (“{quote}…”): treated as data, never as an instruction or answer"
                )
                break
    return out
