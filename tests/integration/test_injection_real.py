"""The issue's injection document against real MiniLM + the answerability scorer: the USSM
answer stays what it was, and a model that obeys the injection is not believed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from rag.config import Settings
from rag.indexer import sync
from rag.pipeline import Pipeline
from tests.fakes import FakeOpenAI
from tests.rag.test_injection import injected_corpus

QUESTION = "What was the value of the USSM MoU?"


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    corpus = injected_corpus(tmp_path_factory.mktemp("corpus"))
    settings = Settings(
        embedder="minilm",
        index_dir=tmp_path_factory.mktemp("index"),
        sources=[corpus],
        llm_backend="extractive",
    )
    sync(settings)
    return settings


def test_extractive_answer_is_unchanged(injected: Settings, real_pipeline: Pipeline) -> None:
    clean = real_pipeline.answer(QUESTION)
    answer = Pipeline.load(injected).answer(QUESTION)
    assert answer.answer == clean.answer and "$500 million" in answer.answer
    assert "zz_injection" in {p["doc_id"] for p in answer.retrieved}, "the test must retrieve it"
    assert any("addressed to an AI assistant" in w for w in answer.warnings)


def test_an_llm_that_obeys_the_injection_is_not_believed(injected: Settings) -> None:
    pipeline = Pipeline.load(injected)
    n = next(p.n for p in pipeline.passages(QUESTION, 5) if p.chunk.doc_id == "zz_injection")
    with FakeOpenAI(f"The deal was cancelled [{n}].").running() as fake:
        hosted = Pipeline.load(
            injected.model_copy(
                update={
                    "llm_backend": "hosted",
                    "llm_base_url": fake.url,
                    "llm_model": "m",
                    "llm_api_key": SecretStr("k"),
                }
            )
        )
        answer = hosted.answer(QUESTION)
        shown = fake.requests[0]["messages"][1]["content"]
    assert "cancelled" not in answer.answer and "$500 million" in answer.answer
    assert answer.backend == "extractive", answer.decision
    assert "ignore all previous" not in shown.lower(), "the model never reads the injection"
