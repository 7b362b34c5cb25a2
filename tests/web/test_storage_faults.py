"""A full or read-only index disk: a clear 507 / 503 with a `detail`, no temp file left, the
index and the uploads as they were, and `rag index` exiting 2 with one line.

The disk is simulated full (ENOSPC) or read-only (EROFS) by making the index's writes fail the
way the kernel does; as root (CI), permissions alone cannot make a folder read-only."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag import store
from rag.embed import HashEmbedder
from rag.pipeline import Pipeline
from rag.store import read_documents
from tests.conftest import ROOT, local_client, own_index
from tests.documents import html_bytes
from web.app import create_app

PAGE = html_bytes("Velmora", "Velmora port", ["The Velmora port handled 912 ore ships last year."])


def _fail_writes(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    def refuse(path: Path, data: object) -> None:
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(store, "_write_json", refuse)


@pytest.mark.parametrize(("code", "status"), [(errno.ENOSPC, 507), (errno.EROFS, 503)])
def test_upload_and_delete_on_a_disk_that_cannot_take_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, status: int
) -> None:
    settings = own_index(tmp_path)
    before = set(read_documents(settings.current_index))
    app = create_app(settings, Pipeline.load(settings, HashEmbedder()))
    with local_client(app) as c:
        assert c.post("/api/documents", files=[("files", ("a.html", PAGE))]).status_code == 201
        _fail_writes(monkeypatch, code)
        r = c.post("/api/documents", files=[("files", ("velmora.html", PAGE))])
        assert r.status_code == status and "nothing was changed" in r.json()["detail"]
        r = c.delete("/api/documents/a")
        assert r.status_code == status and r.json()["detail"]
        assert c.get("/api/documents/a").status_code == 200  # still there, file and document
    assert set(read_documents(settings.current_index)) == before | {"a"}
    uploads = sorted(p.name for p in settings.upload_dir.iterdir())
    assert uploads == ["a.html"]  # no .tmp left, the deleted one put back, the failed one gone
    assert not list(settings.index_dir.glob("build-*.tmp"))


def test_rag_index_on_a_read_only_disk_exits_2_with_one_line(tmp_path: Path) -> None:
    settings = own_index(tmp_path)
    (settings.sources[0] / "late.txt").write_text("The Dorvan mine shipped 77 cargoes.\n")
    script = (
        "import errno, os, sys\n"
        "from rag import store\n"
        "def refuse(path, data): raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))\n"
        "store._write_json = refuse\n"
        "from rag.cli import main\n"
        "sys.exit(main(['index']))\n"
    )
    env = {
        **os.environ,
        "RAG_INDEX_DIR": str(settings.index_dir),
        "RAG_SOURCES": f'["{settings.sources[0]}"]',
        "RAG_EMBEDDER": "hash",
    }
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert "cannot be written" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
