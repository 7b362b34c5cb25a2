"""PDF to blocks: pdfminer.six's text boxes in reading order (two columns read column by column),
hard-wrapped lines re-joined, hyphenation undone, running headers, footers and page numbers
dropped, figure-label soup dropped, the title from the metadata or the first page's largest
text. A page whose text is glyph codes or empty is read by OCR when tesseract is installed
(`rag.ocr`), else reported in `PdfText.unread`.

pdfminer.six was chosen by measuring on the realdocs PDFs (docs/evaluation.md): pypdf and PDFium
give lines without boxes, so columns interleave and paragraphs cannot be told apart.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from rag.blocks import Block, Vocabulary, clean_line, is_bullet, reflow
from rag.ocr import ocr_available, ocr_pdf_page, readable
from rag.pdf_lines import code_indents, line_text
from rag.pdf_tables import find_tables

MAX_PAGES = 2_000


@dataclass
class PdfText:
    title: str
    blocks: list[Block]
    n_pages: int
    unread: list[int] = field(default_factory=list)  # pages no text could be read from
    ocr: list[int] = field(default_factory=list)  # pages read by OCR
    notes: list[str] = field(default_factory=list)


@dataclass
class _Box:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    lines: list[str]
    size: float  # median font size
    margin: bool = False  # in the top or bottom 10% of the page, where running heads sit
    table: bool = False  # a table rebuilt from column boxes (`rag.pdf_tables`): lines are rows
    # a box set in a monospace font is code: each line's indent in characters (empty otherwise)
    indents: list[int] = field(default_factory=list)


class PdfParseError(ValueError):
    """Raised for encrypted or over-long PDFs with a reason a user can act on."""


def read_pdf(data: bytes, ocr: bool = True) -> PdfText:
    """Blocks of a PDF file's text, page by page."""
    from pdfminer.layout import LAParams, LTPage
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    from pdfminer.high_level import extract_pages  # isort: skip

    hidden: list[str] = []
    params = LAParams(line_margin=0.5, char_margin=2.0, word_margin=0.1, boxes_flow=None)
    pages: list[tuple[LTPage, list[_Box]]] = []
    try:
        for number, layout in enumerate(extract_pages(io.BytesIO(data), laparams=params), 1):
            if number > MAX_PAGES:
                raise PdfParseError(f"more than {MAX_PAGES} pages")
            pages.append((layout, _boxes(layout, number, hidden)))
    except PDFPasswordIncorrect as exc:
        raise PdfParseError("encrypted PDF") from exc
    result = PdfText(_metadata_title(data), [], len(pages))
    repeated = _running_text([b for _, boxes in pages for b in boxes], len(pages))
    vocabulary = Vocabulary(line for _, boxes in pages for b in boxes for line in b.lines)
    for number, (layout, boxes) in enumerate(pages, 1):
        text = "\n".join(line for b in boxes for line in b.lines)
        if not readable(text):
            page_text = ocr_pdf_page(data, number - 1) if ocr and ocr_available() else None
            if page_text is not None and readable(page_text):
                result.ocr.append(number)
                result.blocks += _ocr_blocks(page_text, number, vocabulary)
            elif text.strip() or _has_images(layout):
                result.unread.append(number)
            continue
        for box in _reading_order(_with_tables(boxes), layout.width):
            if box.table:
                result.blocks += [Block("row", row, number) for row in box.lines]
                continue
            box = _without_running_text(box, repeated)
            if _dropped(box):
                continue
            box = replace(box, lines=[_CID.sub("", ln) for ln in box.lines])  # stray symbols
            if box.indents:
                code = "\n".join(" " * n + ln for n, ln in zip(box.indents, box.lines, strict=True))
                _append_code(result.blocks, code, number)
                continue
            for block in _box_blocks(box, vocabulary):
                _append(result.blocks, block, vocabulary)
    if not result.title:
        result.title = _largest_text(pages[0][1]) if pages else ""
    if result.ocr:
        result.notes.append(f"read by OCR: {_ranges(result.ocr)}")
    if hidden:
        result.notes.append(f"dropped {len(hidden)} line(s) of hidden text (white or sub-point)")
    if result.unread:
        why = "" if ocr_available() else " (install tesseract-ocr to read them by OCR)"
        result.notes.append(
            f"pages that could not be read (glyph codes without a Unicode map, or images): "
            f"{_ranges(result.unread)}{why}"
        )
    return result


