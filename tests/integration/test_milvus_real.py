"""Real MiniLM + scorer on Milvus Lite: every seeds gold question gets the answer the FAISS store
gives (same passages, same answer, same citations)."""

from __future__ import annotations

import pytest

from evals.suites import load_suite
from rag.config import Settings
from rag.indexer import sync
from rag.pipeline import Pipeline


@pytest.fixture(scope="module")
def milvus_pipeline(
    real_settings: Settings, real_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> Pipeline:
    settings = real_settings.model_copy(
        update={
            "index_dir": tmp_path_factory.mktemp("milvus-index"),
            "store": "milvus",
            "llm_backend": "extractive",  # no second LLM: the stores are compared
        }
    )
    sync(settings, embedder=real_pipeline.embedder)
    return Pipeline.load(settings, real_pipeline.embedder)


def test_seeds_gold_answers_are_the_same_on_milvus(
    milvus_pipeline: Pipeline, real_pipeline: Pipeline
) -> None:
    assert milvus_pipeline.store.manifest["vectors"]["kind"] == "milvus"
    questions = [g["question"] for g in load_suite("seeds").items]
    assert len(questions) >= 60
    for q in questions:  # extractive: the store is compared, not an LLM's wording
        a = real_pipeline.answer(q, backend="extractive")
        b = milvus_pipeline.answer(q, backend="extractive")
        assert (a.answer, a.abstained, a.retrieved) == (b.answer, b.abstained, b.retrieved), q
        assert [c.quote for c in a.citations] == [c.quote for c in b.citations], q
