"""The document model every parser produces: blocks (heading, paragraph, item, row, code), each
on a page, joined into the one cleaned text that citations, the viewer and the index read.

Layout of the stored text: blocks are separated by a blank line, except consecutive list items
and table rows, which sit one per line. A paragraph never holds a line break (hard-wrapped lines
are re-joined, end-of-line hyphenation undone), so a line break in the text always ends a unit;
a code block keeps its lines verbatim. `Assembled.blocks` records where each heading, item, row
and code block sits ((start, end, kind); paragraphs are the rest): items, rows and code blocks
are one sentence unit each, headings name the section of what follows.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KINDS = ("heading", "paragraph", "item", "row", "code")
_TIGHT = {"item", "row"}  # consecutive blocks of these kinds sit one per line


@dataclass(frozen=True)
class Block:
    kind: str  # one of KINDS
    text: str
    page: int = 0  # 1-based page of a PDF, 0 when the file has none
    tight: bool = False  # joined to the previous block by a line break, not a blank line


@dataclass(frozen=True)
class Assembled:
    text: str
    pages: tuple[int, ...]  # where each page starts in `text` (PDF only)
    blocks: tuple[tuple[int, int, str], ...] = ()  # (start, end, kind) of all but paragraphs


def assemble(blocks: Iterable[Block], n_pages: int = 0) -> Assembled:
    """The stored text of `blocks`, with page starts and block spans as offsets into it."""
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    page_starts: dict[int, int] = {}
    offset = 0
    previous: Block | None = None
    for block in blocks:
        body = block.text.strip("\n") if block.kind == "code" else block.text.strip()
        if not body.strip():
            continue
        if previous is not None:
            tight = block.tight or (block.kind in _TIGHT and previous.kind == block.kind)
            sep = "\n" if tight else "\n\n"
            parts.append(sep)
            offset += len(sep)
        for page in range(len(page_starts) + 1, block.page + 1):
            page_starts.setdefault(page, offset)
        if block.kind != "paragraph":
            spans.append((offset, offset + len(body), block.kind))
        parts.append(body)
        offset += len(body)
        previous = block
    pages: tuple[int, ...] = ()
    if n_pages:
        starts = [page_starts.get(p) for p in range(1, n_pages + 1)]
        filled: list[int] = []
        for start in reversed(starts):  # a page without text starts where the next one does
            filled.append(start if start is not None else (filled[-1] if filled else offset))
        pages = tuple(min(s, offset) for s in reversed(filled))
        pages = (0, *pages[1:]) if pages else ()
    return Assembled("".join(parts), pages, tuple(spans))


_LIGATURES = str.maketrans({"\u00ad": "", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl"})
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def clean_line(line: str) -> str:
    """NFKC (ligatures expanded, full-width forms plain), soft hyphens dropped, spaces collapsed."""
    line = unicodedata.normalize("NFKC", re.sub(r"[\n\r\t\f\v]", " ", line).translate(_LIGATURES))
    line = "".join(ch for ch in line if ch >= " " or ch == "\t")
    return _SPACES.sub(" ", line).strip()


_BULLET = re.compile(r"^(?:[•◦▪‣∙·●○■□–—*-]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+\S")
_HYPHEN_END = re.compile(r"([A-Za-z]+)-$")
_WORD_START = re.compile(r"^([A-Za-z]+)")


def is_bullet(line: str) -> bool:
    """Does this line open a list item ("• text", "– text", "1. text", "(a) text")?"""
    return _BULLET.match(line) is not None


class Vocabulary:
    """Words of one document, to decide whether "Spi-" + "derMonkey" was hyphenation."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.words: Counter[str] = Counter()
        for line in lines:
            self.words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", line))

    def join(self, left: str, right: str) -> str:
        """`left` ends in "word-" at a line end: the hyphen is kept when the document writes the
        hyphenated form more often than the joined one, or (neither written) when the right part
        starts in upper case ("Sun-" / "Spider" -> "Sun-Spider" unless "SunSpider" is written)."""
        end = _HYPHEN_END.search(left)
        start = _WORD_START.match(right)
        if end is None or start is None:
            return f"{left} {right}" if not left.endswith("-") else left + right
        head, tail = end.group(1).lower(), start.group(1).lower()
        hyphenated = self.words[f"{head}-{tail}"]
        joined = self.words[head + tail]
        if hyphenated > joined or (not joined and not start.group(1)[0].islower()):
            return left + right
        return left[:-1] + right