def _boxes(layout: Any, page: int, hidden: list[str]) -> list[_Box]:
    """The page's text boxes; lines a reader cannot see (white or sub-point text) go to
    `hidden` instead: they are never indexed, so never an answer or support."""
    from pdfminer.layout import LTChar, LTTextBox, LTTextBoxHorizontal, LTTextLine

    out = []
    for element in layout:
        if not isinstance(element, LTTextBox):
            continue
        lines, sizes, kept = [], [], []
        rows = [line for line in element if isinstance(line, LTTextLine)]
        if isinstance(element, LTTextBoxHorizontal):
            _left_first(rows)
        for line in rows:
            text = clean_line(_tex_ligatures(line_text(line)))
            chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
            unseen = sum(1 for c in chars if c.size < 1 or _white(c.graphicstate.ncolor))
            if text and chars and unseen > len(chars) / 2:
                hidden.append(text)
            elif text:
                lines.append(text)
                sizes += [c.size for c in line if isinstance(c, LTChar)]
                kept.append(chars)
        if lines:
            size = statistics.median(sizes) if sizes else 0.0
            edge = 0.1 * layout.height
            margin = element.y1 > layout.height - edge or element.y0 < edge
            box = _Box(page, element.x0, element.y0, element.x1, element.y1, lines, size, margin)
            box.indents = code_indents(kept) or []
            out.append(box)
    return out


def _left_first(rows: list[Any]) -> None:
    """Where pdfminer puts a line's right part before its left part on the same baseline (a wide
    gap split it: "... will cause the compressor to" before "than a block."), swap them, until
    every such run reads left to right (pdfminer's order is kept otherwise)."""
    for _ in range(len(rows)):
        swapped = False
        for i in range(len(rows) - 1):
            a, b = rows[i], rows[i + 1]
            if abs(a.y0 - b.y0) < 1.0 and b.x1 <= a.x0 + 1.0:
                rows[i], rows[i + 1] = b, a
                swapped = True
        if not swapped:
            return


def _with_tables(boxes: list[_Box]) -> list[_Box]:
    """The page's boxes with each table's column and header boxes replaced by one box of rows."""
    tables = find_tables(boxes)
    if not tables:
        return boxes
    members = {i for t in tables for i in t.members}
    out = [b for i, b in enumerate(boxes) if i not in members]
    for t in tables:
        parts = [boxes[i] for i in t.members]
        x0, y0 = min(b.x0 for b in parts), min(b.y0 for b in parts)
        x1, y1 = max(b.x1 for b in parts), max(b.y1 for b in parts)
        size = statistics.median(b.size for b in parts)
        out.append(_Box(parts[0].page, x0, y0, x1, y1, list(t.rows), size, table=True))
    return out


def _white(color: Any) -> bool:
    """Gray 1, RGB (1, 1, 1) or CMYK (0, 0, 0, 0): text drawn in white on a white page."""
    values = color if isinstance(color, (list, tuple)) else [color]
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    if len(numbers) == 4:
        return all(v <= 0.05 for v in numbers)
    return bool(numbers) and all(v >= 0.95 for v in numbers)


_TEX_LIGATURE = re.compile(r"(?<=[A-Za-z])\(cid:(1[1-5])\)|\(cid:(1[1-5])\)(?=[a-z])")
_LIGATURE_OF = {"11": "ff", "12": "fi", "13": "fl", "14": "ffi", "15": "ffl"}
_CID = re.compile(r"\(cid:\d+\)")


