"""Run gold questions through `Pipeline.answer` (the same call the API makes) and score them."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from evals import metrics as m
from rag.chunk import document_sentences
from rag.cite import strip_markers
from rag.errors import InvalidInputError
from rag.policy import lead_copied, value_lead
from rag.question import analyse
from rag.types import Answer, Document

DEFAULT_GOLD = Path(__file__).resolve().parent / "gold.jsonl"
KINDS = ("factoid", "paraphrase", "multi", "conflict", "unanswerable")


def load_gold(path: Path) -> list[dict[str, Any]]:
    """Gold items from a JSONL file; a clear error names the bad line."""
    if not path.is_file():
        raise InvalidInputError(f"gold file not found: {path}")
    items: list[dict[str, Any]] = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise InvalidInputError(f"{path}:{no}: not JSON ({exc})") from exc
        _check_item(item, f"{path}:{no}")
        items.append(item)
    if not items:
        raise InvalidInputError(f"{path} holds no gold questions")
    return items


def _check_item(item: Any, where: str) -> None:
    if not isinstance(item, dict):
        raise InvalidInputError(f"{where}: each line must be a JSON object")
    missing = [f for f in ("id", "kind", "question", "answers", "sources") if f not in item]
    if missing:
        raise InvalidInputError(f"{where}: missing field(s) {', '.join(missing)}")
    if item["kind"] not in KINDS:
        raise InvalidInputError(f"{where}: kind must be one of {', '.join(KINDS)}")
    for f in ("answers", "sources", "also", "conflict"):
        if f in item and not (
            isinstance(item[f], list) and all(isinstance(v, str) for v in item[f])
        ):
            raise InvalidInputError(f"{where}: {f} must be a list of strings")
    if item["kind"] != "unanswerable" and not item["answers"]:
        raise InvalidInputError(f"{where}: an answerable question needs at least one answer")


def run_eval(
    answer: Callable[[str], Answer] | Any,
    gold: list[dict[str, Any]],
    progress: Callable[[int, int], None] | None = None,
    documents: Mapping[str, Document] | None = None,
) -> dict[str, Any]:
    """Answer every gold question and return the report (metrics + per-question rows).

    With `documents`, every citation's quote is checked against the document text at its
    offsets (citation exactness)."""
    ask = answer.answer if hasattr(answer, "answer") else answer
    rows = []
    for i, item in enumerate(gold, start=1):
        result = ask(item["question"]).to_dict()
        row = score_row(item, result)
        if documents is not None:
            row["citations_exact"] = sum(
                1
                for c in result["citations"]
                if c["doc_id"] in documents
                and documents[c["doc_id"]].text[c["start"] : c["end"]] == c["quote"]
            )
            row.update(_layout_checks(item, row, result, documents))
        rows.append(row)
        if progress:
            progress(i, len(gold))
    return summarise(rows)


def _layout_checks(
    item: dict[str, Any], row: dict[str, Any], result: dict[str, Any], docs: Mapping[str, Document]
) -> dict[str, Any]:
    """Does every quote start and end on a sentence boundary of the cleaned text, and (items
    with gold `pages`, answered right) does a citation of a gold source sit on a gold page?"""
    cited = [c for c in result["citations"] if c["doc_id"] in docs]
    bounded = 0
    for c in cited:
        units = document_sentences(docs[c["doc_id"]])
        bounded += any(s == c["start"] for s, _ in units) and any(e == c["end"] for _, e in units)
    out: dict[str, Any] = {"quotes_bounded": bounded, "quotes_checked": len(cited)}
    if item.get("pages") and row["correct"]:
        out["page_ok"] = any(
            docs[c["doc_id"]].page_at(c["start"]) in item["pages"]
            for c in cited
            if c["doc_id"] in item["sources"]
        )
    return out


def score_row(item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Every metric for one question, plus what the pipeline said."""
    good, total = m.citation_precision(item, result)
    return {
        "id": item["id"],
        "kind": item["kind"],
        "question": item["question"],
        "answer": result["answer"],
        "abstained": result["abstained"],
        "backend": result["backend"],
        "correct": m.answer_correct(item, result),
        "retrieval_hit": m.retrieval_hit(item, result) if item["sources"] else None,
        "rr": m.reciprocal_rank(item, result) if item["sources"] else None,
        "source_recall": m.source_recall(item, result) if item["sources"] else None,
        "citation_ok": m.citation_correct(item, result),
        "citations_good": good,
        "citations_total": total,
        "conflict_ok": m.conflict_surfaced(item, result) if item.get("conflict") else None,
        "citations": [f"{c['doc_id']}:{c['start']}-{c['end']}" for c in result["citations"]],
        "confidence": result.get("confidence"),
        "judge_margin": result.get("judge_margin"),
        # Would the quoted answer be right if it were not withheld? (threshold calibration)
        "answer_has_gold": any(m.contains(result["answer"], a) for a in item["answers"]),
        "latency_ms": result["timings_ms"].get("total", 0.0),
        "first_token_ms": result["timings_ms"].get("first_token"),
        "draft_ms": result["timings_ms"].get("draft"),
        # Value questions: does the answer open with the value, copied from a cited sentence?
        "asks_value": analyse(item["question"]).asks_value,
        "value_first": _value_first(result),
        "lead_has_gold": any(m.contains(lead, a) for a in item["answers"])
        if (lead := value_lead(result["answer"]))
        else False,
        "verified": all(c["verified"] for c in result["citations"]),
        **_short(item, result),
    }


