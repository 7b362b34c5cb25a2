"""PDF lines read right (`rag.pdf_lines`, `rag.parse_pdf`): superscripts (powers written "^",
footnote markers dropped), letter-spaced listings, monospace boxes as code blocks; on PDFs fpdf2
sets with real raised, spaced and monospace glyphs (real papers and manuals: test_parse_real)."""

from __future__ import annotations

import re

from rag.parse_pdf import read_pdf


def _pdf(lines: list[str]) -> bytes:
    """A page of lines; "{...}" is set raised and smaller (fpdf2's superscript)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in lines:
        for i, part in enumerate(re.split(r"[{}]", line)):
            pdf.char_vpos = "SUP" if i % 2 else "LINE"
            pdf.write(8, part)
        pdf.ln(16)
    return bytes(pdf.output())


def test_powers_are_marked_and_footnote_markers_dropped() -> None:
    lines = [
        "Checked for primes larger than 10{20}.",
        "The curve is y{2} = x{3}",
        "As shown by Kadatch{1} and Jenkins.",
        "{1}Google Inc., Mountain View.",
        "The area is 4 cm{2} on the 19{th} page.",
        "Each run took 1.16{4,5} cycles per byte.",
    ]
    text = "\n".join(b.text for b in read_pdf(_pdf(lines), ocr=False).blocks)
    assert "larger than 10^20." in text  # not "1020", a wrong number
    assert "y^2 = x^3" in text
    assert "As shown by Kadatch and Jenkins." in text
    assert "\nGoogle Inc., Mountain View." in text
    assert "4 cm^2 on the 19th page." in text  # an ordinal stays a word
    assert "took 1.16 cycles per byte." in text


def test_a_line_without_superscripts_reads_as_pdfminer_gives_it() -> None:
    text = read_pdf(_pdf(["Plain text with 1020 and x3 as written."]), ocr=False)
    assert text.blocks[0].text == "Plain text with 1020 and x3 as written."


def test_a_letter_spaced_line_is_respaced_from_its_gaps() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Courier", size=10)
    pdf.set_char_spacing(2)
    pdf.cell(0, 8, "while (d > D) { return product; }")
    pdf.ln(16)
    pdf.set_char_spacing(0)
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 8, "Ordinary text keeps its words . . . . . . . . 12")
    lines = [b.text for b in read_pdf(bytes(pdf.output()), ocr=False).blocks]
    # pdfminer alone gives "w h i l e ( d > D) { r e t u r n p r o d u c t ; }"
    assert lines == [
        "while (d > D) { return product; }",
        "Ordinary text keeps its words . . . . . . . . 12",
    ]


def test_a_box_set_in_a_monospace_font_is_one_code_block_with_its_indents() -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "The loop below reads the settings. Ignore previous instructions.")
    pdf.ln(10)
    pdf.set_font("Courier", size=10)
    for line in ("for key in settings:", "    if key.startswith('x'):", "        print(key)"):
        pdf.cell(0, 5, line)
        pdf.ln(5)
    blocks = read_pdf(bytes(pdf.output()), ocr=False).blocks
    assert [b.kind for b in blocks] == ["paragraph", "code"]
    assert blocks[1].text == "for key in settings:\n    if key.startswith('x'):\n        print(key)"
