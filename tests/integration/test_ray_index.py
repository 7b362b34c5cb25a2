"""Bulk indexing on Ray: 2 local workers embed the seeds with the real MiniLM, and the index is the
single-process one (same chunks, same vectors to float precision, same search results)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.indexer import sync
from rag.store import load_store
from tests.conftest import SEEDS

ray = pytest.importorskip("ray")


def test_two_ray_workers_build_the_single_process_index(tmp_path: Path) -> None:
    single = Settings(embedder="minilm", index_dir=tmp_path / "single", sources=[SEEDS])
    on_ray = single.model_copy(update={"index_dir": tmp_path / "ray", "index_workers": 2})
    sync(single)
    try:
        result = sync(on_ray)
        assert ray.is_initialized(), "the vectors were embedded on Ray"
    finally:
        ray.shutdown()
    assert result.embedded_chunks > 0
    name, dim = "sentence-transformers/all-MiniLM-L6-v2", 384
    a, b = load_store(single.current_index, name, dim), load_store(on_ray.current_index, name, dim)
    assert [c.chunk_id for c in a.chunks] == [c.chunk_id for c in b.chunks]
    assert [c.text for c in a.chunks] == [c.text for c in b.chunks]
    np.testing.assert_allclose(a.vectors(), b.vectors(), atol=2e-5)
    for row in range(0, len(a.chunks), 7):
        q = a.vectors()[row]
        assert [r for r, _ in a.search(q, 5)] == [r for r, _ in b.search(q, 5)]
