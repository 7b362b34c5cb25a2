"""`rag` console script: index, ask, serve, eval. Errors become a message and a non-zero exit."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import RagError
from rag.generate import ORDER


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited answers over your documents.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "index",
        help="sync the index with folders of .txt/.md/.pdf/.html/.docx files (only changes "
        "are embedded)",
    )
    p.add_argument("paths", nargs="*", type=Path, help="folders or files (default: RAG_SOURCES)")
    p.add_argument("--rebuild", action="store_true", help="re-embed every document")
    p.add_argument(
        "--workers", type=int, default=None, help="embed on N local Ray workers (bulk indexing)"
    )
    p.add_argument("--ray", default=None, metavar="ADDRESS", help="embed on this Ray cluster")

    p = sub.add_parser("ask", help="answer one question with citations")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="passages to retrieve")
    p.add_argument("--json", action="store_true", help="print the answer contract as JSON")
    p.add_argument(
        "--backend", choices=ORDER, default=None, help="answer backend (default: RAG_LLM_BACKEND)"
    )

    p = sub.add_parser("serve", help="serve the chat page and JSON API")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)

    _add_eval(sub)
    _add_calibrate(sub)
    return parser


def _add_eval(sub: Any) -> None:
    p = sub.add_parser("eval", help="score the pipeline on an eval suite or a gold question file")
    p.add_argument(
        "--suite", choices=("seeds", "squad2", "realdocs"), default=None, help="an eval suite"
    )
    p.add_argument("--split", choices=("dev", "test"), default=None, help="default: both")
    p.add_argument("--limit", type=int, default=None, help="an even sample of N questions")
    p.add_argument(
        "--gold", type=Path, default=None, help="JSONL gold file against the current index"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--out", type=Path, default=None, help="write report.md/.json/.png here")
    p.add_argument("--compare", type=Path, default=None, help="an earlier report.json to diff")
    p.add_argument(
        "--backend", choices=ORDER, default=None, help="answer backend (default: RAG_LLM_BACKEND)"
    )


def _add_calibrate(sub: Any) -> None:
    p = sub.add_parser(
        "calibrate",
        help="sweep the answer threshold on the dev splits (extractive), or the local model "
        "check's weight and threshold (--backend local)",
    )
    p.add_argument("--split", choices=("dev", "test"), default="dev")
    p.add_argument(
        "--backend",
        choices=("extractive", "local"),
        default="extractive",
        help="local: also run the local model's yes/no check and sweep its weight",
    )
    p.add_argument("--limit", type=int, default=None, help="questions per suite (even sample)")
    p.add_argument("--out", type=Path, default=None, help="write the per-question rows here")
    p.add_argument(
        "--article",
        default=None,
        help="SQuAD: only questions about this article id (one held out of a cross-fit scorer)",
    )
    p.add_argument(
        "--pool",
        type=Path,
        nargs="+",
        default=None,
        help="sweep the rows of earlier --out files together instead of asking (one file per "
        "cross-fit scorer and its held-out article)",
    )


def _index(settings: Settings, args: argparse.Namespace) -> int:
    from rag.indexer import sync

    if args.workers or args.ray:
        update = {"index_workers": args.workers or settings.index_workers}
        settings = settings.model_copy(update={**update, "ray_address": args.ray or ""})
    result = sync(settings, args.paths or None, rebuild=args.rebuild, progress=True)
    for line in result.errors:
        print(f"rag index: skipped {line}", file=sys.stderr)
    for line in result.notes:
        print(f"rag index: note: {line}", file=sys.stderr)
    m = result.manifest
    changes = (
        f"{len(result.added)} added, {len(result.replaced)} changed, "
        f"{len(result.removed)} removed, {result.unchanged} unchanged; "
        f"{result.embedded_chunks} chunks embedded, {result.reused_chunks} reused"
    )
    print(
        f"indexed {m.get('n_documents')} documents as {m.get('n_chunks')} chunks "
        f"with {m.get('embedding_model')} -> {settings.current_index} ({changes})"
    )
    return 0


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    from rag.pipeline import Pipeline, validate_question

    validate_question(args.question, args.k)  # fail fast, before loading any model
    answer = Pipeline.load(settings).answer(args.question, args.k)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    for c in answer.citations:
        mark = "" if c.verified else " (unverified)"
        print(f"  [{c.n}] {c.title} ({c.doc_id}, chars {c.start}-{c.end}){mark}\n      “{c.quote}”")
    for conflict in answer.conflicts:
        values = "; ".join(f"{v['value']} ({v['doc_id']})" for v in conflict["values"])
        print(f"  sources disagree: {values}")
    for warning in answer.warnings:
        print(f"  warning: {warning}")
    print(f"  -- {answer.backend}, {answer.timings_ms.get('total', 0):.0f} ms")
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app
    from web.security import is_loopback

    host = args.host or settings.host
    port = args.port or settings.port
    if not is_loopback(host) and not settings.keys:
        print(
            f"rag serve: error: refusing to serve {host} (beyond this machine) without API keys: "
            "anyone who can reach it could upload and delete documents. Set RAG_API_KEYS "
            "(and RAG_ALLOWED_HOSTS for the names clients use), or serve 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    settings = settings.model_copy(update={"host": host, "port": port})
    trusted = settings.trusted_proxies.strip()
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        # X-Forwarded-For is believed only from a proxy named in RAG_TRUSTED_PROXIES: otherwise
        # any local client could rotate it past the per-client rate limit.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )
    return 0


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    from evals import report as reports
    from evals.harness import DEFAULT_GOLD, format_report, load_gold, run_eval
    from evals.suites import load_suite, suite_settings
    from rag.errors import InvalidInputError
    from rag.pipeline import Pipeline

    if args.limit is not None and args.limit < 1:
        raise InvalidInputError(f"--limit must be at least 1, got {args.limit}")
    old = None
    if args.compare:
        try:
            old = json.loads(args.compare.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"cannot read {args.compare}: {exc}") from exc
    if args.suite:
        if args.gold:
            raise InvalidInputError("give --suite or --gold, not both")
        suite = load_suite(args.suite)
        gold = suite.select(args.split, args.limit)
        settings = suite_settings(settings, suite)
        name = f"{args.suite} {args.split or 'dev+test'}"
    else:
        gold = load_gold(args.gold or DEFAULT_GOLD)
        if args.split:
            gold = [g for g in gold if g.get("split", "dev") == args.split]
        gold = gold[: args.limit] if args.limit else gold
        name = str(args.gold or "seeds gold")
    if not gold:
        raise InvalidInputError("no questions selected")
    pipeline = Pipeline.load(settings)
    pipeline.backends.warm()  # load (and measure) the model before the first timed answer
    pipeline.ranker.warm()  # and embed the sentences, as a server does after loading
    report = run_eval(
        pipeline.answer,
        gold,
        progress=_progress,
        documents=pipeline.documents,
    )
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    if args.out:
        title = f"Eval report: {name} ({args.backend or 'default'})"
        for path in reports.write(report, args.out, title):
            print(f"wrote {path}", file=sys.stderr)
    if old is not None:
        print(reports.format_compare(reports.compare(old, report), old, report))
    return 0


def _calibrate(settings: Settings, args: argparse.Namespace) -> int:
    from evals.harness import sweep
    from rag.errors import InvalidInputError

    if args.pool and (args.out or args.article or args.limit):
        raise InvalidInputError("--pool sweeps rows already written: give it no --out/--article")
    rows = _pooled_rows(args.pool) if args.pool else _calibration_rows(settings, args)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    grid = [round(0.05 * i, 2) for i in range(1, 20)]
    source = f"{len(args.pool)} pooled files" if args.pool else f"split {args.split}"
    judged = any(r.get("judge_margin") is not None for r in rows)
    print(
        f"{source}: threshold / overall / answerable / unanswerable abstained"
        " / precision of answers given"
        + (f"; fused with the local model's check at weights {JUDGE_WEIGHTS}" if judged else "")
    )
    suites = sorted({r["suite"] for r in rows})
    for suite_name in (*suites, "all", HELD_OUT):
        chosen = [r for r in rows if suite_name == "all" or r["suite"] == suite_name]
        if suite_name == HELD_OUT:
            chosen = [r for r in rows if r["suite"] in HELD]
        if not chosen:
            continue
        print(f"-- {suite_name} ({len(chosen)} questions)")
        for weight in JUDGE_WEIGHTS if judged else (None,):
            if weight is not None:
                print(f"- weight {weight}")
            fused = _fused(chosen, weight)
            if suite_name == HELD_OUT:
                swept = _mean_sweep([[r for r in fused if r["suite"] == n] for n in HELD], grid)
            else:
                swept = sweep(fused, grid)
            for s in swept:
                print(
                    f"{s['threshold']:.2f}  {s['overall']:.3f}  {s['answerable_accuracy']:.3f}"
                    f"  {s['abstention_accuracy']:.3f}  {s['precision']:.3f}"
                )
            print(_rule(swept))
    return 0


# The threshold is chosen on the text the reader never trained on, one suite of each kind: the
# SQuAD dev article held out of training (Wikipedia prose) and the realdocs dev split (manuals
# and papers). Each suite counts alike, whatever its number of questions.
HELD = ("squad2", "realdocs")
HELD_OUT = "held-out (squad2 and realdocs, mean of the two)"


def _mean_sweep(groups: list[list[dict[str, Any]]], grid: list[float]) -> list[dict[str, Any]]:
    """`sweep` of each group, then each measure averaged over the groups."""
    from evals.harness import sweep

    swept = [sweep(g, grid) for g in groups if g]
    out = []
    for at_threshold in zip(*swept, strict=True):  # one row per threshold, one entry per group
        mean = {k: sum(s[k] for s in at_threshold) / len(at_threshold) for k in at_threshold[0]}
        out.append({**mean, "threshold": at_threshold[0]["threshold"]})
    return out


def _rule(swept: list[dict[str, Any]]) -> str:
    """The project's pick: the threshold with the best 5-step moving average of overall."""
    smooth = [
        (swept[i]["threshold"], sum(s["overall"] for s in swept[i - 2 : i + 3]) / 5)
        for i in range(2, len(swept) - 2)
    ]
    if not smooth:
        return "rule: too few thresholds for a moving average"
    threshold, average = max(smooth, key=lambda t: t[1])
    return f"rule (best 5-step moving average of overall): {threshold:.2f} ({average:.3f})"