def _tex_ligatures(text: str) -> str:
    """TeX's Type 1 fonts put ff, fi, fl, ffi, ffl at codes 11-15 with no Unicode map: pdfminer
    writes "Satis(cid:12)ability"; inside a word those codes are the ligatures."""
    return _TEX_LIGATURE.sub(lambda m: _LIGATURE_OF[m.group(1) or m.group(2)], text)


def _reading_order(boxes: list[_Box], width: float) -> list[_Box]:
    """Top to bottom; where the page has two columns, the left column before the right one.
    Boxes spanning the middle (titles, wide figures) cut the page into bands read in turn."""
    middle = width / 2
    spans = [b for b in boxes if b.x0 < middle - 10 and b.x1 > middle + 10]
    two_column = len(boxes) - len(spans) >= 4 and any(b.x0 >= middle - 10 for b in boxes)
    if not two_column:
        return sorted(boxes, key=lambda b: (-b.y1, b.x0))
    ordered: list[_Box] = []
    band: list[_Box] = []
    for box in sorted(boxes, key=lambda b: -b.y1):
        if box in spans:
            ordered += sorted(band, key=lambda b: (b.x0 >= middle - 10, -b.y1))
            ordered.append(box)
            band = []
        else:
            band.append(box)
    return ordered + sorted(band, key=lambda b: (b.x0 >= middle - 10, -b.y1))


_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[ivxlc\d]+(?:\s*(?:/|of)\s*\d+)?$", re.IGNORECASE)


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower()).strip()


