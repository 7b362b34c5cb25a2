"""One frozen Settings object, read from `RAG_*` environment variables at each entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every tunable of the pipeline; build once at an entry point and pass it down."""

    model_config = SettingsConfigDict(env_prefix="RAG_", frozen=True, extra="ignore")

    # Corpus and index
    sources: list[Path] = Field(default_factory=lambda: [Path("seeds")])
    index_dir: Path = Path("index")

    # Chunking
    chunk_size: int = Field(default=800, ge=100, le=8000)
    chunk_overlap: int = Field(default=100, ge=0, le=2000)

    # Embedding: "minilm" (real model, offline) or "hash" (deterministic, for tests)
    embedder: Literal["minilm", "hash"] = "minilm"
    embed_batch_size: int = Field(default=32, ge=1, le=1024)

    # Retrieval and answering
    top_k: int = Field(default=5, ge=1, le=50)
    min_retrieval_score: float = 0.2
    min_answer_score: float = 0.37
    min_sentence_support: float = 0.5
    llm_backend: Literal["extractive"] = "extractive"

    # Web server
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @property
    def current_index(self) -> Path:
        """Folder (a symlink to the latest complete build) that readers load."""
        return self.index_dir / "current"
