from pathlib import Path

import pytest

from rag.chunk import chunk_document, sentence_spans
from rag.ingest import load_documents
from rag.types import Document

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.mark.parametrize(("size", "overlap"), [(800, 100), (300, 50), (150, 0)])
def test_chunk_offsets_are_exact_on_every_seed(size: int, overlap: int) -> None:
    for doc in load_documents([SEEDS]):
        chunks = chunk_document(doc, size, overlap)
        assert chunks, doc.doc_id
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert len(c.text) <= size
            assert c.doc_id == doc.doc_id
        # Together the chunks cover every non-space character of the document.
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_offsets_hold_when_text_repeats() -> None:
    para = "The same sentence appears again. " * 30
    doc = Document("rep", "rep", f"{para}\n\n{para}\n\nA different ending.")
    chunks = chunk_document(doc, 200, 40)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_document(Document("d", "d", "text"), 100, 100)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "On September 8, U.S. Strategic Metals signed an MoU. It is worth $500 million.\n"
            "Next line",
            [
                "On September 8, U.S. Strategic Metals signed an MoU.",
                "It is worth $500 million.",
                "Next line",
            ],
        ),
        # Valgrind's quick start: "(eg. 20 to 30 times)" once cut the answer in two; after
        # "U.S." a number still starts a sentence.
        (
            "It will run much slower (eg. 20 to 30 times) than normal. See Fig. 3 for more. "
            "In the U.S. 2025 was dry.",
            [
                "It will run much slower (eg. 20 to 30 times) than normal.",
                "See Fig. 3 for more.",
                "In the U.S.",
                "2025 was dry.",
            ],
        ),
    ],
)
def test_sentence_spans_keep_abbreviations_together(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in sentence_spans(text)] == expected


def test_sentence_spans_offset_shifts_positions() -> None:
    assert sentence_spans("  One. Two.", offset=10) == [(12, 16), (17, 21)]
