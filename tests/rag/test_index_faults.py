"""kill -9 of a real indexer process at three points (mid-embedding, mid-write, just before the
swap): answers keep coming from the last good build, and the next run cleans up and succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.embed import HashEmbedder
from rag.indexer import sync
from rag.pipeline import Pipeline
from tests.conftest import ROOT, own_index

INDEXER = """
import sys, time
from pathlib import Path
from rag import store
from rag.embed import HashEmbedder
from rag.indexer import sync
from tests.conftest import hash_settings

index_dir, corpus, marker = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[4])
mode = sys.argv[3]

def stop_here():
    marker.write_text(mode)
    time.sleep(120)

class Embedder(HashEmbedder):
    def embed(self, texts, *, progress=False):
        if mode == "embedding":
            stop_here()
        return super().embed(texts, progress=progress)

write_json, point_current = store._write_json, store._point_current
def _write_json(path, data):
    write_json(path, data)
    if mode == "write" and path.name == "documents.json":
        stop_here()
def _point_current(index_dir, build):
    if mode == "swap":
        stop_here()
    point_current(index_dir, build)
store._write_json, store._point_current = _write_json, _point_current
sync(hash_settings(index_dir, sources=[corpus]), embedder=Embedder())
"""


@pytest.mark.parametrize("mode", ["embedding", "write", "swap"])
def test_kill_9_during_an_index_update_keeps_the_last_good_build(tmp_path: Path, mode: str) -> None:
    settings = own_index(tmp_path)
    corpus = settings.sources[0]
    good = settings.current_index.resolve()
    question = "What was the value of the USSM MoU?"
    before = Pipeline.load(settings, HashEmbedder()).answer(question)

    (corpus / "late.txt").write_text("Late news\n\nThe USSM MoU was later valued at $9 billion.")
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", INDEXER, str(settings.index_dir), str(corpus), mode, str(marker)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the indexer ended before the fault point"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()

    assert settings.current_index.resolve() == good
    after = Pipeline.load(settings, HashEmbedder())
    assert "late" not in after.documents
    assert after.answer(question).answer == before.answer

    result = sync(settings, embedder=HashEmbedder())  # the next run recovers
    assert result.added == ["late"] and result.embedded_chunks == 1
    assert "late" in Pipeline.load(settings, HashEmbedder()).documents
    leftovers = [p.name for p in settings.index_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert len(list(settings.index_dir.glob("build-*"))) == 2  # the new one and the previous


def test_rag_index_reads_the_sources_under_the_writer_lock(tmp_path: Path) -> None:
    """A file that lands while `rag index` waits for another writer (an upload committing) is in
    the build it writes: the sources are read after the lock is taken, not before."""
    import threading

    from rag.store import writer_lock

    settings = own_index(tmp_path)
    corpus = settings.sources[0]
    done: list = []
    with writer_lock(settings.index_dir):
        worker = threading.Thread(
            target=lambda: done.append(sync(settings, embedder=HashEmbedder()))
        )
        worker.start()
        time.sleep(0.5)  # the sync is waiting for the lock now
        (corpus / "late.txt").write_text("The Pellham mine shipped 12 cargoes in 2025.\n")
    worker.join(timeout=60)
    assert done and "late" in done[0].added


def test_a_missing_current_link_is_never_taken_for_an_empty_index(tmp_path: Path) -> None:
    from rag.indexer import commit
    from rag.store import read_documents
    from rag.types import Document

    settings = own_index(tmp_path)
    before = set(read_documents(settings.current_index))
    (settings.index_dir / "current").unlink()  # deleted by hand, a half-restored backup
    new = Document("pellham", "Pellham", "The Pellham mine shipped 12 cargoes in 2025.")
    result = commit(settings, lambda old: [*old.values(), new], HashEmbedder())
    after = set(read_documents(settings.current_index))
    assert after == before | {"pellham"}
    assert any("`current` was missing" in n for n in result.notes)


def test_an_upload_killed_before_its_commit_is_removed_and_reported(tmp_path: Path) -> None:
    settings = own_index(tmp_path)
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    orphan = settings.upload_dir / ".pending-velmora.txt"  # what kill -9 mid-upload leaves
    orphan.write_text("The Velmora port handled 912 ore ships last year.\n")
    result = sync(settings, embedder=HashEmbedder())
    assert any("interrupted before it was indexed: velmora.txt" in n for n in result.notes)
    assert not orphan.exists() and "velmora" not in result.added


def test_an_upload_killed_after_its_commit_is_completed_and_reported(tmp_path: Path) -> None:
    from rag.indexer import commit
    from rag.store import read_documents
    from rag.types import Document

    settings = own_index(tmp_path)
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    final = settings.upload_dir / "velmora.txt"
    pending = settings.upload_dir / ".pending-velmora.txt"
    text = "The Velmora port handled 912 ore ships last year."

    def decide(old: dict) -> list:  # as an upload does: the file is written under the lock
        pending.write_text(text + "\n")
        return [*old.values(), Document("velmora", "V", text, str(final))]

    commit(settings, decide, HashEmbedder())  # then the process dies before moving the file
    result = sync(settings, embedder=HashEmbedder())
    assert any("interrupted after its commit: velmora.txt" in n for n in result.notes)
    assert final.exists() and not pending.exists()
    assert "velmora" in read_documents(settings.current_index)
