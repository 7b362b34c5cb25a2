"""The answer contract and its invariants, on the real seeds with the hash embedder."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.embed import HashEmbedder
from rag.errors import InvalidInputError
from rag.pipeline import Pipeline
from rag.types import Answer

BOTH_STORES = True  # every test here that uses the index runs on FAISS and on Milvus Lite

GOLD = Path(__file__).resolve().parents[2] / "evals" / "gold.jsonl"
QUESTIONS = [json.loads(line)["question"] for line in GOLD.read_text().splitlines() if line.strip()]
CONTRACT_KEYS = {
    "question",
    "answer",
    "abstained",
    "citations",
    "conflicts",
    "backend",
    "timings_ms",
}


def assert_contract(pipeline: Pipeline, answer: Answer) -> None:
    """Every [n] has a citation n; every quote is the exact source text at [start:end]."""
    data = answer.to_dict()
    assert set(data) >= CONTRACT_KEYS
    json.dumps(data)  # JSON-ready
    numbers = {c["n"] for c in data["citations"]}
    assert {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])} <= numbers
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    for c in data["citations"]:
        doc = pipeline.document(c["doc_id"])
        assert doc.text[c["start"] : c["end"]] == c["quote"]
        assert c["title"] == doc.title
        assert c["chunk_id"].startswith(c["doc_id"])
    assert {"retrieve", "generate", "total"} <= set(data["timings_ms"])
    if not data["abstained"]:
        assert data["citations"], "an answer without a citation"


@pytest.mark.parametrize("question", QUESTIONS)
def test_contract_holds_for_every_gold_question(pipeline: Pipeline, question: str) -> None:
    assert_contract(pipeline, pipeline.answer(question))


def test_on_topic_question_is_answered_from_a_gold_source(pipeline: Pipeline) -> None:
    # The hash embedder is a fake: the exact "$500 million" answer is checked with the real
    # model in tests/integration; here the pipeline must answer from an article on the MoU.
    answer = pipeline.answer("What was the value of the USSM MoU?")
    assert not answer.abstained
    assert answer.citations and all(c.verified for c in answer.citations)
    assert answer.citations[0].doc_id[:3] in {"000", "001", "004"}
    assert answer.backend == "extractive"


def test_off_corpus_question_abstains(pipeline: Pipeline) -> None:
    answer = pipeline.answer("Who won the 2022 FIFA World Cup?")
    assert answer.abstained
    assert answer.answer == "The indexed sources don't say."
    assert answer.citations == []


def test_a_name_no_document_mentions_abstains_unless_switched_off(hash_index: Settings) -> None:
    question = "What did USSM agree with Cachegrind in September?"
    answer = Pipeline.load(hash_index, HashEmbedder()).answer(question)
    assert answer.abstained and "“Cachegrind”" in (answer.decision or "")
    off_settings = hash_index.model_copy(update={"abstain_on_unknown_names": False})
    off = Pipeline.load(off_settings, HashEmbedder())
    assert "Cachegrind" not in (off.answer(question).decision or "")


@pytest.mark.parametrize(
    ("question", "k", "message"),
    [
        ("", None, "empty"),
        ("   ", None, "empty"),
        ("x" * 2001, None, "limit"),
        ("ok?", 0, "k must"),
        ("ok?", 51, "k must"),
    ],
)
def test_bad_input_is_refused(
    pipeline: Pipeline, question: str, k: int | None, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        pipeline.answer(question, k)


def test_k_limits_retrieved_passages(pipeline: Pipeline) -> None:
    answer = pipeline.answer("What was the value of the USSM MoU?", k=2)
    assert len(answer.retrieved) == 2


def test_a_disagreeing_document_below_the_top_k_is_still_shown(tmp_path: Path) -> None:
    from rag.embed import HashEmbedder
    from rag.pipeline import index_documents
    from rag.types import Document
    from tests.conftest import hash_settings

    main = (
        "The Biden administration has initiated high-level talks with Pakistan on minerals. "
        "The talks on minerals with Pakistan focus on supply chains."
    )
    docs = [
        Document("a", "Minerals talks with Pakistan", main),
        Document("b", "Minerals talks with Pakistan, again", main.replace("high-level ", "")),
        Document(
            "c", "Economic ties", "Officials say the Trump administration started the dialogue."
        ),
    ]
    question = "Which administration started the minerals talks with Pakistan?"
    answers = {}
    for probes in (0, 3):
        settings = hash_settings(tmp_path / str(probes), top_k=2, conflict_probe_docs=probes)
        index_documents(settings, docs, HashEmbedder())
        answer = Pipeline.load(settings, HashEmbedder()).answer(question)
        assert {r["doc_id"] for r in answer.retrieved} == {"a", "b"}
        answers[probes] = answer
    assert answers[0].conflicts == []
    [conflict] = answers[3].conflicts
    assert {v["doc_id"]: v["value"] for v in conflict["values"]}["c"] == "Trump administration"
    assert "The sources disagree" in answers[3].answer
    cited = {c.doc_id for c in answers[3].citations}
    assert "c" in cited and cited & {"a", "b"}


def test_a_source_saying_the_detail_is_undisclosed_is_an_honest_abstention(
    pipeline: Pipeline,
) -> None:
    answer = pipeline.answer("What was the commercial value of the first rare earth shipment?")
    assert answer.abstained
    assert "not been publicly disclosed" in answer.answer
    [citation] = answer.citations
    assert citation.verified and "commercial value" in citation.quote


def test_warmed_ranker_embeds_only_the_question(hash_index: Settings) -> None:
    class Counting(HashEmbedder):
        texts = 0

        def embed(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
            Counting.texts += len(texts)
            return super().embed(texts, progress=progress)

    p = Pipeline.load(hash_index, Counting())
    assert p.ranker.warm() > 100
    before = Counting.texts
    answer = p.answer("When did U.S. Strategic Metals sign the MoU with the FWO?")
    assert not answer.abstained
    assert Counting.texts - before == 1  # the question, once, shared by retrieval and ranking
    assert p.ranker.warm() == 0  # nothing left to embed
