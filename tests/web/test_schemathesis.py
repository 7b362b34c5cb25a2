"""Schema fuzzing of a real `rag serve` with schemathesis --checks all (bounded, fixed seed):
no server error, every status, header and body as the OpenAPI spec says. Per-operation
expectations that a schema cannot state are in schemathesis.toml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import (
    ROOT,
    hash_server_env,
    own_index,
)
from tests.servers import rag_server


def test_schemathesis_checks_all_pass(tmp_path: Path) -> None:
    env = hash_server_env(own_index(tmp_path))
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
