"""Report files, the regression diff and the threshold gate on hand-made reports."""

import json
from pathlib import Path

from evals import gate
from evals.harness import load_gold, run_eval
from evals.report import compare, format_compare, markdown, write
from tests.evals.test_metrics import DATA, FakePipeline


def small_report() -> dict:
    return run_eval(FakePipeline(), load_gold(DATA / "small_gold.jsonl"))


def test_write_produces_json_markdown_and_png(tmp_path: Path) -> None:
    report = small_report()
    paths = write(report, tmp_path / "out")
    assert [p.name for p in paths] == ["report.json", "report.md", "report.png"]
    assert json.loads(paths[0].read_text())["n"] == 4
    md = paths[1].read_text()
    assert "| answerable accuracy |" in md and "## Failed questions (1)" in md
    assert "**b** (multi) Who attended?" in md
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_markdown_lists_latency_per_backend() -> None:
    md = markdown(small_report())
    assert "| fake |" in md and "## Slowest questions" in md


def test_compare_finds_fixed_and_broken() -> None:
    old = {
        "accuracy": 0.5,
        "rows": [
            {"id": "a", "correct": True},
            {"id": "b", "correct": False},
            {"id": "c", "correct": True},
        ],
    }
    new = {
        "accuracy": 0.5,
        "rows": [
            {"id": "a", "correct": False},
            {"id": "b", "correct": True},
            {"id": "d", "correct": True},
        ],
    }
    diff = compare(old, new)
    assert diff == {"fixed": ["b"], "broken": ["a"], "added": ["d"], "removed": ["c"]}
    assert "broken (1): a" in format_compare(diff, old, new)


def test_gate_names_the_metric_and_the_gap() -> None:
    report = {
        "answerable_accuracy": 0.70,
        "false_abstention_rate": 0.30,
        "abstention_accuracy": 0.9,
    }
    bounds = {"answerable_accuracy": 0.75, "false_abstention_rate": 0.2, "abstention_accuracy": 0.9}
    failures = gate.check(report, bounds)
    assert failures == [
        "answerable_accuracy = 0.700, below the minimum 0.750 by 0.050",
        "false_abstention_rate = 0.300, above the maximum 0.200 by 0.100",
    ]
    assert gate.check(report, {"missing_metric": 0.1}) == [
        "missing_metric: missing from the report"
    ]


def test_thresholds_file_covers_every_gated_suite_and_backend() -> None:
    thresholds = gate.load_thresholds()
    assert {"extractive", "local"} <= set(thresholds["seeds"])
    assert {"extractive"} <= set(thresholds["squad2"])
    for suite in thresholds.values():
        for bounds in suite.values():
            assert {"answerable_accuracy", "abstention_accuracy", "citation_exact"} <= set(bounds)
