"""The hosted backend against a real OpenAI-compatible server: llama-cpp-python's own server on
127.0.0.1 serving the bundled GGUF (no fake), streamed and whole."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from rag.config import Settings
from rag.generators.local import assemble_bundled_model
from rag.pipeline import Pipeline
from tests.servers import free_port, running

pytest.importorskip("llama_cpp.server", reason="the `local` extra is installed by `make install`")
pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def llama_server(real_settings: Settings) -> Iterator[str]:
    model = assemble_bundled_model(real_settings.model_cache_dir)
    port = free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
        "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--model_alias", "qwen",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    with running(cmd, f"{url}/models", timeout_s=120, quiet=True):
        yield url


def test_hosted_backend_streams_a_verified_answer_from_a_real_server(
    real_settings: Settings, llama_server: str
) -> None:
    # This checks the hosted path, not its speed: a generous deadline, so a slow or busy 2-core
    # CPU (the server reads the cold prompt at ~42 tokens/s without AVX-512) cannot fail it.
    settings = real_settings.model_copy(
        update={
            "llm_backend": "hosted",
            "llm_base_url": llama_server,
            "llm_model": "qwen",
            "llm_deadline_s": 120.0,
        }
    )
    pipeline = Pipeline.load(settings)
    events = list(pipeline.stream("Who is the CEO of U.S. Strategic Metals?"))
    kinds = [k for k, _ in events]
    assert kinds[0] == "draft" and kinds.count("token") >= 2 and kinds[-1] == "answer"
    answer = events[-1][1]
    assert answer.backend == "hosted", (answer.decision, answer.warnings)
    assert "Stacy Hastie" in answer.answer and all(c.verified for c in answer.citations)
    whole = pipeline.answer("What was the value of the USSM MoU?")
    assert whole.backend == "hosted" and "$500 million" in whole.answer, whole.decision
