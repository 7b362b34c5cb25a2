from pathlib import Path

import pytest

from rag.errors import SourceNotFoundError
from rag.ingest import doc_id_for, load_documents, scan, title_of


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
    with pytest.raises(SourceNotFoundError, match="no readable documents"):
        load_documents([tmp_path])


def test_a_repeated_id_is_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "same.txt").write_text("x")
    (tmp_path / "b" / "same.md").write_text("y")
    found = scan([tmp_path])
    assert [d.text for d in found.docs] == ["x"]
    assert len(found.errors) == 1 and "id 'same' is taken" in found.errors[0]


def test_bad_files_are_skipped_and_the_rest_indexed(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Good\nThe mine opened in 2019.")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x01bad" * 100)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait, co\xfbt 3 \x80.".encode("latin-1"))
    found = scan([tmp_path])
    assert [d.doc_id for d in found.docs] == ["good", "latin1"]
    assert found.docs[1].text == "Café au lait, coût 3 €."
    assert any("binary.txt: binary data" in e for e in found.errors)
    assert any("broken.pdf: cannot read" in e for e in found.errors)
    assert found.notes == [
        f"{tmp_path / 'latin1.txt'}: not UTF-8: decoded as Windows-1252 (Latin-1)"
    ]


def test_doc_ids_for_uploads_are_safe_in_urls_and_file_names() -> None:
    assert doc_id_for("My Report (final) #2?.pdf") == "My-Report-final-2"
    assert doc_id_for("../../etc/passwd") == "passwd"
    assert doc_id_for("....pdf") == "document"


def test_ids_keep_letters_of_any_script_and_long_names_are_cut() -> None:
    assert doc_id_for("документ.txt") == "документ"
    assert doc_id_for("文件.md") == "文件"
    assert doc_id_for("документ.txt") != doc_id_for("文件.md")
    long_id = doc_id_for("é" * 200 + ".pdf")
    assert 0 < len(long_id.encode()) <= 120 and long_id == "é" * len(long_id)
