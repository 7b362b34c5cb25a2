"""Eval reports on disk: report.json, report.md (tables + failures) and a PNG chart; run diffs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


HEADLINES = [
    ("answerable accuracy", "answerable_accuracy"),
    ("abstention accuracy (unanswerable)", "abstention_accuracy"),
    ("false abstention rate", "false_abstention_rate"),
    ("retrieval hit@k", "retrieval_hit_at_k"),
    ("gold source recall in context", "source_recall"),
    ("citation precision", "citation_precision"),
    ("citation recall", "citation_correct"),
    ("conflicts surfaced", "conflicts_surfaced"),
]


def markdown(report: dict[str, Any], title: str = "Eval report") -> str:
    """report.md: headline table, per-kind table, latency, and every failed question."""
    lines = [
        f"# {title}",
        "",
        f"{report['n']} questions.",
        "",
        "| metric | value |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {_pct(report[key])} |" for name, key in HEADLINES]
    lines.append(f"| retrieval MRR | {report['retrieval_mrr']} |")
    lines += ["", "| kind | n | accuracy | citation precision |", "| --- | --- | --- | --- |"]
    for kind, v in report["per_kind"].items():
        lines.append(
            f"| {kind} | {v['n']} | {_pct(v['accuracy'])} | {_pct(v.get('citation_precision'))} |"
        )
    lines += ["", "| backend | latency p50 ms | latency p90 ms |", "| --- | --- | --- |"]
    for backend, lat in report["latency_ms_by_backend"].items():
        lines.append(f"| {backend} | {lat['p50']} | {lat['p90']} |")
    failed = [r for r in report["rows"] if not r["correct"]]
    lines += ["", f"## Failed questions ({len(failed)})", ""]
    for r in failed:
        cites = ", ".join(r["citations"]) or "none"
        lines.append(
            f"- **{r['id']}** ({r['kind']}) {r['question']}  \n  answer: {r['answer']}  \n"
            f"  citations: {cites}"
        )
    slow = sorted(report["rows"], key=lambda r: -r["latency_ms"])[:5]
    lines += ["", "## Slowest questions", ""]
    lines += [
        f"- {r['id']} {r['latency_ms']:.0f} ms ({r['backend']}): {r['question']}" for r in slow
    ]
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    """Accuracy and citation precision per kind, and the latency distribution, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(report["per_kind"])
    acc = [100 * (report["per_kind"][k]["accuracy"] or 0) for k in kinds]
    prec = [100 * (report["per_kind"][k].get("citation_precision") or 0) for k in kinds]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    xs = range(len(kinds))
    left.bar([x - 0.2 for x in xs], acc, width=0.4, label="accuracy")
    left.bar([x + 0.2 for x in xs], prec, width=0.4, label="citation precision")
    left.set_xticks(list(xs), kinds)
    left.set_ylim(0, 100)
    left.set_ylabel("%")
    left.legend()
    left.set_title("Per kind")
    right.hist([r["latency_ms"] for r in report["rows"]], bins=20)
    right.set_xlabel("answer latency (ms)")
    right.set_ylabel("questions")
    right.set_title("Latency")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(report: dict[str, Any], out: Path, title: str = "Eval report") -> list[Path]:
    """Write report.json, report.md and report.png under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md", out / "report.png"]
    paths[0].write_text(json.dumps(report, indent=2, ensure_ascii=False))
    paths[1].write_text(markdown(report, title))
    chart(report, paths[2])
    return paths


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    """Per-question changes between two reports: fixed, broken, and questions only in one."""
    before = {r["id"]: r["correct"] for r in old["rows"]}
    after = {r["id"]: r["correct"] for r in new["rows"]}
    both = before.keys() & after.keys()
    return {
        "fixed": sorted(q for q in both if after[q] and not before[q]),
        "broken": sorted(q for q in both if before[q] and not after[q]),
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
    }


def format_compare(diff: dict[str, list[str]], old: dict[str, Any], new: dict[str, Any]) -> str:
    """Readable summary of `compare`."""
    lines = [f"accuracy {_pct(old['accuracy'])} -> {_pct(new['accuracy'])}"]
    for key in ("fixed", "broken", "added", "removed"):
        lines.append(f"{key} ({len(diff[key])}): {', '.join(diff[key]) or '-'}")
    return "\n".join(lines)
