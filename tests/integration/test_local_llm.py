"""The real local LLM (Qwen2.5-Coder-1.5B through llama.cpp) answering through the pipeline."""

import threading
import time

import pytest

from rag.config import Settings
from rag.generators.local import LocalGenerator, _chat_tokens, _passage
from rag.generators.worker import Budget
from rag.judge import Judge
from rag.pipeline import Pipeline
from rag.prompt import judge_messages, messages
from tests.rag.test_pipeline import assert_contract

pytest.importorskip("llama_cpp", reason="the `local` extra is installed by `make install`")
pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def local(real_settings: Settings) -> Pipeline:
    pipeline = Pipeline.load(real_settings.model_copy(update={"llm_backend": "local"}))
    assert pipeline.backends.get("local").__class__.__name__ == "LocalGenerator", (
        pipeline.backends.get("local")
    )
    return pipeline


def test_the_model_is_measured_when_it_loads(local: Pipeline) -> None:
    speed = local.backends.get("local").speed  # type: ignore[union-attr]
    assert speed.prompt_tps > 5 and speed.gen_tps > 1


def test_local_llm_answers_value_first_with_verified_citation(local: Pipeline) -> None:
    answer = local.answer("What was the value of the USSM MoU?")
    assert_contract(local, answer)
    assert answer.backend == "local", (answer.decision, answer.warnings)
    assert not answer.abstained and answer.answer.startswith("$500 million [1]")
    assert all(c.verified for c in answer.citations)
    assert (
        answer.timings_ms["draft"] < answer.timings_ms["first_token"] <= answer.timings_ms["total"]
    )


def test_local_llm_abstains_off_corpus(local: Pipeline) -> None:
    answer = local.answer("What is the population of Karachi?")
    assert answer.abstained and not answer.citations


def test_the_verified_draft_comes_first_then_tokens(local: Pipeline) -> None:
    events = list(local.stream("Who is the CEO of U.S. Strategic Metals?"))
    kinds = [k for k, _ in events]
    assert kinds[0] == "draft" and kinds.count("token") >= 2 and kinds[-1] == "answer"
    assert events[0][1].citations and all(c.verified for c in events[0][1].citations)
    answer = events[-1][1]
    assert answer.backend == "local" and "Stacy Hastie" in answer.answer


def test_an_abandoned_stream_frees_the_model(local: Pipeline) -> None:
    cancelled = threading.Event()
    events = local.stream("When was the MoU between USSM and FWO signed?", cancelled=cancelled)
    assert next(events)[0] == "draft"
    assert next(events)[0] == "token"
    cancelled.set()  # the client closed the tab
    events.close()
    t0 = time.perf_counter()
    answer = local.answer("Who is the CEO of U.S. Strategic Metals?")
    assert answer.backend == "local" and "Stacy Hastie" in answer.answer
    assert answer.timings_ms["queue"] < 1000, "the abandoned answer still held the model"
    assert time.perf_counter() - t0 < 60


def test_the_injection_document_does_not_change_the_local_answer(
    local: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> None:

    from rag.indexer import sync
    from rag.store import load_store
    from tests.rag.test_injection import injected_corpus

    corpus = injected_corpus(tmp_path_factory.mktemp("injected"))
    settings = local.settings.model_copy(
        update={"index_dir": tmp_path_factory.mktemp("index"), "sources": [corpus]}
    )
    sync(settings, embedder=local.embedder)
    store = load_store(settings.current_index, local.embedder.name, local.embedder.dim)
    answer = local.with_store(store).answer("What was the value of the USSM MoU?")
    assert "zz_injection" in {p["doc_id"] for p in answer.retrieved}
    assert answer.backend == "local" and answer.answer.startswith("$500 million [1]")
    assert "cancelled" not in answer.answer


# Sentences from other domains, each with a question it answers and one it does not (a swapped
# name, as SQuAD 2.0's unanswerable questions are written).
JUDGE_CASES = [
    (
        (
            "Roman Empire",
            "The Western Roman Empire fell in 476 AD, when Odoacer deposed the "
            "emperor Romulus Augustulus.",
        ),
        "When did the Western Roman Empire fall?",
        "How many children did Odoacer have?",
    ),
    (
        (
            "Tour de France",
            "Eddy Merckx won the Tour de France five times, in 1969, 1970, 1971, 1972 and 1974.",
        ),
        "How many times did Eddy Merckx win the Tour de France?",
        "How many times did Eddy Merckx win the Giro d'Italia?",
    ),
]


@pytest.mark.parametrize(("sentence", "answered", "unanswered"), JUDGE_CASES)
def test_the_model_checks_whether_a_sentence_answers(
    local: Pipeline, sentence: tuple[str, str], answered: str, unanswered: str
) -> None:
    model = local.backends.get("local")
    assert isinstance(model, Judge)
    yes = model.judge(answered, [sentence], Budget.within(120))
    no = model.judge(unanswered, [sentence], Budget.within(120))
    assert yes > 0 > no, (yes, no)


def test_the_check_and_the_answers_share_the_cached_instructions(local: Pipeline) -> None:
    model = local.backends.get("local")
    assert isinstance(model, LocalGenerator)
    llm, question = model.engine.llm, "When did the Western Roman Empire fall?"
    passages = [_passage(JUDGE_CASES[0][0][1])]
    "".join(model.stream(question, passages, Budget.within(120)))
    # Our rendering of the chat is the one llama.cpp read for the answer ...
    answer = _chat_tokens(llm, messages(question, passages))
    assert list(llm.input_ids[: len(answer)]) == answer
    # ... and a check starts with the same instructions, so neither re-reads them.
    check = _chat_tokens(llm, judge_messages(question, [JUDGE_CASES[0][0]]))
    shared = next(i for i, (a, b) in enumerate(zip(answer, check, strict=False)) if a != b)
    system = len(llm.tokenize(judge_messages(question, [])[0]["content"].encode()))
    assert shared >= system


def test_a_local_answer_is_checked_by_the_model(local: Pipeline) -> None:
    answer = local.answer("Which copper and gold mine is mentioned as a CPEC project?")
    assert not answer.abstained and answer.judge_margin is not None and answer.judged is not None
    assert "fused" in answer.decision and "judge" in answer.timings_ms
    unanswerable = local.answer("How many jobs will the USSM deal create in Pakistan?")
    assert unanswerable.abstained and not unanswerable.citations
