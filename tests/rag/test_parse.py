"""Each format through its real parser: text, title, page starts; broken files say why."""

from __future__ import annotations

import pytest

from rag.parse import ParseError, parse
from tests.documents import docx_bytes, html_bytes, pdf_bytes


def test_pdf_text_keeps_where_each_page_starts() -> None:
    data = pdf_bytes(
        ["Lithium exports rose in 2024.", "The smelter opened on 3 March 2025 in Karachi."],
        title="Minerals report",
    )
    parsed = parse("report.pdf", data)
    assert parsed.title == "Minerals report"
    assert len(parsed.pages) == 2 and parsed.pages[0] == 0
    second = parsed.text[parsed.pages[1] :]
    assert second.startswith("The smelter opened on 3 March 2025")
    assert "Lithium exports rose in 2024." in parsed.text[: parsed.pages[1]]


def test_html_main_text_without_scripts_navigation_or_footer() -> None:
    data = html_bytes(
        "Page title", "Copper deal", ["The deal is worth <b>$2 billion</b>.", "Signed in May."]
    )
    parsed = parse("deal.html", data)
    assert parsed.title == "Page title"
    assert "The deal is worth $2 billion." in parsed.text
    assert "Signed in May." in parsed.text and "Copper deal" in parsed.text
    for noise in ("tracking", "color: red", "Home | About", "Copyright footer"):
        assert noise not in parsed.text


def test_html_title_falls_back_to_h1() -> None:
    parsed = parse("x.htm", b"<html><body><h1>Only a heading</h1><p>Body text.</p></body></html>")
    assert parsed.title == "Only a heading"


def test_docx_paragraphs_and_title() -> None:
    data = docx_bytes(["Rare earths", "The plant employs 400 people."], title="Plant memo")
    parsed = parse("memo.docx", data)
    assert parsed.title == "Plant memo"
    assert parsed.text == "Rare earths\n\nThe plant employs 400 people."


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.exe", b"MZ\x00", "unsupported file type"),
        ("a.pdf", b"not a pdf at all", "cannot read this .pdf file"),
        ("a.docx", b"PK\x03\x04 broken zip", "cannot read this .docx file"),
        ("a.txt", b"\x00\x01\x02\x03", "binary data"),
        ("a.txt", b"   \n\n ", "no text"),
        ("a.pdf", pdf_bytes(["", ""]), "no extractable text"),
    ],
)
def test_unreadable_files_say_why(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as info:
        parse(name, data)
    assert str(info.value).startswith(name)
