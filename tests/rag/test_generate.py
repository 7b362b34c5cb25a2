"""Backend selection, the fallback chain, hosted answers via a fake OpenAI server, abstention."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from rag.chunk import sentence_spans
from rag.config import Settings
from rag.embed import HashEmbedder
from rag.errors import InvalidInputError
from rag.generate import chain_order
from rag.pipeline import Pipeline
from rag.policy import value_lead
from rag.question import analyse
from rag.types import Answer, Passage
from tests.fakes import FakeOpenAI

QUESTION = "What was the value of the USSM MoU?"


def pipeline_with(settings: Settings, **changes: object) -> Pipeline:
    # The hash embedder ranks less well than MiniLM: look at 10 passages so a "$500 million" one
    # is among them.
    return Pipeline.load(settings.model_copy(update={"top_k": 10, **changes}), HashEmbedder())


def test_chain_order() -> None:
    assert chain_order("local", hosted_configured=True) == ["local", "hosted", "extractive"]
    assert chain_order("local", hosted_configured=False) == ["local", "extractive"]
    assert chain_order("hosted", hosted_configured=False) == ["hosted", "extractive"]
    assert chain_order("extractive", hosted_configured=True) == ["extractive"]


def test_hosted_answer_is_verified_and_renumbered(hash_index: Settings) -> None:
    # The model restates the sentence the scorer chose, citing it by its passage number.
    extractive = pipeline_with(hash_index)
    best = extractive.ranker.rank(analyse(QUESTION), extractive.passages(QUESTION, 10))[0]
    assert "$500 million" in best.text
    fake = FakeOpenAI(f"{best.text.rstrip('.')} [{best.n}].")
    with fake.running():
        p = pipeline_with(
            hash_index,
            llm_backend="hosted",
            llm_base_url=fake.url,
            llm_model="m",
            llm_api_key=SecretStr("sk-test"),
        )
        answer = p.answer(QUESTION)
    assert answer.backend == "hosted" and not answer.abstained
    assert answer.answer.endswith("[1].")
    [c] = answer.citations
    assert c.verified and "$500 million" in c.quote
    assert p.document(c.doc_id).text[c.start : c.end] == c.quote
    request = fake.requests[0]
    assert request["model"] == "m" and request["temperature"] == 0 and request["stream"]
    assert request["_auth"] == "Bearer sk-test"
    assert request["messages"][0]["role"] == "system"
    assert "only the numbered sources" in request["messages"][0]["content"].lower()


def test_wrong_citation_from_the_model_is_repaired(hash_index: Settings) -> None:
    plain = pipeline_with(hash_index)
    passages = plain.passages(QUESTION, 10)
    wrong = next(p.n for p in passages if "500" not in p.chunk.text)
    # The model states the draft's best sentence's fact but cites a passage without it.
    best = plain.answer(QUESTION).citations[0].quote
    claim = best.split(",")[0]
    fake = FakeOpenAI(f"{claim} [{wrong}]. Also [42].")
    with fake.running():
        answer = pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url).answer(
            QUESTION
        )
    assert answer.backend == "hosted", answer.decision
    assert any("re-attached" in w for w in answer.warnings), answer.warnings
    assert any("[42] points to no passage" in w for w in answer.warnings)
    [c] = answer.citations
    assert c.verified and c.quote == best
    chunk = next(p.chunk for p in passages if p.chunk.chunk_id == c.chunk_id)
    assert chunk.start <= c.start < chunk.end and chunk.doc_id == c.doc_id
    assert answer.answer == f"{claim} [1]. Also."


def test_made_up_number_is_dropped_and_the_verified_draft_stands(hash_index: Settings) -> None:
    fake = FakeOpenAI("The MoU was worth $900 million [1].")
    with fake.running():
        answer = pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url).answer(
            QUESTION
        )
    assert "900" not in answer.answer and answer.backend == "extractive"
    assert not answer.abstained and all(c.verified for c in answer.citations)
    assert "hosted answer was dropped" in answer.decision
    assert any("no sentence of the draft answer is supported" in w for w in answer.warnings)


def test_model_saying_it_does_not_know_abstains(hash_index: Settings) -> None:
    fake = FakeOpenAI("I don't know based on the provided sources.")
    with fake.running():
        answer = pipeline_with(
            hash_index, llm_backend="hosted", llm_base_url=fake.url, quote_when_declined_score=1.0
        ).answer(QUESTION)
    assert answer.abstained and answer.backend == "hosted"
    assert "found no answer and the draft was not sure" in answer.decision
    assert answer.answer == "The indexed sources don't say."


@pytest.mark.parametrize("mode", ["error", "garbage"])
def test_failing_endpoint_falls_back_to_extractive(hash_index: Settings, mode: str) -> None:
    with FakeOpenAI("unused", mode=mode).running() as fake:
        answer = pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url).answer(
            QUESTION
        )
    assert answer.backend == "extractive" and not answer.abstained
    assert any(w.startswith("hosted backend failed") for w in answer.warnings)


def test_dead_endpoint_falls_back(hash_index: Settings) -> None:
    p = pipeline_with(hash_index, llm_backend="hosted", llm_base_url="http://127.0.0.1:9/v1")
    answer = p.answer(QUESTION)
    assert answer.backend == "extractive"
    assert any("unreachable" in w for w in answer.warnings)


def test_timeout_falls_back(hash_index: Settings) -> None:
    with FakeOpenAI("late", mode="hang").running() as fake:
        p = pipeline_with(
            hash_index, llm_backend="hosted", llm_base_url=fake.url, llm_timeout_s=0.5
        )
        answer = p.answer(QUESTION)
    assert answer.backend == "extractive"
    assert any("timed out" in w for w in answer.warnings)


def test_a_server_that_keeps_the_line_alive_is_cut_at_the_whole_deadline(
    hash_index: Settings,
) -> None:
    # Each read gets bytes within the per-read timeout; the whole request must still stop.
    with FakeOpenAI("never", mode="trickle").running() as fake:
        p = pipeline_with(
            hash_index, llm_backend="hosted", llm_base_url=fake.url, llm_timeout_s=1.0
        )
        t0 = time.monotonic()
        answer = p.answer(QUESTION)
        elapsed = time.monotonic() - t0
    assert elapsed < 3, elapsed
    assert answer.backend == "extractive" and not answer.abstained
    assert any("deadline" in w for w in answer.warnings), answer.warnings


def test_broken_local_model_falls_back(hash_index: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file")
    p = pipeline_with(hash_index, llm_backend="local", llm_model_path=bad)
    answer = p.answer(QUESTION)
    assert answer.backend == "extractive"
    assert any(w.startswith("local backend unavailable") for w in answer.warnings)


def test_hosted_without_url_is_unavailable(hash_index: Settings) -> None:
    answer = pipeline_with(hash_index, llm_backend="hosted").answer(QUESTION)
    assert answer.backend == "extractive"
    assert any("RAG_LLM_BASE_URL is not set" in w for w in answer.warnings)


def test_per_request_backend_overrides_setting(hash_index: Settings) -> None:
    fake = FakeOpenAI("I don't know based on the provided sources.")
    with fake.running():
        p = pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url)
        assert p.answer(QUESTION, backend="extractive").backend == "extractive"
        assert not fake.requests
    with pytest.raises(InvalidInputError, match="backend must be one of"):
        p.answer(QUESTION, backend="gpt-9")


def test_markers_only_answer_leaves_the_draft(hash_index: Settings) -> None:
    passages = pipeline_with(hash_index).passages(QUESTION, 10)
    n = next(p.n for p in passages if "$500 million" in p.chunk.text)
    with FakeOpenAI(f"[{n}]").running() as fake:
        answer = pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url).answer(
            QUESTION
        )
    # Markers alone state nothing: the verified draft stands.
    assert answer.backend == "extractive" and not answer.abstained
    assert answer.citations and all(c.verified for c in answer.citations)
    assert "no usable text" in answer.decision


def test_stream_yields_the_draft_then_tokens_then_one_answer(hash_index: Settings) -> None:
    with FakeOpenAI("The MoU sets in motion a $500 million initiative [1].").running() as fake:
        p = pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url)
        events = list(p.stream(QUESTION))
    kinds = [k for k, _ in events]
    assert kinds[0] == "draft" and kinds[-1] == "answer" and kinds.count("answer") == 1
    draft = events[0][1]
    assert draft.backend == "extractive" and not draft.abstained and draft.citations
    assert set(kinds[1:-1]) == {"token"}
    assert "".join(v for k, v in events if k == "token").strip().startswith("The MoU")
    assert "first_token" in events[-1][1].timings_ms


def test_declining_model_is_overruled_only_by_strong_evidence(hash_index: Settings) -> None:
    with FakeOpenAI("I don't know based on the provided sources.").running() as fake:
        strict = pipeline_with(
            hash_index, llm_backend="hosted", llm_base_url=fake.url, quote_when_declined_score=1.0
        )
        assert strict.answer(QUESTION).abstained
        lenient = pipeline_with(
            hash_index, llm_backend="hosted", llm_base_url=fake.url, quote_when_declined_score=0.0
        )
        answer = lenient.answer(QUESTION)
    assert not answer.abstained and answer.citations[0].verified
    assert answer.backend == "extractive" and "said it did not know" in answer.decision


def test_an_answer_without_the_asked_kind_of_value_abstains(hash_index: Settings) -> None:
    # A verified sentence that does not answer "how many jobs?" (it gives the deal's value).
    question = "How many jobs will the USSM refinery create in Pakistan?"
    passages = pipeline_with(hash_index).passages(question, 10)
    n = next(p.n for p in passages if "sets in motion a $500 million" in p.chunk.text)
    fake = FakeOpenAI(f"The MoU sets in motion a $500 million initiative [{n}].")
    with fake.running():
        answer = pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url).answer(
            question
        )
    # The draft has no number of jobs, so no model is asked: nothing it says could be verified.
    assert answer.abstained and answer.citations == [] and not fake.requests
    assert answer.answer == "The indexed sources don't say."


DATE_QUESTION = "On what date did U.S. Strategic Metals sign the MoU with the FWO?"


def date_answer(hash_index: Settings, template: str) -> Answer:
    passages = pipeline_with(hash_index).passages(DATE_QUESTION, 10)
    n = next(p.n for p in passages if "September 8, 2025" in p.chunk.text)
    with FakeOpenAI(template.format(n=n)).running() as fake:
        return pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url).answer(
            DATE_QUESTION
        )


def test_a_short_value_first_answer_copied_from_its_source_stands(hash_index: Settings) -> None:
    answer = date_answer(hash_index, "September 8, 2025 [{n}].")
    assert answer.backend == "hosted" and not answer.abstained, answer.decision
    # The model's value leads; the verified draft's quote follows as its context.
    assert value_lead(answer.answer) == "September 8, 2025"
    n = int(answer.answer.split("[", 1)[1].split("]", 1)[0])
    assert "September 8, 2025" in answer.citations[n - 1].quote
    assert answer.citations[n - 1].quote.rstrip(".") in answer.answer
    assert "named the value" in answer.decision


def test_a_value_not_written_in_the_cited_sentence_is_rejected(hash_index: Settings) -> None:
    # The numbers are there, but "8 Sept 2025" is not the source's text: the word "Sept" is in
    # no cited sentence, so the claim is not verified and the draft stands.
    answer = date_answer(hash_index, "8 Sept 2025 [{n}].")
    assert answer.backend == "extractive", answer.decision
    assert any("words not in the cited sentences (sept)" in w for w in answer.warnings)


def test_an_llm_answer_citing_another_sentence_than_the_scorer_leaves_the_draft(
    hash_index: Settings,
) -> None:
    plain = pipeline_with(hash_index)
    draft = plain.answer(DATE_QUESTION).citations
    passages = plain.passages(DATE_QUESTION, 10)

    def elsewhere(p: Passage) -> bool:
        c = p.chunk
        return not any(c.doc_id == d.doc_id and c.start < d.end and d.start < c.end for d in draft)

    # A true, dated sentence from a passage the draft does not quote.
    other = next(p for p in passages if elsewhere(p) and "2025" in p.chunk.text)
    sentence = next(
        other.chunk.text[a:b]
        for a, b in sentence_spans(other.chunk.text)
        if "2025" in other.chunk.text[a:b]
    )
    with FakeOpenAI(f"{sentence.strip()} [{other.n}].").running() as fake:
        answer = pipeline_with(hash_index, llm_backend="hosted", llm_base_url=fake.url).answer(
            DATE_QUESTION
        )
    assert answer.backend == "extractive" and answer.citations == draft
    assert "other sentences than the scorer's best" in answer.decision, answer.decision


def test_an_llm_answer_without_the_asked_date_leaves_the_draft(hash_index: Settings) -> None:
    answer = date_answer(hash_index, "U.S. Strategic Metals signed an MoU with the FWO [{n}].")
    assert answer.backend == "extractive" and not answer.abstained
    assert "it does not give a date" in answer.decision
    assert "September 8, 2025" in answer.answer


class MeasuredLocal:
    """A local backend whose measured speed says how long a typical answer takes here."""

    name = "local"

    def __init__(self, seconds: float, check: float = float("inf")) -> None:
        self.expected_seconds = seconds
        self.check_seconds = check
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def stream(self, *args: object, **kwargs: object) -> Iterator[str]:
        yield "unused"


@pytest.mark.parametrize(("seconds", "chosen"), [(3.0, "local"), (9.0, "extractive")])
def test_auto_picks_local_only_if_it_is_fast_enough_here(
    hash_index: Settings, monkeypatch: pytest.MonkeyPatch, seconds: float, chosen: str
) -> None:
    monkeypatch.setattr("rag.generate.llama_installed", lambda: True)
    p = pipeline_with(hash_index, llm_backend="auto", llm_auto_max_s=5.0)
    fake = MeasuredLocal(seconds)
    p.backends._built["local"] = fake
    assert p.backends.configured == chosen
    assert f"~{seconds:.1f} s here" in p.backends.auto_reason
    assert fake.closed is (chosen == "extractive")  # a model too slow to use is let go
    assert p.backends.allowed() == tuple(dict.fromkeys((chosen, "extractive")))


@pytest.mark.parametrize(("weight", "chosen"), [(10.0, "local"), (0.0, "extractive")])
def test_auto_keeps_the_local_model_as_a_checker_where_only_its_check_is_fast_enough(
    hash_index: Settings, monkeypatch: pytest.MonkeyPatch, weight: float, chosen: str
) -> None:
    """A 2-core CPU without AVX-512: a written answer ~9 s, the check ~2 s."""
    monkeypatch.setattr("rag.generate.llama_installed", lambda: True)
    p = pipeline_with(hash_index, llm_backend="auto", llm_auto_max_s=5.0, judge_weight=weight)
    p.backends._built["local"] = MeasuredLocal(9.0, check=1.9)
    assert p.backends.configured == chosen
    if chosen == "local":
        assert p.backends.llm_questions == "none"
        assert "only checks answers here (~1.9 s)" in p.backends.auto_reason
    else:
        assert p.backends.llm_questions == "values"  # the setting's default, untouched


def test_auto_without_llama_cpp_is_extractive(
    hash_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rag.generate.llama_installed", lambda: False)
    p = pipeline_with(hash_index, llm_backend="auto")
    assert p.backends.configured == "extractive" and "not installed" in p.backends.auto_reason


def test_the_speed_behind_auto_is_the_best_of_several_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rag.generators import local

    rounds = iter([local.Speed(4.0, 2.0), local.Speed(90.0, 25.0)])  # a busy second, then quiet
    monkeypatch.setattr(local, "_measure_once", lambda llm: next(rounds))
    speed = local._measure(object(), rounds=2)
    assert (speed.prompt_tps, speed.gen_tps, speed.rounds) == (90.0, 25.0, 2)
    assert speed.measured_at.endswith("Z")


def test_a_code_block_quoted_with_its_introduction_has_a_marker_per_paragraph() -> None:
    from rag.generators.extractive import _marked
    from rag.rank import Scored

    text = "A very strict policy would be:\n\nheaders['CSP'] = \"default-src 'self'\""
    quote = _marked(Scored(0.9, 2, "flask", 0, len(text), text))
    expected = "A very strict policy would be: [2]\n\nheaders['CSP'] = \"default-src 'self'\" [2]"
    assert quote == expected
