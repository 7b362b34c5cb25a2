"""Schema fuzzing of a real `rag serve` with schemathesis --checks all (bounded, fixed seed):
no server error, every status, header and body as the OpenAPI spec says. Per-operation
expectations that a schema cannot state are in schemathesis.toml."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from rag.embed import HashEmbedder
from rag.indexer import sync
from tests.conftest import HASH_MIN_ANSWER_SCORE, ROOT, SEEDS, hash_settings
from tests.servers import rag_server


def test_schemathesis_checks_all_pass(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = hash_settings(tmp_path / "index", sources=[corpus])
    sync(settings, embedder=HashEmbedder())
    env = {
        "RAG_EMBEDDER": "hash",
        "RAG_SCORER": "none",
        "RAG_LLM_BACKEND": "extractive",
        "RAG_MIN_ANSWER_SCORE": str(HASH_MIN_ANSWER_SCORE),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "RAG_SOURCES": json.dumps([str(corpus)]),
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_RATE_LIMIT_PER_MINUTE": "0",  # thousands of requests from one address, on purpose
    }
    cli = Path(sys.executable).parent / "schemathesis"
    with rag_server(env) as url:
        out = subprocess.run(
            [
                str(cli),
                "run",
                f"{url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                "15",
                "--seed",
                "20261125",
                "--no-color",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    at = out.stdout.find("FAILURES")
    report = out.stdout[at : at + 4000] + out.stdout[-1500:] if at >= 0 else out.stdout[-5000:]
    assert out.returncode == 0, report
    counts = re.search(r"(\d+) generated, (\d+) passed", out.stdout)
    assert counts and counts[1] == counts[2] and int(counts[1]) > 500, report
