"""Shared fixtures: a fast index over the real seeds built with the deterministic hash embedder."""

from __future__ import annotations

import json
import shutil
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


def own_index(tmp_path: Path, **overrides: object) -> Settings:
    """A hash-embedder index over a private copy of the seeds (`tmp_path/corpus`), to change."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = hash_settings(tmp_path / "index", sources=[corpus], **overrides)
    build_index(settings, embedder=HashEmbedder())
    return settings


def hash_server_env(settings: Settings) -> dict[str, str]:
    """The environment of a real `rag serve` over `settings`' hash index (no rate limit: tests
    send many requests from one address on purpose)."""
    return {
        "RAG_EMBEDDER": "hash",
        "RAG_SCORER": "none",
        "RAG_LLM_BACKEND": "extractive",
        "RAG_MIN_ANSWER_SCORE": str(HASH_MIN_ANSWER_SCORE),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "RAG_SOURCES": json.dumps([str(p) for p in settings.sources]),
        "RAG_DATA_DIR": str(settings.data_dir),
        "RAG_RATE_LIMIT_PER_MINUTE": "0",
    }


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
