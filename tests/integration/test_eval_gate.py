"""CI gate: the gold set through the real pipeline, per backend, against evals/thresholds.toml."""

from pathlib import Path

import pytest

from evals import gate, report
from evals.harness import DEFAULT_GOLD, format_report, load_gold, run_eval
from rag.config import Settings
from rag.pipeline import Pipeline

pytestmark = [pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.parametrize("backend", ["extractive", "local"])
def test_gold_set_meets_thresholds(real_settings: Settings, backend: str) -> None:
    if backend == "local":
        pytest.importorskip("llama_cpp", reason="the `local` extra is installed by `make install`")
    pipeline = Pipeline.load(real_settings.model_copy(update={"llm_backend": backend}))
    result = run_eval(pipeline.answer, load_gold(DEFAULT_GOLD))
    report.write(result, ARTIFACTS / f"eval-{backend}", f"Eval report ({backend})")
    print(format_report(result))
    answered_by = {r["backend"] for r in result["rows"]}
    assert answered_by <= {backend, "retrieval"}, f"fell back: {answered_by}"
    failures = gate.check(result, gate.load_thresholds()[backend])
    assert not failures, f"{backend} eval below thresholds:\n" + "\n".join(failures)