def reflow(lines: Sequence[str], vocabulary: Vocabulary | None = None) -> str:
    """Hard-wrapped lines of one paragraph as one line: spaces between lines, end-of-line
    hyphenation undone ("Spi-" / "derMonkey" -> "SpiderMonkey"; "type-" / "stable" stays
    "type-stable" when the document writes it so elsewhere)."""
    vocabulary = vocabulary or Vocabulary(lines)
    parts: list[str] = []  # joined once at the end: linear in the paragraph's length
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if parts and _HYPHEN_END.search(parts[-1]) and _WORD_START.match(line):
            # Only the last piece is read and rewritten, never the whole paragraph so far.
            parts[-1] = vocabulary.join(parts[-1], line)
        else:
            parts.append(line)
    return " ".join(parts)


def text_blocks(text: str) -> list[Block]:
    """Blocks of plain or Markdown text: blank lines part blocks; ``` fences make code blocks;
    "#" lines headings; bullets items; "a | b" lines rows; indented blocks code. Hard-wrapped
    paragraphs (every line but the last near the longest, at most 100 characters) are re-joined;
    other line breaks stay, each ending its line as before."""
    blocks: list[Block] = []
    raw = text.replace("\r\n", "\n").replace("\r", "\n")
    vocabulary = Vocabulary(raw.splitlines())
    for part in _fenced(raw):
        if part.startswith("```"):
            blocks.append(Block("code", part.split("\n", 1)[1] if "\n" in part else ""))
            continue
        for chunk in re.split(r"\n[ \t]*\n", part):
            lines = [ln.rstrip() for ln in chunk.split("\n") if ln.strip()]
            if not lines:
                continue
            if all(ln.startswith(("    ", "\t")) for ln in lines):
                blocks.append(Block("code", "\n".join(lines)))
                continue
            blocks += _plain(lines, vocabulary)
    return blocks


def _fenced(text: str) -> list[str]:
    """Text split into ``` fenced code (kept with its opening fence line) and the rest."""
    parts = re.split(r"(?m)^(```[^\n]*\n.*?)^```[ \t]*$", text, flags=re.S)
    return [p for p in parts if p.strip()]


def _plain(lines: list[str], vocabulary: Vocabulary) -> list[Block]:
    longest = max(len(ln) for ln in lines)
    wrapped = 40 <= longest <= 100 and len(lines) > 1
    out: list[Block] = []
    para: list[str] = []

    def add(kind: str, text: str) -> None:
        out.append(Block(kind, text, tight=bool(out)))  # a line break stays a line break

    def flush() -> None:
        if para:
            add("paragraph", reflow(para, vocabulary) if wrapped else para[0])
            para.clear()

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            flush()
            add("heading", stripped)
        elif is_bullet(stripped):
            flush()
            add("item", stripped)
        elif stripped.count("|") >= 2 or (stripped.count("|") == 1 and " | " in stripped):
            flush()
            add("row", stripped)
        elif wrapped and out and out[-1].kind == "item" and not para and line.startswith(" "):
            out[-1] = Block(
                "item", reflow([out[-1].text, stripped], vocabulary), tight=out[-1].tight
            )
        else:
            para.append(stripped)
            if not wrapped or len(line) < 0.6 * longest:
                flush()  # a short line ends its paragraph (a heading, a last line)
    flush()
    return out
