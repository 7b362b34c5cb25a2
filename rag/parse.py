"""Files to text: .txt/.md, .pdf (page starts kept), .html (main text), .docx.

`parse(name, data)` returns the text a document is indexed and cited by; a file that cannot be
read raises ParseError with a reason a user can act on, and never stops other files.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from rag.errors import RagError

SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")


class ParseError(RagError):
    """One file could not be turned into text (unsupported, binary, broken, empty)."""

    status_code = 422


@dataclass(frozen=True)
class Parsed:
    title: str
    text: str
    pages: tuple[int, ...] = ()  # PDF: where each page starts in `text` (page 1 at 0)
    notes: tuple[str, ...] = field(default=())  # e.g. a stated decoding fallback


def parse(name: str, data: bytes) -> Parsed:
    """The text of file `name` (its suffix picks the parser) with content `data`."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    parser = _PARSERS.get(suffix)
    if parser is None:
        raise ParseError(f"{name}: unsupported file type; supported: {', '.join(SUFFIXES)}")
    try:
        parsed = parser(data)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from exc
    except Exception as exc:  # a broken file of a supported type: say so, never crash
        raise ParseError(f"{name}: cannot read this {suffix} file ({type(exc).__name__})") from exc
    if not parsed.text.strip():
        raise ParseError(f"{name}: no text in this file")
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    title = parsed.title.strip() or title_of(parsed.text, stem)
    return Parsed(title[:300], parsed.text, parsed.pages, parsed.notes)


def title_of(text: str, fallback: str) -> str:
    """First non-empty line, stripped of Markdown heading marks."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line
    return fallback


def _text(data: bytes) -> Parsed:
    if b"\x00" in data[:8192]:
        raise ParseError("binary data, not text")
    try:
        return Parsed("", data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > len(text) / 100:
        raise ParseError("binary data, not text")
    return Parsed("", text, notes=("not UTF-8: decoded as Windows-1252 (Latin-1)",))


def _pdf(data: bytes) -> Parsed:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise ParseError("encrypted PDF")
    pages: list[int] = []
    parts: list[str] = []
    offset = 0
    for page in reader.pages:
        text = _tidy(page.extract_text() or "")
        pages.append(offset)
        parts.append(text)
        offset += len(text) + 2
    if not any(p.strip() for p in parts):
        raise ParseError("no extractable text (a scanned PDF? OCR is not supported)")
    meta = reader.metadata
    title = str(meta.title) if meta is not None and meta.title else ""
    return Parsed(title, "\n\n".join(parts), tuple(pages))


_BLOCKS = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "br",
    "hr",
    "dd",
    "dt",
    "figcaption",
]
_NOISE = ("script", "style", "noscript", "template", "nav", "footer", "form", "iframe", "svg")


def _html(data: bytes) -> Parsed:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    h1 = soup.find("h1")
    if not title and h1 is not None:
        title = h1.get_text(" ", strip=True)
    for tag in soup(_NOISE):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    for tag in root.find_all(_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    return Parsed(title, _tidy(root.get_text("")))


def _docx(data: bytes) -> Parsed:
    import docx

    document = docx.Document(io.BytesIO(data))
    blocks = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            blocks.append(" | ".join(cell.text.strip() for cell in row.cells))
    title = document.core_properties.title or ""
    return Parsed(title, _tidy("\n\n".join(blocks)))


def _tidy(text: str) -> str:
    """Spaces collapsed inside lines, at most one blank line between paragraphs."""
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_PARSERS = {
    ".txt": _text,
    ".md": _text,
    ".pdf": _pdf,
    ".html": _html,
    ".htm": _html,
    ".docx": _docx,
}
