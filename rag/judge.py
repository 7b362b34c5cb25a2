"""A second opinion on answerability: the local LLM reads the best sentence and says yes or no.

The cross-encoder (`rag.answerability`) is small and was fine-tuned on a few articles; on text
it never saw it often rates a sentence that shares the question's words but not its fact as an
answer. The local LLM reads the scorer's best sentence (`JUDGE_SENTENCES`) with the question and
is asked whether it gives the answer. Its log-odds of "yes" against "no" (the judge's margin) is
added to the scorer's log-odds, and one threshold on the fused probability
(`Settings.min_judged_score`) decides abstention on the LLM path. The extractive path keeps the
scorer alone (it must answer in milliseconds). `rag calibrate --backend local` sets the weight
and the threshold; on the two held-out dev articles the check's AUC was 0.968 / 0.773 against the
scorer's 0.874 / 0.457, and one sentence did as well as three in a pilot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from rag.generators.worker import Budget

JUDGE_SENTENCES = 1  # the sentence the answer quotes first (one short prompt, ~80 tokens)


@runtime_checkable
class Judge(Protocol):
    """A backend that can say whether sentences answer a question."""

    def judge(self, question: str, sentences: Sequence[tuple[str, str]], budget: Budget) -> float:
        """Log-odds that the (title, sentence) pairs give the answer; raises GeneratorError
        (BusyError, DeadlineError) when it cannot say."""
        ...
