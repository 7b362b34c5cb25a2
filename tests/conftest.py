"""Shared fixtures: a fast index over the real seeds built with the deterministic hash embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.config import Settings
from rag.embed import HashEmbedder
from rag.pipeline import Pipeline, build_index

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


# Hashed bags of words give lower cosines than MiniLM, so the answer threshold is lower too.
HASH_MIN_ANSWER_SCORE = 0.2


def hash_settings(index_dir: Path, **overrides: object) -> Settings:
    """Settings for a throwaway index that uses the hash embedder."""
    values: dict = {
        "embedder": "hash",
        "index_dir": index_dir,
        "sources": [SEEDS],
        "min_answer_score": HASH_MIN_ANSWER_SCORE,
        "scorer": "none",  # first-stage scores only; the learned scorer has its own tests
        "llm_backend": "extractive",
        "data_dir": index_dir / "data",
        **overrides,
    }
    return Settings(**values)


def local_client(app: Any) -> TestClient:
    """A test client that calls from this machine (127.0.0.1), as a local browser would."""
    return TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000))


@pytest.fixture(scope="session")
def store(request: pytest.FixtureRequest) -> str:
    """Where vectors live: "faiss" unless a module parametrises it (`STORES`, indirect)."""
    return str(getattr(request, "param", "faiss"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules with `BOTH_STORES = True` run every test that uses the index on both stores."""
    if getattr(metafunc.module, "BOTH_STORES", False) and "store" in metafunc.fixturenames:
        metafunc.parametrize("store", ["faiss", "milvus"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def hash_index(tmp_path_factory: pytest.TempPathFactory, store: str) -> Settings:
    settings = hash_settings(tmp_path_factory.mktemp(f"index-{store}"), store=store)
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def pipeline(hash_index: Settings) -> Pipeline:
    return Pipeline.load(hash_index, HashEmbedder())