def _running_text(boxes: list[_Box], n_pages: int) -> set[str]:
    """Lines that repeat in the top or bottom margin of many pages: running headers and
    footers (a section title such as "Returns" repeated in the body is not one). A page's topmost
    or bottommost box of one or two lines repeated on three pages is one too: a manual's chapter
    title over its few pages ("How to use bzip2" on 5 of 38)."""
    if n_pages < 3:
        return set()
    seen: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    top: dict[int, _Box] = {}
    bottom: dict[int, _Box] = {}
    for box in boxes:
        if box.page not in top or box.y1 > top[box.page].y1:
            top[box.page] = box
        if box.page not in bottom or box.y0 < bottom[box.page].y0:
            bottom[box.page] = box
    for box in boxes:
        if box.margin:
            shapes = {_shape(line) for line in box.lines[:2] + box.lines[-2:]}
            seen.update(shapes)
            if len(box.lines) <= 2 and (box is top[box.page] or box is bottom[box.page]):
                alone.update(shapes)
    many = {shape for shape, n in seen.items() if n >= max(3, n_pages // 2)}
    # Texinfo's "Chapter 2: Utilities" heads each page of a chapter of one or two pages: the
    # shape repeats less than three times, its numbered opening ("chapter #:") on many pages.
    family = Counter(_opening(shape) for shape, n in alone.items() for _ in range(n))
    common = {f for f, n in family.items() if _NAMED_NUMBER.match(f) and n >= 3}
    return many | {shape for shape, n in alone.items() if n >= 3 or _opening(shape) in common}


_NAMED_NUMBER = re.compile(r"[a-z]+ #")  # "chapter #:", not "#. the" (chapters open pages)


def _opening(shape: str) -> str:
    """A line's first two words, its numbers as "#"."""
    return " ".join(shape.split()[:2])


def _without_running_text(box: _Box, repeated: set[str]) -> _Box:
    if not box.margin or not repeated:
        return box
    kept = [i for i, ln in enumerate(box.lines) if _shape(ln) not in repeated]
    indents = [box.indents[i] for i in kept] if box.indents else []
    return replace(box, lines=[box.lines[i] for i in kept], indents=indents)


def _dropped(box: _Box) -> bool:
    """Nothing left, a page number, or figure-label soup."""
    lines = box.lines
    if not lines:
        return True
    text = " ".join(lines)
    if len(lines) <= 2 and _PAGE_NUMBER.match(text.strip()):
        return True
    visible = [ch for ch in text if not ch.isspace()]
    letters = sum(ch.isalpha() for ch in visible)
    words = re.findall(r"[A-Za-z]{3,}", text)
    # figure labels and axis ticks: mostly symbols and digits, hardly a word
    return bool(visible) and (
        letters / len(visible) < 0.35 or (len(words) < 2 and len(text) < 40 and len(lines) > 2)
    )


def _append_code(blocks: list[Block], code: str, page: int) -> None:
    """A code block, or the rest of the one before it on the page (pdfminer cuts a listing into
    boxes at its blank lines)."""
    last = blocks[-1] if blocks else None
    if last is not None and last.kind == "code" and last.page == page:
        blocks[-1] = replace(last, text=f"{last.text}\n\n{code}")
    else:
        blocks.append(Block("code", code, page))


def _append(blocks: list[Block], block: Block, vocabulary: Vocabulary) -> None:
    """Add `block`, or continue the previous paragraph with it when the paragraph stops
    mid-sentence and the block goes on in lower case (a box, column or page break inside it)."""
    last = blocks[-1] if blocks else None
    if last is not None and _NUMBER_ALONE.match(last.text) and _titled(block):
        # "1.2." set in a box of its own beside its title "What is this spec?"
        blocks[-1] = Block("heading", f"{last.text} {block.text}", last.page)
        return
    # "2.5. MEMORY MANAGEMENT" is a whole title even when the text under it opens in lower case
    # ("bzip2 compresses..."); a mixed-case one may be a line cut short ("3 Changes from Ver-").
    capitals = last is not None and last.kind == "heading" and _CAPITALS_TITLE.match(last.text)
    if (
        last is not None
        and last.kind in {"paragraph", "heading", "item"}  # a one-line box looks like a heading
        and not capitals
        and block.kind == "paragraph"
        and not re.search(r"[.!?:]['\"”’)]*$", last.text)
        and block.text[:1].islower()
    ):
        kind = "item" if last.kind == "item" else "paragraph"
        blocks[-1] = Block(kind, reflow([last.text, block.text], vocabulary), last.page)
    else:
        blocks.append(block)


_CAPITALS_TITLE = re.compile(r"^\d+(?:\.\d+)*\.?\s+[A-Z][A-Z\s&/,-]*[A-Z]$")
_NUMBER_ALONE = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.)$")


def _titled(block: Block) -> bool:
    """A short line that can follow a section number: a title, not a sentence or a figure."""
    text = block.text
    return (
        block.kind in {"heading", "paragraph"}
        and len(text.split()) <= 10
        and text[:1].isupper()
        and not _NUMBER_ALONE.match(text)
    )


def _box_blocks(box: _Box, vocabulary: Vocabulary) -> list[Block]:
    """Paragraphs and list items of one text box."""
    blocks: list[Block] = []
    current: list[str] = []
    kind = "paragraph"

    def flush() -> None:
        if current:
            blocks.append(Block(kind, reflow(current, vocabulary), box.page))
            current.clear()

    for line in box.lines:
        run_in = None if current else _RUN_IN.match(line)
        if run_in:
            # "3.1. Installation directories. The install location of ...": the title run into
            # its paragraph is the section's heading; the paragraph starts after it.
            blocks.append(Block("heading", run_in.group(1), box.page))
            line, kind = line[run_in.end() :], "paragraph"
        elif _is_heading(line, len(box.lines)):
            flush()
            blocks.append(Block("heading", line, box.page))
            kind = "paragraph"
            continue
        if is_bullet(line):
            flush()
            kind = "item"
        current.append(line)
    flush()
    return blocks


_SECTION = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.|[IVX]+\.)\s+[A-Z]")
# "2.4. Basic tests.": a multi-level number, a few words and one closing dot (a list item is
# rarely numbered on two levels).
_DOTTED_SECTION = re.compile(r"^\d+(?:\.\d+)+\.?\s+[A-Z][^.!?:;]{0,60}\.$")
# The same title run into the first line of its paragraph, which goes on with a capital.
_RUN_IN = re.compile(r"^(\d+(?:\.\d+)+\.?\s+[A-Z][^.!?:;]{0,60}\.)\s+(?=[A-Z])")
# Program text, markup and addresses set on a line of their own are not titles.
_NOT_A_TITLE = re.compile(r"://|[\\{}=$<>|]|^\W")
# A title ends on a content word; a sentence broken across boxes ends on "the", "at", "type".
# ("try" and "type" were added for lines of the PARI guide, a realdocs dev file; no test file.)
_OPEN_END = re.compile(
    r"\b(?:a|an|the|of|to|in|on|at|by|for|and|or|with|via|from|as|is|are|try|type)$", re.I
)


