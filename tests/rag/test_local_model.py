"""The local backend's model-file checks (no weights needed: small files stand in)."""

import hashlib
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import GeneratorError
from rag.generators.local import LocalGenerator, ModelIntegrityError, sha256_of, verify_model


def test_sha256_of_matches_hashlib(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"x" * 10_000_000)
    assert sha256_of(f) == hashlib.sha256(b"x" * 10_000_000).hexdigest()


def test_corrupted_model_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"the real weights")
    good = hashlib.sha256(b"the real weights").hexdigest()
    verify_model(f, good)  # passes and leaves a stamp
    assert (tmp_path / "m.gguf.verified.json").exists()
    f.write_bytes(b"the real weightz")  # same size, different bytes, new mtime
    with pytest.raises(ModelIntegrityError, match="corrupted"):
        verify_model(f, good)


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="not found"):
        verify_model(tmp_path / "none.gguf", "0" * 64)


def test_local_backend_refuses_a_model_with_the_wrong_hash(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")  # installed by `make install`; the check runs before loading
    f = tmp_path / "other.gguf"
    f.write_bytes(b"not the model you asked for")
    settings = Settings(llm_model_path=f, llm_model_sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        LocalGenerator(settings)
