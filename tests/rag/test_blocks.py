"""The document model: blocks, re-joined lines, hyphenation, ligatures, code as one unit."""

from rag.blocks import Block, Vocabulary, assemble, clean_line, reflow, text_blocks
from rag.chunk import document_sentences
from rag.parse import parse
from rag.types import Document


def test_reflow_undoes_hyphenation_but_keeps_real_hyphens() -> None:
    vocab = Vocabulary(["a type-stable loop", "SpiderMonkey is fast"])
    assert reflow(["derived from Spi-", "derMonkey, with a 2x-20x speedup"], vocab) == (
        "derived from SpiderMonkey, with a 2x-20x speedup"
    )
    assert (
        reflow(["code that is type-", "stable runs fast"], vocab)
        == "code that is type-stable runs fast"
    )
    assert reflow(["Sun-", "Spider is a benchmark"], vocab) == "Sun-Spider is a benchmark"
    vocab = Vocabulary(["the SunSpider suite"])
    assert reflow(["Sun-", "Spider is a benchmark"], vocab) == "SunSpider is a benchmark"


def test_clean_line_expands_ligatures_and_collapses_space() -> None:
    assert clean_line("e\ufb03cient  \ufb01le\u00a0size\n") == "efficient file size"


def test_assemble_offsets_pages_and_code() -> None:
    done = assemble(
        [
            Block("heading", "Intro", 1),
            Block("paragraph", "One. Two.", 1),
            Block("item", "• a", 2),
            Block("item", "• b", 2),
            Block("code", "x = f('a. b')\ny = 2", 3),
        ],
        n_pages=3,
    )
    assert done.text == "Intro\n\nOne. Two.\n\n• a\n• b\n\nx = f('a. b')\ny = 2"
    assert done.pages == (0, done.text.index("• a"), done.text.index("x ="))
    assert [(done.text[s:e], kind) for s, e, kind in done.blocks] == [
        ("Intro", "heading"),
        ("• a", "item"),
        ("• b", "item"),
        ("x = f('a. b')\ny = 2", "code"),
    ]


def test_a_code_block_is_one_sentence_unit() -> None:
    parsed = parse("notes.md", b"Run this. Then stop.\n\n```python\nprint('a. b')\nx = 1\n```\n")
    doc = parsed.document("notes")
    units = [doc.text[s:e] for s, e in document_sentences(doc)]
    assert units == ["Run this.", "Then stop.", "print('a. b')\nx = 1"]


def test_hard_wrapped_text_is_rejoined_and_one_paragraph_per_line_text_is_kept() -> None:
    wrapped = (
        "Loop statements may have an else clause; it is executed when the loop\n"
        "terminates through exhaustion of the iterable, but not when the loop is\n"
        "terminated by a break statement.\n"
    )
    doc = parse("a.txt", wrapped.encode()).document("a")
    units = [doc.text[s:e] for s, e in document_sentences(doc)]
    assert units == [" ".join(wrapped.split())]
    # the seeds' shape: one long paragraph per line, each line stays where it was
    lines = ["A" * 150 + " one.", "B" * 160 + " two.", "Short heading"]
    kept = parse("b.txt", "\n".join(lines).encode()).text
    assert kept == "\n".join(lines)


def test_sentences_of_old_documents_without_blocks_are_unchanged() -> None:
    doc = Document("d", "t", "First line\nSecond one. Third.")
    assert [doc.text[s:e] for s, e in document_sentences(doc)] == [
        "First line",
        "Second one.",
        "Third.",
    ]


def test_text_blocks_markdown_kinds() -> None:
    kinds = [b.kind for b in text_blocks("# Title\n\n- one\n- two\n\n| a | b |\n\n    code\n")]
    assert kinds == ["heading", "item", "item", "row", "code"]


def test_headings_are_kept_and_give_each_sentence_its_section() -> None:
    doc = parse(
        "m.md", b"# Guide\n\n## Limits\n\nUploads stop at 16 MB.\n\n## Keys\n\nSet one."
    ).document("m")
    assert [doc.text[s:e] for s, e in doc.headings] == ["Guide", "Limits", "Keys"]
    assert doc.section_at(doc.text.index("Uploads")) == "Limits"
    assert doc.section_at(doc.text.index("Set one")) == "Keys"
    assert Document("d", "t", "no sections here").section_at(3) == ""


def test_a_long_text_file_is_parsed_in_linear_time() -> None:
    """60,000 lines (3.3 MB): re-joining lines once re-read the whole paragraph so far at every
    line (5,000 lines took ~50 s; this file never finished an upload)."""
    import time

    from rag.parse import parse

    text = "".join(f"Shipment {i} of ore left port on day {i % 365}.\n" for i in range(60_000))
    t0 = time.perf_counter()
    doc = parse("long.txt", text.encode()).document("long", "long.txt")
    assert time.perf_counter() - t0 < 30  # ~2 s here; the quadratic version needed hours
    assert doc.text.count("Shipment") == 60_000


def test_markdown_is_read_as_rendered_text() -> None:
    source = (
        b"# Readline\n\n<!--introduced_in=v0.10.0-->\n\n"
        b"The `node:readline` module reads a [Readable][] stream *one line* at a time,\n"
        b"see [the guide](https://example.org/guide).\n\n"
        b"| Flag | Memory |\n| --- | --- |\n| -1 | 1200k |\n| -9 | 7600k |\n\n"
        b"```js\nrl.close();\n```\n\n[Readable]: https://example.org/readable\n"
    )
    parsed = parse("readline.md", source)
    assert parsed.title == "Readline"
    assert parsed.text == (
        "Readline\n\n"
        "The node:readline module reads a Readable stream one line at a time, see the guide.\n\n"
        "Flag | Memory\n-1 | 1200k\n-9 | 7600k\n\n"
        "rl.close();"
    )
    assert [kind for _, _, kind in parsed.blocks] == ["heading", "row", "row", "row", "code"]