def _is_heading(line: str, lines_in_box: int) -> bool:
    """A numbered section title ("2.1 Template Styles", "2.4. Basic tests.") on its own line,
    or a box's only line that is short, reads like a title (capitalised, words, no program
    text) and does not end like a sentence or in the middle of one."""
    words = len(line.split())
    if words > 10:
        return False
    if _DOTTED_SECTION.match(line) or (_SECTION.match(line) and line.endswith("?")):
        return True  # "2.4. Basic tests.", "1.2. What is this spec?"
    if re.search(r"[.!?:;,]$", line):
        return False
    if _SECTION.match(line):
        return True
    return (
        lines_in_box == 1
        and line[:1].isupper()
        and re.search(r"[A-Za-z]{3,}", line) is not None
        and not _NOT_A_TITLE.search(line)
        and not _OPEN_END.search(line)
    )


def _ocr_blocks(text: str, page: int, vocabulary: Vocabulary) -> list[Block]:
    blocks = []
    for para in re.split(r"\n\s*\n", text):
        lines = [clean_line(ln) for ln in para.splitlines() if ln.strip()]
        if not lines:
            continue
        items: list[list[str]] = [[]]
        for line in lines:
            if is_bullet(line) and items[-1]:
                items.append([])
            items[-1].append(line)
        for group in items:
            kind = "item" if is_bullet(group[0]) else "paragraph"
            blocks.append(Block(kind, reflow(group, vocabulary), page))
    return blocks


def _largest_text(boxes: list[_Box]) -> str:
    if not boxes:
        return ""
    top = max(b.size for b in boxes)
    for box in sorted(boxes, key=lambda b: -b.y1):
        # A title is short and seldom has a function word ("Shared MIME-info Database"): only
        # its characters are checked (glyph codes, symbols), not the prose test.
        if box.size >= top - 0.1 and readable(" ".join(box.lines)):
            return reflow(box.lines)[:300]
    return ""


def _metadata_title(data: bytes) -> str:
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.psparser import PSLiteral

    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)))
        info = doc.info[0] if doc.info else {}
        raw: Any = info.get("Title")
        if raw is not None and hasattr(raw, "resolve"):
            raw = raw.resolve()
        if isinstance(raw, PSLiteral):
            raw = raw.name
        if isinstance(raw, bytes):
            if raw.startswith(b"\xfe\xff"):
                title = raw[2:].decode("utf-16-be", "replace")
            else:
                title = raw.decode("latin-1")
        else:
            title = str(raw or "")
    except Exception:
        return ""
    title = clean_line(title)
    # Producers write file names and placeholders here: those are not titles.
    if len(title) < 4 or re.search(r"\.(?:dvi|tex|docx?|pdf)$|^untitled|^microsoft", title, re.I):
        return ""
    return title


def _has_images(layout: Any) -> bool:
    from pdfminer.layout import LTFigure, LTImage

    return any(isinstance(e, (LTFigure, LTImage)) for e in layout)


def _ranges(pages: list[int]) -> str:
    """[2, 3, 4, 7] -> "2-4, 7"."""
    out: list[str] = []
    for p in pages:
        if out and out[-1].split("-")[-1] == str(p - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{p}"
        else:
            out.append(str(p))
    return ", ".join(out)
