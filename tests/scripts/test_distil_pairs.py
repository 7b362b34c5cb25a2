"""Distilled pairs: the model's two questions are parsed, and a bad reply gives none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.scripts.load import load_script

distil = load_script("distil_pairs")


class FakeLlm:
    """Replies with fixed text and keeps the chat it was sent."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.chats: list[list[dict[str, str]]] = []

    def create_chat_completion(self, messages: list[dict[str, str]], **_: Any) -> dict:
        self.chats.append(messages)
        return {"choices": [{"message": {"content": self.reply}}]}


SENTENCE = "The glacier retreated 300 metres between 1990 and 2010."


def test_both_questions_are_read_and_the_sentence_is_asked_about_last() -> None:
    llm = FakeLlm("Q1: How far did the glacier retreat?\nQ2: How deep is the glacier?")
    assert distil.questions_for(llm, SENTENCE) == (
        "How far did the glacier retreat?",
        "How deep is the glacier?",
    )
    assert SENTENCE in llm.chats[0][-1]["content"]


def test_a_reply_without_two_distinct_questions_gives_none() -> None:
    for reply in (
        "Q1: How far did the glacier retreat?",
        "Q1: How far did it retreat?\nQ2: How far did it retreat?",
        "Q1: The glacier retreated.\nQ2: How deep is it?",
    ):
        assert distil.questions_for(FakeLlm(reply), SENTENCE) is None


def test_content_words_leave_out_question_words() -> None:
    assert distil._words("What is the role of FBW7 in the cells?") == {"role", "fbw7", "cells"}


def test_draws_are_a_fixed_prefix_whatever_the_count(tmp_path: Path) -> None:
    long = "This sentence has comfortably more than twelve words in it for the draw to use."
    docs = [
        {"_id": str(k), "title": f"t{k}", "text": " ".join([long] * (3 + k % 3))} for k in range(12)
    ]
    docs.append({"_id": "short", "title": "s", "text": "Too short. Two sentences."})
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in docs))
    five = distil.draws(corpus, 5)
    eight = distil.draws(corpus, 8)
    assert len(five) == 5 and len(eight) == 8
    # A run asked for more draws the same abstracts and sentences first, so a resumed run and a
    # fresh one name the same set; an abstract with fewer than four sentences is never drawn.
    assert [(d["_id"], i) for d, _, i in eight[:5]] == [(d["_id"], i) for d, _, i in five]
    assert "short" not in {d["_id"] for d, _, _ in distil.draws(corpus, 20)}
