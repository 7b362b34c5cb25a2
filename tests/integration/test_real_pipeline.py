"""The real embedder and FAISS end to end: the acceptance question and the gold set."""

import pytest

from rag.pipeline import Pipeline
from tests.rag.test_pipeline import assert_contract

pytestmark = [pytest.mark.slow]


def test_manifest_records_the_real_model(real_pipeline: Pipeline) -> None:
    manifest = real_pipeline.store.manifest
    assert manifest["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    assert manifest["index_type"] == "IndexFlatIP"


def test_ussm_mou_value_is_500_million_with_exact_quote(real_pipeline: Pipeline) -> None:
    answer = real_pipeline.answer("What was the value of the USSM MoU?")
    assert_contract(real_pipeline, answer)
    assert not answer.abstained
    assert "$500 million" in answer.answer
    good = [
        c
        for c in answer.citations
        if c.doc_id[:3] in {"000", "001", "004"} and "500 million" in c.quote and c.verified
    ]
    assert good, answer.citations


def test_off_corpus_question_abstains(real_pipeline: Pipeline) -> None:
    answer = real_pipeline.answer("Who won the 2022 FIFA World Cup?")
    assert answer.abstained and not answer.citations


def test_a_question_naming_what_no_source_mentions_abstains_and_says_which(
    real_pipeline: Pipeline,
) -> None:
    # A lookalike of "What is USSM's share price?": the seeds never name Albemarle.
    answer = real_pipeline.answer("What is Albemarle's share price?")
    assert answer.abstained and not answer.citations
    assert "“Albemarle”" in answer.decision
    # The same question about a company the seeds do name goes on to the reader.
    named = real_pipeline.answer("What is USSM's share price?")
    assert "no indexed document mentions" not in named.decision


def test_conflicting_estimates_are_shown_side_by_side(real_pipeline: Pipeline) -> None:
    answer = real_pipeline.answer(
        "How much are Pakistan's untapped mineral reserves estimated to be worth?"
    )
    assert_contract(real_pipeline, answer)
    [conflict] = answer.conflicts
    values = {v["doc_id"][:3]: v["value"] for v in conflict["values"]}
    assert "6 trillion" in values["001"] and "8 trillion" in values["004"]
    assert "sources disagree" in answer.answer
    for v in conflict["values"]:
        doc = real_pipeline.document(v["doc_id"])
        assert doc.text[v["start"] : v["end"]] == v["quote"] and v["value"] in v["quote"]
        assert f"[{v['n']}]" in answer.answer


def test_agreeing_sources_are_not_a_conflict(real_pipeline: Pipeline) -> None:
    assert real_pipeline.answer("What was the value of the USSM MoU?").conflicts == []
