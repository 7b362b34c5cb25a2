"""The CI gate: minimum values per backend from `evals/thresholds.toml`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"
# Metrics where lower is better: the threshold is a maximum.
LOWER_IS_BETTER = {"false_abstention_rate"}


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, dict[str, dict[str, float]]]:
    """{suite: {backend: {metric: bound}}}, bounds for each suite's test split."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def check(report: dict[str, Any], bounds: dict[str, float]) -> list[str]:
    """One message per metric that misses its bound, saying by how much."""
    failures = []
    for metric, bound in bounds.items():
        value = report.get(metric)
        if value is None:
            failures.append(f"{metric}: missing from the report")
        elif metric in LOWER_IS_BETTER and value > bound:
            failures.append(
                f"{metric} = {value:.3f}, above the maximum {bound:.3f} by {value - bound:.3f}"
            )
        elif metric not in LOWER_IS_BETTER and value < bound:
            failures.append(
                f"{metric} = {value:.3f}, below the minimum {bound:.3f} by {bound - value:.3f}"
            )
    return failures
