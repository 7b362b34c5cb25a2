from pathlib import Path

import pytest

from rag.errors import SourceNotFoundError
from rag.ingest import load_documents, title_of


def test_seed_ids_and_titles() -> None:
    docs = load_documents([Path(__file__).resolve().parents[2] / "seeds"])
    assert [d.doc_id[:3] for d in docs] == ["000", "001", "002", "003", "004"]
    assert docs[2].title == "US turns to Pakistan amid efforts to counter China’s mining dominance"
    assert docs[4].title == "Introduction"


def test_title_skips_blank_lines_and_heading_marks() -> None:
    assert title_of("\n\n  # A title \nbody", "x") == "A title"
    assert title_of("   \n", "fallback") == "fallback"


def test_reads_txt_and_md_from_several_folders(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "one.txt").write_text("One\nbody")
    (tmp_path / "b" / "two.md").write_text("# Two\nbody")
    (tmp_path / "b" / "skip.csv").write_text("x,y")
    docs = load_documents([tmp_path / "a", tmp_path / "b"])
    assert [(d.doc_id, d.title) for d in docs] == [("one", "One"), ("two", "Two")]


def test_unknown_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="not found"):
        load_documents([tmp_path / "missing"])


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"no \.txt or \.md"):
        load_documents([tmp_path])


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same.txt").write_text("x")
    (tmp_path / "b" / "same.md").write_text("y")
    with pytest.raises(SourceNotFoundError, match="share the id"):
        load_documents([tmp_path])


def test_binary_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(SourceNotFoundError, match="not UTF-8"):
        load_documents([tmp_path])
