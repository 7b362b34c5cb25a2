"""Real files of each supported format, built in memory for tests (PDF by fpdf2, DOCX by
python-docx): the parsers read them exactly as they would a user's upload."""

from __future__ import annotations

import io


def pdf_bytes(pages: list[str], title: str = "") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def docx_bytes(paragraphs: list[str], title: str = "") -> bytes:
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def html_bytes(title: str, heading: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title}</title><style>p {{ color: red }}</style>"
        f"<script>var tracking = 'do not index me';</script></head><body>"
        f"<nav>Home | About | Contact</nav><main><h1>{heading}</h1>{body}</main>"
        f"<footer>Copyright footer text</footer></body></html>"
    ).encode()
