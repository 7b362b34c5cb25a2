"""Which hand-written answer rules still earn their place beside the reader (issue 27, item 4).

    python bench/reader_rules.py [--span 0.1 0.3 0.5]

Runs the extractive pipeline on the dev questions the reader never trained on (the SQuAD dev
article "European Union law", where the answer threshold is calibrated) and on the seeds dev
questions (which it trained on: labelled so), with each rule on and off, and prints overall,
answerable, abstention, the share of answered questions opening with a short answer, and its
SQuAD exact match and F1. Rules: `lacking` (an answer without the asked kind of value is
refused), `value` (without a confident span, a value question opens with the one value of its
kind), `hint` (the first stage's kind-of-value multiplier).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CALIBRATION_ARTICLE = "european_union_law"


def run(suite_name: str, article: str | None, settings: Any) -> dict[str, Any]:
    from evals.harness import run_eval
    from evals.suites import load_suite, suite_settings
    from rag.pipeline import Pipeline

    suite = load_suite(suite_name)
    gold = [g for g in suite.select("dev") if article is None or g.get("doc_id") == article]
    pipeline = Pipeline.load(suite_settings(settings, suite))
    pipeline.ranker.warm()
    return run_eval(pipeline.answer, gold, documents=pipeline.documents)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--span", type=float, nargs="*", default=[0.3])
    parser.add_argument("--rules", nargs="*", default=["all", "lacking", "value", "hint"])
    args = parser.parse_args()

    from rag import question
    from rag.config import Settings
    from rag.generators import extractive

    original = {
        "lacking": question.Question.lacking,
        "hint": question.Question.hint,
    }
    print("rule off | span | suite | n | overall | answerable | abstained | short first | EM | F1")
    for rule in args.rules:
        question.Question.lacking = original["lacking"]  # type: ignore[method-assign]
        question.Question.hint = original["hint"]  # type: ignore[method-assign]
        extractive_value = extractive.short_answer
        if rule == "lacking":
            question.Question.lacking = lambda self, text: None  # type: ignore[method-assign]
        if rule == "hint":
            question.Question.hint = lambda self, sentence: 1.0  # type: ignore[method-assign]
        if rule == "value":

            def no_value(q: Any, best: Any, min_span: float) -> str | None:
                words = best.answer_words
                ok = words and best.span_prob >= min_span and len(words.split()) <= 8
                return words if ok and words.casefold() not in q.text.casefold() else None

            extractive.short_answer = no_value  # type: ignore[assignment]
        for span in args.span:
            settings = Settings(llm_backend="extractive", min_span_score=span)
            for suite_name, article in (("squad2", CALIBRATION_ARTICLE), ("seeds", None)):
                r = run(suite_name, article, settings)
                label = f"{suite_name}{' (trained on)' if suite_name == 'seeds' else ' EU law'}"
                print(
                    f"{rule:<8} | {span:.2f} | {label} | {r['n']} | {r['overall']:.3f} | "
                    f"{r['answerable_accuracy']:.3f} | {r['abstention_accuracy'] or 0:.3f} | "
                    f"{r['short_first'] or 0:.3f} | {r['short_em'] or 0:.3f} | "
                    f"{r['short_f1'] or 0:.3f}",
                    flush=True,
                )
        extractive.short_answer = extractive_value  # type: ignore[assignment]
    return 0


if __name__ == "__main__":
    sys.exit(main())
