"""The ranker's candidate sentences: what is read, what is quoted (first stage only, no scorer)."""

from rag.embed import HashEmbedder
from rag.question import analyse
from rag.rank import Ranker
from rag.types import Chunk, Document, Passage

TEXT = (
    "Basic tests\n\n"
    "To test the binary, type make bench. This runs a quick series of tests.\n\n"
    "It takes a few seconds.\n\n"
    "response.headers['X-Frame-Options'] = 'SAMEORIGIN'\n\n"
    "The bench writes a report. Its name is pari.ps."
)


def _ranker_and_passage() -> tuple[Ranker, Passage]:
    heading = (0, len("Basic tests"), "heading")
    code_at = TEXT.index("response")
    code = (code_at, code_at + len("response.headers['X-Frame-Options'] = 'SAMEORIGIN'"), "code")
    doc = Document("pari", "Installing", TEXT, blocks=(heading, code))
    chunk = Chunk("pari:0", "pari", TEXT, 0, len(TEXT))
    return Ranker({"pari": doc}, HashEmbedder()), Passage(1, chunk, doc.title, 1.0)


def _quoted() -> list[str]:
    ranker, passage = _ranker_and_passage()
    q = analyse("Which command runs a quick series of tests?")
    return sorted(r.text for r in ranker.rank(q, [passage]))


def test_a_sentence_leaning_on_its_predecessor_is_read_and_quoted_with_it() -> None:
    quoted = _quoted()
    assert "To test the binary, type make bench. This runs a quick series of tests." in quoted
    assert "The bench writes a report. Its name is pari.ps." in quoted
    # the predecessor is still a candidate of its own
    assert "To test the binary, type make bench." in quoted


def test_no_leaning_back_across_a_paragraph_break() -> None:
    assert "It takes a few seconds." in _quoted()
    assert not any(
        t.endswith("It takes a few seconds.") and t != "It takes a few seconds." for t in _quoted()
    )


def test_a_code_block_is_a_candidate_and_a_heading_is_not() -> None:
    quoted = _quoted()
    assert "response.headers['X-Frame-Options'] = 'SAMEORIGIN'" in quoted
    assert "Basic tests" not in quoted


def test_warm_embeds_what_a_question_reads() -> None:
    ranker, passage = _ranker_and_passage()
    ranker.warm()
    warmed = set(ranker._vectors)
    ranker.rank(analyse("Which command runs a quick series of tests?"), [passage])
    assert set(ranker._vectors) == warmed
