"""CI gate: the eval suites through the real pipeline against evals/thresholds.toml.

The gate reads the test splits (nothing was tuned on them); dev-split reports are written beside
them under test-artifacts/ for comparison. SQuAD 2.0 is gated on a fixed, evenly strided sample
of its two test articles; the local LLM on the whole seeds test split and on a fixed sample of 100
SQuAD test questions (it checks every answer, ~80 prompt tokens, and writes the value of value
questions: ~1.5 s a question here, ~4 s on a 2-core CPU without AVX-512).
"""

from pathlib import Path

import pytest

from evals import gate, report
from evals.harness import format_report, run_eval
from evals.suites import load_suite, squad2_path, suite_settings
from rag.config import Settings
from rag.pipeline import Pipeline

pytestmark = [pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SAMPLES = {
    ("seeds", "extractive"): None,
    ("seeds", "local"): None,
    ("squad2", "extractive"): 200,
    ("squad2", "local"): 100,
    ("realdocs", "extractive"): None,  # all 45 test questions on the five held-out real files
    ("realdocs", "local"): None,  # the same 45 (~1.8 s a question here)
}


def _run(settings: Settings, suite_name: str, backend: str, split: str) -> dict:
    suite = load_suite(suite_name)
    scoped = suite_settings(settings.model_copy(update={"llm_backend": backend}), suite)
    pipeline = Pipeline.load(scoped)
    pipeline.backends.warm()
    pipeline.ranker.warm()
    items = suite.select(split, SAMPLES[(suite_name, backend)])
    result = run_eval(pipeline.answer, items, documents=pipeline.documents)
    title = f"Eval report: {suite_name} {split} ({backend})"
    report.write(result, ARTIFACTS / f"eval-{suite_name}-{split}-{backend}", title)
    print(title, "\n", format_report(result))
    return result


@pytest.mark.parametrize(
    ("suite_name", "backend"),
    [
        ("seeds", "extractive"),
        ("squad2", "extractive"),
        ("realdocs", "extractive"),
        ("seeds", "local"),
        ("squad2", "local"),
        ("realdocs", "local"),
    ],
)
def test_suite_test_split_meets_thresholds(
    real_settings: Settings, suite_name: str, backend: str
) -> None:
    if backend == "local":
        pytest.importorskip("llama_cpp", reason="the `local` extra is installed by `make install`")
    if suite_name == "squad2" and not squad2_path().is_file():
        pytest.fail(f"SQuAD 2.0 articles missing at {squad2_path()} (set RAG_SQUAD2_PATH)")
    result = _run(real_settings, suite_name, backend, "test")
    answered_by = {r["backend"] for r in result["rows"]}
    if backend == "local":
        # The verified draft stands for questions asking for no value and when the model's
        # value is not in it; the model must still have answered some.
        assert "local" in answered_by and answered_by <= {"local", "extractive", "retrieval"}
    else:
        assert answered_by <= {backend, "retrieval"}, f"fell back: {answered_by}"
    failures = gate.check(result, gate.load_thresholds()[suite_name][backend])
    assert not failures, f"{suite_name} test split, {backend}, below thresholds:\n" + "\n".join(
        failures
    )


def test_seeds_dev_split_report(real_settings: Settings) -> None:
    """The tuned-on split, reported beside the test split (gated loosely: no collapse)."""
    result = _run(real_settings, "seeds", "extractive", "dev")
    assert result["citation_exact"] == 1.0
    # The reader (2026-12-07): 0.654 at the threshold chosen on the held-out dev article (v6 on
    # the same split, which it too trained on: 0.885); the floor moved 0.70 -> 0.60 with it.
    assert result["answerable_accuracy"] >= 0.6
