"""The local model's yes/no check on the LLM path (`rag.judge`), with a fake local backend; the
real model's check has its own test in tests/integration/test_local_llm.py."""

from collections.abc import Iterator, Sequence

import pytest

from rag.answerability import fuse
from rag.config import Settings
from rag.embed import HashEmbedder
from rag.errors import BusyError, DeadlineError, GeneratorError
from rag.generators.worker import Budget
from rag.judge import Judge
from rag.pipeline import Pipeline
from rag.types import Passage

# Not a value question: the quote stands after the check (no LLM answer is written).
QUESTION = "Which copper and gold mine is mentioned as a CPEC project?"


class FakeLocal:
    """A local backend whose check says what it is told; it writes no answers."""

    name = "local"

    def __init__(self, margin: float | Exception) -> None:
        self.margin = margin
        self.asked: list[tuple[str, list[tuple[str, str]]]] = []

    def judge(self, question: str, sentences: Sequence[tuple[str, str]], budget: Budget) -> float:
        self.asked.append((question, list(sentences)))
        if isinstance(self.margin, Exception):
            raise self.margin
        return self.margin

    def stream(
        self, question: str, passages: Sequence[Passage], budget: Budget, leads: Sequence[str] = ()
    ) -> Iterator[str]:
        raise GeneratorError("this fake writes no answers")


def with_local(settings: Settings, fake: FakeLocal, **changes: object) -> Pipeline:
    update = {"top_k": 10, "llm_backend": "local", **changes}
    p = Pipeline.load(settings.model_copy(update=update), HashEmbedder())
    p.backends._built["local"] = fake
    return p


def test_fuse_moves_the_scorer_by_the_weighted_margin() -> None:
    assert fuse(0.5, 0.0, 1.0) == pytest.approx(0.5)
    assert fuse(0.2, 3.0, 0.0) == pytest.approx(0.2)  # weight 0: the scorer alone
    assert fuse(0.2, 3.0, 1.0) > 0.5 > fuse(0.8, -3.0, 1.0)
    assert fuse(0.2, 2.0, 1.0) < fuse(0.2, 2.0, 2.0)
    assert 0.0 <= fuse(1.0, -1e9, 5.0) <= fuse(0.0, 1e9, 5.0) <= 1.0  # no overflow


def test_the_fake_is_a_judge() -> None:
    assert isinstance(FakeLocal(0.0), Judge)


def test_a_confident_no_turns_the_scorers_answer_into_an_abstention(hash_index: Settings) -> None:
    fake = FakeLocal(-9.0)
    events = list(with_local(hash_index, fake, min_answer_score=0.0).stream(QUESTION))
    draft, final = events[0][1], events[-1][1]
    assert events[0][0] == "draft" and not draft.abstained and draft.citations
    assert final.abstained and not final.citations
    assert final.judge_margin == -9.0 and final.judged is not None and final.judged < 0.5
    assert "fused" in final.decision and "log-odds -9.00" in final.decision
    # It read the scorer's best sentences, with their documents' titles.
    (question, sentences) = fake.asked[0]
    assert question == QUESTION and len(sentences) == 1
    assert all(title and text for title, text in sentences)


def test_a_confident_yes_answers_what_the_scorer_alone_refused(hash_index: Settings) -> None:
    p = with_local(hash_index, FakeLocal(9.0), min_answer_score=0.99, min_judged_score=0.5)
    events = list(p.stream(QUESTION))
    draft, final = events[0][1], events[-1][1]
    assert draft.abstained  # the scorer's provisional answer
    assert not final.abstained and final.citations and all(c.verified for c in final.citations)
    assert final.judged is not None and final.judged >= 0.5
    assert final.decision.startswith("the best sentence answers (fused")
    for c in final.citations:
        assert p.document(c.doc_id).text[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    "failure",
    [
        DeadlineError("the local model did not answer within its deadline"),
        BusyError("the local model is busy; retry shortly"),  # its queue filled meanwhile
    ],
)
def test_a_check_that_fails_leaves_the_scorers_decision(
    hash_index: Settings, failure: Exception
) -> None:
    fake = FakeLocal(failure)
    events = list(with_local(hash_index, fake, min_answer_score=0.0).stream(QUESTION))
    assert events[-1][0] == "answer"  # the stream ends with an answer, never cut
    final = events[-1][1]
    assert not final.abstained and final.citations and final.judged is None
    assert any("could not check the answer" in w for w in final.warnings)


@pytest.mark.parametrize("changes", [{"judge_weight": 0.0}, {"llm_backend": "extractive"}])
def test_no_check_when_it_is_off_or_on_the_extractive_path(
    hash_index: Settings, changes: dict[str, object]
) -> None:
    fake = FakeLocal(-9.0)
    p = with_local(hash_index, fake, min_answer_score=0.0, **changes)
    p.backends._built["local"] = fake
    final = p.answer(QUESTION, backend="extractive" if "llm_backend" in changes else None)
    assert not final.abstained and final.judged is None and not fake.asked


def test_a_draft_quote_without_the_asked_kind_is_checked_not_refused(hash_index: Settings) -> None:
    """The reader's quote is no longer refused for lacking the asked kind of value (that rule
    cost answers on the held-out dev article): the model checks it like any other draft."""
    fake = FakeLocal(9.0)
    question = "On what date was the copper and gold mine mentioned as a CPEC project opened?"
    events = list(with_local(hash_index, fake, min_answer_score=0.0).stream(question))
    final = events[-1][1]
    assert "does not give a date" not in final.decision
    assert fake.asked and final.judged is not None


def test_a_checker_only_model_writes_nothing_and_the_checked_quote_stands(
    hash_index: Settings,
) -> None:
    """RAG_LLM_QUESTIONS=none (what auto picks where writing is too slow): even a value question
    gets the verified quote, after the model's check; the fake would fail if asked to write."""
    fake = FakeLocal(9.0)
    question = "When did U.S. Strategic Metals sign the MoU with the FWO?"
    p = with_local(hash_index, fake, min_answer_score=0.0, llm_questions="none")
    events = list(p.stream(question))
    final = events[-1][1]
    assert [kind for kind, _ in events] == ["draft", "answer"]
    assert fake.asked and final.judged is not None and not final.abstained
    assert "the LLM writes no answers here" in final.decision
    assert final.citations and all(c.verified for c in final.citations)
