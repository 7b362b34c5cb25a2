"""Pure Document -> Chunks with exact character offsets, plus a sentence splitter with offsets."""

from __future__ import annotations

import re
from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.types import Chunk, Document

# Paragraphs first, then lines, then sentence ends, then clauses and words.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_document(doc: Document, size: int = 800, overlap: int = 100) -> list[Chunk]:
    """Split one document; each chunk records where its text sits in `doc.text`."""
    if overlap >= size:
        raise ValueError(f"chunk overlap ({overlap}) must be smaller than chunk size ({size})")
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    cursor = 0
    for piece in splitter.split_text(doc.text):
        # Chunks come in order and overlap by at most `overlap` chars, so search from just
        # after the previous chunk's start: the first match there is this piece's position.
        start = doc.text.find(piece, cursor)
        if start < 0:  # pragma: no cover - the splitter only strips, it never rewrites text
            raise ValueError(f"chunk not found in {doc.doc_id}: {piece[:40]!r}")
        end = start + len(piece)
        chunks.append(Chunk(f"{doc.doc_id}#{len(chunks)}", doc.doc_id, piece, start, end))
        cursor = start + 1
    return chunks


def chunk_documents(docs: list[Document], size: int = 800, overlap: int = 100) -> list[Chunk]:
    """Chunks of every document, in document order."""
    return [c for d in docs for c in chunk_document(d, size, overlap)]


_BOUNDARY = re.compile(r"[.!?][\"”’)\]]*\s+|\n+")
# Abbreviations a number often follows ("Fig. 3", "pp. 12", "(eg. 20 to 30 times)"): no sentence
# ends there, whatever comes next. After the others ("U.S.", "Inc."), a number starts a sentence.
_NUMBERED = r"\b(?:No|Nos|vs|Fig|Figs|Eq|Eqs|Sec|Ch|Vol|pp|cf|approx|ca|ex|eg|Eg|ie|viz)\."
_BEFORE_NUMBER = re.compile(_NUMBERED + "$")
_ABBREV = re.compile(
    r"(?:\b(?:[A-Z]\.){1,3}|\b(?:[a-z]\.){2,3}|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|etc|Inc|Co|Ltd|al|resp|"
    rf"Prof)\.|{_NUMBERED})$"
)


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, shifted by `offset`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        head = text[start : m.start() + 1]
        # "U.S. Strategic Metals" is not a sentence end; a newline always is.
        kept = _next_is_word(text, m.end()) or _BEFORE_NUMBER.search(head)
        if "\n" not in m.group() and _ABBREV.search(head) and kept:
            continue
        end = m.end()
        _add_span(text, start, end, offset, spans)
        start = end
    _add_span(text, start, len(text), offset, spans)
    return spans


def document_sentences(doc: Document) -> tuple[tuple[int, int], ...]:
    """The sentence units of a document: a list item, a table row or a code block is one unit;
    everything else is split by `sentence_spans` (a line break always ends a unit: parsers
    re-join hard-wrapped lines)."""
    atoms = tuple((s, e) for s, e, kind in doc.blocks if kind in {"item", "row", "code"})
    return _units(doc.text, atoms)


@lru_cache(maxsize=256)
def _units(text: str, atoms: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    if not atoms:
        return tuple(sentence_spans(text))
    spans: list[tuple[int, int]] = []
    cursor = 0
    for start, end in atoms:
        spans += sentence_spans(text[cursor:start], cursor)
        stripped = text[start:end]
        if stripped.strip():
            lead = len(stripped) - len(stripped.lstrip())
            spans.append((start + lead, start + len(stripped.rstrip())))
        cursor = end
    spans += sentence_spans(text[cursor:], cursor)
    return tuple(spans)


def in_code(doc: Document, start: int) -> bool:
    """Does offset `start` fall inside one of the document's code blocks?"""
    return any(s <= start < e for s, e in doc.code)


def _next_is_word(text: str, pos: int) -> bool:
    return pos < len(text) and not text[pos].isdigit()


def _add_span(text: str, start: int, end: int, offset: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    s = start + (len(piece) - len(piece.lstrip()))
    spans.append((offset + s, offset + s + len(stripped)))


def chunk_text_for_index(title: str, text: str, with_title: bool) -> str:
    """What gets embedded and BM25-indexed for a chunk: optionally its title, then its text."""
    return f"{title[:200]}\n{text}" if with_title else text
