"""The real local LLM (Qwen2.5-Coder-1.5B through llama.cpp) answering through the pipeline."""

import pytest

from rag.config import Settings
from rag.pipeline import Pipeline
from tests.rag.test_pipeline import assert_contract

pytest.importorskip("llama_cpp", reason="the `local` extra is installed by `make install`")
pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def local(real_settings: Settings) -> Pipeline:
    pipeline = Pipeline.load(real_settings.model_copy(update={"llm_backend": "local"}))
    assert pipeline.backends.get("local").__class__.__name__ == "LocalGenerator", (
        pipeline.backends.get("local")
    )
    return pipeline


def test_local_llm_answers_with_verified_citation(local: Pipeline) -> None:
    answer = local.answer("What was the value of the USSM MoU?")
    assert_contract(local, answer)
    assert answer.backend == "local", answer.warnings
    assert not answer.abstained and "500 million" in answer.answer
    assert any(c.verified and c.doc_id[:3] in {"000", "001", "004"} for c in answer.citations)
    assert answer.timings_ms["first_token"] <= answer.timings_ms["total"]


def test_local_llm_abstains_off_corpus(local: Pipeline) -> None:
    # Close enough to pass the retrieval threshold, so the model itself must decline.
    answer = local.answer("What is the population of Karachi?")
    assert answer.abstained and not answer.citations


def test_local_llm_streams_tokens_before_the_answer(local: Pipeline) -> None:
    events = list(local.stream("Who is the CEO of U.S. Strategic Metals?"))
    kinds = [k for k, _ in events]
    assert kinds.count("token") >= 3 and kinds[-1] == "answer"
    answer = events[-1][1]
    assert answer.backend == "local"
    assert "Stacy Hastie" in answer.answer