def _short(item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """SQuAD exact match and F1 of the short answer (the words before the first citation, or
    the whole answer when it opens with none), for an answered answerable question."""
    if item["kind"] == "unanswerable" or result["abstained"] or not item["answers"]:
        return {}
    lead = value_lead(result["answer"])
    short = lead if lead is not None else strip_markers(result["answer"])
    return {
        "short": short,
        "short_em": m.exact_match(short, item["answers"]),
        "short_f1": max(m.token_f1(short, a) for a in item["answers"]),
    }


def _value_first(result: dict[str, Any]) -> bool:
    lead = value_lead(result["answer"])
    return lead is not None and any(lead_copied(lead, c["quote"]) for c in result["citations"])


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline metrics over per-question rows."""
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    with_sources = [r for r in rows if r["retrieval_hit"] is not None]
    answered_values = [r for r in rows if r.get("asks_value") and not r["abstained"]]
    lat = sorted(r["latency_ms"] for r in rows)
    exact = [r["citations_exact"] for r in rows if "citations_exact" in r]
    return {
        "n": len(rows),
        "accuracy": m.share([r["correct"] for r in rows]),
        "overall": m.share([r["correct"] for r in rows]),
        "answerable_accuracy": m.share([r["correct"] for r in answerable]),
        "per_kind": {
            k: {
                "n": len(rs),
                "accuracy": m.share([r["correct"] for r in rs]),
                "citation_precision": _precision(rs),
            }
            for k in KINDS
            if (rs := [r for r in rows if r["kind"] == k])
        },
        "retrieval_hit_at_k": m.share([r["retrieval_hit"] for r in with_sources]),
        "retrieval_mrr": _mean([r["rr"] for r in with_sources]),
        "source_recall": _mean([r["source_recall"] for r in with_sources]),
        "citation_correct": m.share([r["citation_ok"] for r in answerable]),
        "citation_precision": _precision(answerable),
        "citation_exact": (
            round(sum(exact) / total, 4)
            if exact
            and (total := sum(r["citations_total"] for r in rows if "citations_exact" in r))
            else None
        ),
        "abstention_accuracy": m.share([r["abstained"] for r in unanswerable]),
        "false_abstention_rate": m.share([r["abstained"] for r in answerable]),
        "conflicts_surfaced": m.share(
            [r["conflict_ok"] for r in rows if r["conflict_ok"] is not None]
        ),
        "latency_ms": _percentiles(lat),
        "first_token_ms": _percentiles(
            sorted(r["first_token_ms"] for r in rows if r["first_token_ms"] is not None)
        ),
        "draft_ms": _percentiles(sorted(r["draft_ms"] for r in rows if r["draft_ms"] is not None)),
        "value_first": m.share([r["value_first"] for r in answered_values]),
        "short_first": m.share([r["value_first"] for r in rows if not r["abstained"]]),
        "short_em": m.share([r["short_em"] for r in rows if "short_em" in r]),
        "short_f1": _mean([r["short_f1"] for r in rows if "short_f1" in r]),
        "value_first_right": m.share([r["lead_has_gold"] for r in answered_values]),
        "verified": m.share([r["verified"] for r in rows if not r["abstained"]]),
        "page_correct": m.share([r["page_ok"] for r in rows if "page_ok" in r]),
        "quotes_on_boundaries": (
            round(sum(r.get("quotes_bounded", 0) for r in rows) / checked, 4)
            if (checked := sum(r.get("quotes_checked", 0) for r in rows))
            else None
        ),
        "latency_ms_by_backend": {
            b: _percentiles(sorted(r["latency_ms"] for r in rows if r["backend"] == b))
            for b in sorted({r["backend"] for r in rows})
        },
        "rows": rows,
    }


def _precision(rows: list[dict[str, Any]]) -> float | None:
    total = sum(r["citations_total"] for r in rows)
    return round(sum(r["citations_good"] for r in rows) / total, 4) if total else None


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _percentiles(ordered: list[float]) -> dict[str, float | None]:
    if not ordered:
        return {"p50": None, "p90": None}
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {"p50": round(statistics.median(ordered), 1), "p90": round(p90, 1)}


def format_report(report: dict[str, Any]) -> str:
    """Human-readable summary plus the failed questions."""
    pct = lambda v: "n/a" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    lines = [f"questions: {report['n']}", "", "kind          n  accuracy"]
    for kind, v in report["per_kind"].items():
        lines.append(f"{kind:<12} {v['n']:>2}  {pct(v['accuracy'])}")
    lines += [
        "",
        f"overall accuracy        {pct(report['accuracy'])}",
        f"answerable accuracy     {pct(report['answerable_accuracy'])}",
        f"retrieval hit@k         {pct(report['retrieval_hit_at_k'])}",
        f"retrieval MRR           {report['retrieval_mrr']}",
        f"gold source recall      {pct(report['source_recall'])}",
        f"citation correctness    {pct(report['citation_correct'])}",
        f"citation precision      {pct(report['citation_precision'])}",
        f"citations exact         {pct(report.get('citation_exact'))}",
        f"unanswerable abstained  {pct(report['abstention_accuracy'])}",
        f"false abstention rate   {pct(report['false_abstention_rate'])}",
        f"conflicts surfaced      {pct(report['conflicts_surfaced'])}",
        f"answers all verified    {pct(report.get('verified'))}",
        f"value first (answered)  {pct(report.get('value_first'))}",
        f"short answer first      {pct(report.get('short_first'))}",
        f"short answer EM / F1    {pct(report.get('short_em'))} / {pct(report.get('short_f1'))}",
        f"latency p50/p90 ms      {report['latency_ms']['p50']} / {report['latency_ms']['p90']}",
    ]
    failed = [r for r in report["rows"] if not r["correct"]]
    if failed:
        lines += ["", f"failed ({len(failed)}):"]
        for r in failed:
            lines.append(f"- {r['id']} [{r['kind']}] {r['question']}\n    -> {r['answer'][:160]}")
    return "\n".join(lines)


def sweep(rows: list[dict[str, Any]], thresholds: list[float]) -> list[dict[str, Any]]:
    """What each answer threshold would give, from rows answered with no threshold at all:
    a row abstains when it abstained anyway or its confidence is below the threshold."""
    out = []
    for t in thresholds:
        right, ans_right, unans_right, n_ans, n_unans, answered = 0, 0, 0, 0, 0, 0
        for r in rows:
            abstains = r["abstained"] or r["confidence"] is None or r["confidence"] < t
            answered += not abstains
            if r["kind"] == "unanswerable":
                n_unans += 1
                unans_right += abstains
                right += abstains
            else:
                n_ans += 1
                ok = not abstains and r["answer_has_gold"]
                ans_right += ok
                right += ok
        out.append(
            {
                "threshold": t,
                "overall": round(right / max(len(rows), 1), 4),
                "answerable_accuracy": round(ans_right / max(n_ans, 1), 4),
                "abstention_accuracy": round(unans_right / max(n_unans, 1), 4),
                # Of the questions it would answer, the share answered right.
                "precision": round(ans_right / max(answered, 1), 4),
            }
        )
    return out
