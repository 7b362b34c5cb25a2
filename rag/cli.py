"""`rag` console script: index, ask, serve, eval. Errors become a message and a non-zero exit."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError
from rag.generate import ORDER


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited answers over your documents.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="build the index from folders of .txt/.md files")
    p.add_argument("paths", nargs="*", type=Path, help="folders or files (default: RAG_SOURCES)")

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

    p = sub.add_parser("eval", help="score the pipeline on a gold question file")
    p.add_argument(
        "--gold", type=Path, default=None, help="JSONL gold file (default: evals/gold.jsonl)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--out", type=Path, default=None, help="write report.md/.json/.png here")
    p.add_argument("--compare", type=Path, default=None, help="an earlier report.json to diff")
    p.add_argument(
        "--backend", choices=ORDER, default=None, help="answer backend (default: RAG_LLM_BACKEND)"
    )
    return parser


def _index(settings: Settings, args: argparse.Namespace) -> int:
    from rag.pipeline import build_index

    build = build_index(settings, args.paths or None)
    manifest = json.loads((build / "manifest.json").read_text())
    print(
        f"indexed {manifest['n_documents']} documents as {manifest['n_chunks']} chunks "
        f"with {manifest['embedding_model']} -> {settings.current_index}"
    )
    return 0


def _ask(settings: Settings, args: argparse.Namespace) -> int:
    from rag.pipeline import Pipeline, validate_question

    validate_question(args.question, args.k)  # fail fast, before loading any model
    answer = Pipeline.load(settings).answer(args.question, args.k, args.backend)
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

    host = args.host or settings.host
    port = args.port or settings.port
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    return 0


def _eval(settings: Settings, args: argparse.Namespace) -> int:
    from evals import report as reports
    from evals.harness import DEFAULT_GOLD, format_report, load_gold, run_eval
    from rag.errors import InvalidInputError
    from rag.pipeline import Pipeline

    gold = load_gold(args.gold or DEFAULT_GOLD)
    old = None
    if args.compare:
        try:
            old = json.loads(args.compare.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInputError(f"cannot read {args.compare}: {exc}") from exc
    pipeline = Pipeline.load(settings)
    report = run_eval(lambda q: pipeline.answer(q, backend=args.backend), gold, progress=_progress)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    if args.out:
        for path in reports.write(report, args.out, f"Eval report ({args.backend or 'default'})"):
            print(f"wrote {path}", file=sys.stderr)
    if old is not None:
        print(reports.format_compare(reports.compare(old, report), old, report))
    return 0


def _progress(done: int, total: int) -> None:
    print(f"\r{done}/{total} questions", end="\n" if done == total else "", file=sys.stderr)


COMMANDS = {"index": _index, "ask": _ask, "serve": _serve, "eval": _eval}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rag` script."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
        return COMMANDS[args.command](settings, args)
    except RagError as exc:
        print(f"rag {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # invalid RAG_* settings
        print(f"rag {args.command}: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