JUDGE_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


def _fused(rows: list[dict[str, Any]], weight: float | None) -> list[dict[str, Any]]:
    """Rows whose confidence is the scorer's moved by the local model's check (`rag.judge`)."""
    from rag.answerability import fuse

    if weight is None:
        return rows
    return [
        {**r, "confidence": fuse(r["confidence"], r["judge_margin"], weight)}
        if r.get("judge_margin") is not None and r["confidence"] is not None
        else r
        for r in rows
    ]


def _calibration_rows(settings: Settings, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Answer every question with no threshold at all (each row keeps its confidence)."""
    from evals.harness import run_eval
    from evals.suites import load_suite, suite_settings
    from rag.pipeline import Pipeline

    # Nothing abstains on a threshold; the local check runs at weight 1 and records its margin.
    # The check decides abstention, so the quote stands as the answer: the model writes nothing
    # (one ~80-token prompt a question, ~1.5 s here, instead of a written answer's ~30 s).
    open_settings = settings.model_copy(
        update={
            "min_answer_score": 0.0,
            "min_judged_score": 0.0,
            "judge_weight": 1.0,
            "llm_backend": args.backend,
            "llm_questions": "none",
        }
    )
    rows: list[dict[str, Any]] = []
    for name in ("seeds", "squad2", "realdocs"):
        suite = load_suite(name)
        pipeline = Pipeline.load(suite_settings(open_settings, suite))
        items = suite.select(args.split, args.limit)
        if args.article and name == "squad2":
            items = [i for i in items if i["doc_id"] == args.article]
        report = run_eval(
            functools.partial(pipeline.answer, backend=args.backend), items, progress=_progress
        )
        for r in report["rows"]:
            r["suite"] = name
        rows += report["rows"]
    return rows


def _pooled_rows(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Rows written by earlier `rag calibrate --out` runs, swept together."""
    from rag.errors import InvalidInputError

    keys = {"suite", "kind", "abstained", "confidence", "answer_has_gold"}
    rows: list[dict[str, Any]] = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"cannot read calibration rows from {path}: {exc}") from exc
        if not isinstance(data, list) or not all(
            isinstance(r, dict) and keys <= r.keys() for r in data
        ):
            raise InvalidInputError(
                f"{path} is not a list of `rag calibrate --out` rows ({', '.join(sorted(keys))})"
            )
        rows += data
    return rows


def _progress(done: int, total: int) -> None:
    print(f"\r{done}/{total} questions", end="\n" if done == total else "", file=sys.stderr)


COMMANDS = {
    "index": _index,
    "ask": _ask,
    "serve": _serve,
    "eval": _eval,
    "calibrate": _calibrate,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rag` script."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
        if getattr(args, "backend", None):
            # On the command line the operator picks the backend for the whole process.
            settings = settings.model_copy(update={"llm_backend": args.backend})
        return COMMANDS[args.command](settings, args)
    except RagError as exc:
        print(f"rag {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # invalid RAG_* settings
        print(f"rag {args.command}: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
