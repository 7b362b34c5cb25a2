"""The ranker's candidate sentences: what is read, what is quoted, and the answer words."""

from collections.abc import Sequence

import pytest

from rag.answerability import Reading
from rag.embed import HashEmbedder
from rag.question import analyse
from rag.rank import Ranker, Scored
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


def test_a_short_code_block_is_read_with_the_sentence_introducing_it() -> None:
    intro = "A very strict policy would be:"
    setting = "response.headers['Content-Security-Policy'] = \"default-src 'self'\""
    long_code = "\n".join(f"line_{i} = {i}" for i in range(30))
    text = "\n\n".join(
        [intro, setting, "The listing follows:", long_code, "No colon here.", setting]
    )
    codes = [text.index(setting), text.index(long_code), text.rindex(setting)]
    lengths = [len(setting), len(long_code), len(setting)]
    doc = Document("flask", "Security", text, blocks=tuple(
        (at, at + n, "code") for at, n in zip(codes, lengths, strict=True)
    ))  # fmt: skip
    chunk = Chunk("flask:0", "flask", text, 0, len(text))
    ranker = Ranker({"flask": doc}, HashEmbedder())
    quoted = {r.text for r in ranker.rank(analyse("What is a strict policy?"), [
        Passage(1, chunk, doc.title, 1.0)
    ])}  # fmt: skip
    assert f"{intro}\n\n{setting}" in quoted
    assert long_code in quoted and setting in quoted  # too long, or not introduced: alone


def test_warm_embeds_what_a_question_reads() -> None:
    ranker, passage = _ranker_and_passage()
    ranker.warm()
    warmed = set(ranker._vectors)
    ranker.rank(analyse("Which command runs a quick series of tests?"), [passage])
    assert set(ranker._vectors) == warmed


class _SpanScorer:
    """A fake reader: a sentence holding a key answers with its probability, its answer words
    are the key's phrase with the key's confidence; any other sentence answers with 0.7."""

    name = "fake"

    def __init__(self, phrases: dict[str, tuple[str, float, float]]) -> None:
        self.phrases = phrases

    def read(self, question: str, sentences: Sequence[tuple[str, str]]) -> list[Reading]:
        out = []
        for _, sentence in sentences:
            found = [v for key, v in self.phrases.items() if key in sentence]
            if not found:
                out.append(Reading(0.7))
                continue
            phrase, conf, prob = found[0]
            at = sentence.index(phrase)
            out.append(Reading(prob, (at, at + len(phrase)), conf))
        return out


def _read(
    text: str, phrases: dict[str, tuple[str, float, float]], span_weight: float
) -> list[Scored]:
    doc = Document("ninja", "Ninja", text)
    chunk = Chunk("ninja:0", "ninja", text, 0, len(text))
    ranker = Ranker(
        {"ninja": doc}, HashEmbedder(), _SpanScorer(phrases), first_weight=0.0,
        span_weight=span_weight,
    )  # fmt: skip
    return ranker.rank(analyse("Where is the log kept?"), [Passage(1, chunk, "Ninja", 1.0)])


def test_the_quote_prefers_a_sentence_whose_answer_words_the_reader_is_sure_of() -> None:
    text = "Ninja keeps a log of each command. The log is kept in a file called .ninja_log."
    phrases = {"keeps": ("a log", 0.1, 0.75), "called": (".ninja_log", 0.8, 0.7)}
    assert _read(text, phrases, 0.5)[0].answer_words == ".ninja_log"
    assert _read(text, phrases, 0.0)[0].answer_words == "a log"  # the reader's order alone


@pytest.mark.parametrize(
    ("phrase", "words"),
    [
        ("6 (3 on X86", "6 (3 on X86)"),  # closes where the sentence closes it
        ("[%f/%t", "[%f/%t]"),
        ("6 (3 on", "6"),  # cannot close: ends before the bracket
        ("(3 on", "3 on"),  # an opening bracket at its start goes
        ("X86) and the status", "and the status"),  # starts after the bracket it closes
    ],
)
def test_answer_words_never_leave_a_bracket_open(phrase: str, words: str | None) -> None:
    text = "The best number of streams is 6 (3 on X86) and the status is [%f/%t] by default."
    assert _read(text, {"streams": (phrase, 0.9, 0.7)}, 0.5)[0].answer_words == words
