"""Citation parsing, checking and repair on hand-written answers."""

from rag.chunk import sentence_spans
from rag.cite import parse_claims, support, verify
from rag.types import Chunk, Document, Passage

DOC_A = Document(
    "a",
    "Deal article",
    "USSM signed an MoU with FWO on September 8. The MoU is worth $500 million. "
    "It covers exploration and refining.",
)
DOC_B = Document("b", "Tariff article", "Tariffs on Pakistani exports fell from 29% to 19%.")
DOCS = {"a": DOC_A, "b": DOC_B}
PASSAGES = [
    Passage(1, Chunk("a#0", "a", DOC_A.text, 0, len(DOC_A.text)), DOC_A.title, 0.8),
    Passage(2, Chunk("b#0", "b", DOC_B.text, 0, len(DOC_B.text)), DOC_B.title, 0.5),
]


def test_parse_claims_reads_markers_before_and_after_the_stop() -> None:
    claims = parse_claims("It is worth $500 million [1]. Tariffs fell to 19%. [2] Both [1, 2].")
    assert [(c.text, c.markers) for c in claims] == [
        ("It is worth $500 million.", [1]),
        ("Tariffs fell to 19%.", [2]),
        ("Both.", [1, 2]),
    ]


def test_support_requires_every_number() -> None:
    assert support("The MoU is worth $500 million", DOC_A.text) == 1.0
    assert support("The MoU is worth $600 million", DOC_A.text) == 0.0


def test_correct_citation_gets_the_exact_sentence() -> None:
    out = verify("The MoU is worth $500 million [1].", PASSAGES, DOCS, 0.5)
    assert out.text == "The MoU is worth $500 million [1]."
    [c] = out.citations
    assert (c.doc_id, c.verified) == ("a", True)
    assert c.quote == "The MoU is worth $500 million."
    assert DOC_A.text[c.start : c.end] == c.quote
    assert out.warnings == []


def test_wrong_citation_is_reattached_to_the_supporting_passage() -> None:
    out = verify("Tariffs fell from 29% to 19% [1].", PASSAGES, DOCS, 0.5)
    [c] = out.citations
    assert c.doc_id == "b" and c.verified and c.n == 1
    assert out.text == "Tariffs fell from 29% to 19% [1]."
    assert any("re-attached" in w for w in out.warnings)


def test_marker_to_missing_passage_is_dropped_and_repaired() -> None:
    out = verify("The MoU is worth $500 million [7].", PASSAGES, DOCS, 0.5)
    assert any("[7] points to no passage" in w for w in out.warnings)
    [c] = out.citations
    assert c.doc_id == "a" and c.verified
    assert "[7]" not in out.text and "[1]" in out.text


def test_unsupported_claim_is_flagged_not_verified() -> None:
    out = verify("The MoU is worth $900 million [1].", PASSAGES, DOCS, 0.5)
    assert out.supported == 0 and out.unsupported == 1
    assert all(not c.verified for c in out.citations)
    assert any("unsupported" in w for w in out.warnings)


def test_citations_are_renumbered_in_order_of_use() -> None:
    out = verify(
        "Tariffs fell from 29% to 19% [2]. USSM signed an MoU with FWO [1].", PASSAGES, DOCS, 0.5
    )
    assert [c.doc_id for c in out.citations] == ["b", "a"]
    assert out.text == "Tariffs fell from 29% to 19% [1]. USSM signed an MoU with FWO [2]."


def test_quotes_are_single_sentences() -> None:
    out = verify("It covers exploration and refining [1].", PASSAGES, DOCS, 0.5)
    [c] = out.citations
    assert (c.start, c.end) in sentence_spans(DOC_A.text)


def test_incomplete_claim_is_not_verified() -> None:
    out = verify("The MoU is worth [1]. USSM is based in [1].", PASSAGES, DOCS, 0.5)
    assert out.supported == 0 and out.unsupported == 2
    assert out.citations == []
    assert all("incomplete claim" in w for w in out.warnings)


def test_a_source_sentence_ending_on_a_preposition_is_whole() -> None:
    # Valgrind's "... where the uninitialised values are coming from." is the author's sentence,
    # not an answer that leaves its value out.
    doc = Document("v", "Valgrind", "The extra information shows where the values are coming from.")
    passages = [Passage(1, Chunk("v#0", "v", doc.text, 0, len(doc.text)), doc.title, 0.9)]
    out = verify(f"{doc.text[:-1]} [1].", passages, {"v": doc}, 0.5)
    assert out.supported == 1 and out.unsupported == 0
    # The same words cut short are still incomplete.
    cut = verify(
        "The extra information shows where the values come from [1].", passages, {"v": doc}, 0.5
    )
    assert cut.unsupported == 1


def test_a_short_answer_backed_by_several_sentences_is_cited_to_the_quoted_one() -> None:
    text = "The MoU covers copper. Refining starts in 2026. The MoU covers lithium mining too."
    doc = Document("c", "Deal", text)
    passages = [Passage(1, Chunk("c#0", "c", text, 0, len(text)), doc.title, 0.9)]
    out = verify("The MoU [1]. The MoU covers lithium mining too [1].", passages, {"c": doc}, 0.5)
    assert [c.quote for c in out.citations] == ["The MoU covers lithium mining too."]
    # alone, the short answer goes to the first sentence that backs it
    [alone] = verify("The MoU [1].", passages, {"c": doc}, 0.5).citations
    assert alone.quote == "The MoU covers copper."
