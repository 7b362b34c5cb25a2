"""Each format through its real parser: text, title, page starts; broken files say why."""

from __future__ import annotations

import pytest

from rag.parse import ParseError, parse
from tests.documents import docx_bytes, html_bytes, pdf_bytes


def _html_text(page: bytes) -> str:
    """The stored text of an HTML page."""
    return parse("page.html", page).document("page").text


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


def test_pdf_title_without_metadata_is_the_largest_text_even_with_no_function_word() -> None:
    """A title rarely has "the" or "of" ("Shared MIME-info Database", "Libtasn1"): without a
    metadata title, the first page's largest text is the title, not the next line down."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=24)
    pdf.multi_cell(0, 12, "Shared MIME-info Database", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)  # set apart, as a title page sets it
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(
        0, 8, "X Desktop Group (http://www.freedesktop.org)", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.multi_cell(0, 8, "This is version 0.21 of the specification, last updated in 2018.")
    from rag.parse_pdf import read_pdf

    assert read_pdf(bytes(pdf.output())).title == "Shared MIME-info Database"


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


def test_html_code_block_drops_its_copy_button() -> None:
    # Node.js's manual puts a "copy" button inside every <pre>.
    page = (
        b"<html><body><main><p>Install a version of the package manager globally with this:</p>"
        b'<pre><code class="language-bash">corepack install --global yarn@x.y.z</code> '
        b'<button class="copy-button">copy</button></pre></main></body></html>'
    )
    assert _html_text(page).endswith("\n\ncorepack install --global yarn@x.y.z")


def test_pdf_section_number_in_a_box_of_its_own_joins_its_title() -> None:
    from rag.blocks import Block, Vocabulary
    from rag.parse_pdf import _append

    blocks: list[Block] = []
    vocabulary = Vocabulary([])
    for block in [Block("paragraph", "1.", 1), Block("heading", "Introduction", 1)]:
        _append(blocks, block, vocabulary)
    assert [(b.kind, b.text) for b in blocks] == [("heading", "1. Introduction")]
    # A number before a sentence, or a figure after a number, stays as it was.
    blocks = []
    for block in [Block("paragraph", "2.", 1), Block("paragraph", "12.5", 1)]:
        _append(blocks, block, vocabulary)
    assert len(blocks) == 2


def test_pdf_numbered_section_title_may_be_a_question() -> None:
    from rag.parse_pdf import _is_heading

    assert _is_heading("1.2. What is this spec?", 3)  # shared-mime-info's spec
    assert not _is_heading("What is this spec?", 3)  # unnumbered: a question in the text


def test_html_definition_list_term_opens_its_definition() -> None:
    # Ninja's and Texinfo's manuals: a placeholder or an option in <dt>, what it does in <dd>.
    page = (
        b"<html><body><main><dl>"
        b"<dt>%e</dt><dd>Elapsed time in seconds. (Available since Ninja 1.2.)</dd>"
        b"<dt><code>rspfile</code></dt><dt><code>rspfile_content</code></dt>"
        b"<dd><p>if present (both), Ninja will use a response file.</p>"
        b"<p>Windows needs it.</p></dd>"
        b'<dt><span class="category">: </span><strong>int8</strong> (x)'
        b'<a class="copiable-anchor" href="#i"> &para;</a></dt>'
        b"<dd><p>Convert x to 8-bit integer type.</p></dd>"
        b"<dt>build.ninja</dt><dd><pre>rule cc\n  command = gcc</pre></dd>"
        b"</dl><p>After the list.</p></main></body></html>"
    )
    text = _html_text(page)
    assert text.split("\n\n") == [
        "%e: Elapsed time in seconds. (Available since Ninja 1.2.)",
        "rspfile, rspfile_content: if present (both), Ninja will use a response file.",
        "Windows needs it.",
        "int8 (x): Convert x to 8-bit integer type.",
        "build.ninja",  # a definition that is code: the term stands on its own
        "rule cc\n  command = gcc",
        "After the list.",
    ]


def test_html_two_code_variants_in_one_pre_stay_apart() -> None:
    page = (
        b"<html><body><main><p>To use the promise-based APIs:</p><pre>"
        b"<code class='mjs'>import * as readline from 'node:readline/promises';</code>"
        b"<code class='cjs'>const readline = require('node:readline/promises');</code>"
        b"</pre></main></body></html>"
    )
    text = _html_text(page)
    assert text.endswith(
        "import * as readline from 'node:readline/promises';\n\n"
        "const readline = require('node:readline/promises');"
    )


def test_pdf_line_split_on_one_baseline_is_read_left_to_right() -> None:
    from types import SimpleNamespace as Line

    from rag.parse_pdf import _left_first

    # bzip2's manual: pdfminer gave "... cause the compressor to" (x 138) before "than a block."
    # (x 72) on the same baseline; the next line stays where it is.
    right = Line(x0=138.0, x1=540.0, y0=708.0, text="For example ... the compressor to")
    left = Line(x0=72.0, x1=125.0, y0=708.2, text="than a block.")
    below = Line(x0=72.0, x1=540.0, y0=696.0, text="allocate around 7600k of memory")
    rows = [right, left, below]
    _left_first(rows)
    assert [r.text for r in rows] == [left.text, right.text, below.text]
    # three parts of one line given right to left read left to right
    parts = [Line(x0=300.0, x1=340.0, y0=500.0, text="c"), Line(x0=200.0, x1=240.0, y0=500.0,
             text="b"), Line(x0=72.0, x1=140.0, y0=500.3, text="a")]  # fmt: skip
    _left_first(parts)
    assert [r.text for r in parts] == ["a", "b", "c"]
    # two lines one above the other are never swapped, whatever their x
    rows = [
        Line(x0=138.0, x1=540.0, y0=720.0, text="a"),
        Line(x0=72.0, x1=125.0, y0=708.0, text="b"),
    ]
    _left_first(rows)
    assert [r.text for r in rows] == ["a", "b"]


def test_html_sphinx_api_entry_reads_as_its_signature_then_what_it_does() -> None:
    # Sphinx's markup for an API entry (a made-up module): the "¶" link in the signature goes.
    page = (
        b'<html><body><div role="main"><dl class="py function">'
        b'<dt class="sig sig-object py" id="ore.ship"><span class="sig-prename descclassname">'
        b'<span class="pre">ore.</span></span><span class="sig-name descname"><span class="pre">'
        b'ship</span></span><span class="sig-paren">(</span><em class="sig-param">tonnes</em>'
        b'<span class="sig-paren">)</span><a class="headerlink" href="#ore.ship">\xc2\xb6</a></dt>'
        b"<dd><p>Ship <em>tonnes</em> of ore to the port.</p>"
        b'<dl class="field-list simple"><dt class="field-odd">Returns<span class="colon">:</span>'
        b'</dt><dd class="field-odd"><p>the shipment id</p></dd></dl></dd></dl></div></body></html>'
    )
    text = _html_text(page)
    assert text.split("\n\n") == [
        "ore.ship(tonnes): Ship tonnes of ore to the port.",
        "Returns: the shipment id",
    ]


def test_html_page_laid_out_in_tables_reads_as_its_content_without_the_menu() -> None:
    # An old site's layout (libxslt's manual in Debian): menu and content are cells of nested
    # tables. Read as table rows, the whole page was two "rows" of words run together.
    menu = "".join(
        f'<li><a href="{p}.html">{p.title()} page</a></li>' for p in ("home", "faq", "news")
    )
    page = f"""<html><head><title>Introduction</title></head><body>
      <table><tr><td><h1>The XSLT C library</h1><h2>Introduction</h2></td></tr></table>
      <table><tr><td valign="top" width="200"><table><tr><td><b>Main Menu</b></td></tr>
        <tr><td><ul>{menu}</ul></td></tr></table></td>
      <td valign="top"><table><tr><td><p>This document describes libxslt.</p>
        <ul><li>Libxslt is a C implementation</li><li>It is released under the MIT Licence</li></ul>
      </td></tr></table></td></tr></table>
      <table><tr><th>Type</th><th>Size</th></tr>
        <tr><td><p>int</p></td><td><p>4 bytes</p></td></tr></table>
    </body></html>"""
    doc = parse("intro.html", page.encode()).document("intro")
    assert doc.text.startswith("The XSLT C library\n\nIntroduction\n\nThis document describes")
    assert "Libxslt is a C implementation\nIt is released under the MIT Licence" in doc.text
    assert "Faq page" not in doc.text and "Main Menu" not in doc.text
    # a data table, its cells wrapped in <p> as Sphinx does, stays rows
    assert "Type | Size\nint | 4 bytes" in doc.text
    # a box drawn around a listing (DocBook's one-cell table) is not a row: the code stays code
    listing = "<pre>  xsltproc -o out.html a.xsl\n  echo done</pre>"
    boxed = f"<html><body><p>Run it so:</p><table><tr><td>{listing}</td></tr></table></body></html>"
    doc = parse("boxed.html", boxed.encode()).document("boxed")
    assert [doc.text[s:e] for s, e in doc.code] == ["  xsltproc -o out.html a.xsl\n  echo done"]
