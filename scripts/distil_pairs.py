"""Training pairs on text the scorer never saw, labelled where the local model agrees.

    python scripts/distil_pairs.py [--abstracts 320] [--out .cache/distil/scifact.jsonl]

The scorer trains on six Wikipedia articles and the seeds dev gold; on unseen text it separates
answerable from unanswerable far worse than the local model's yes/no check does (SQuAD test AUC
0.730 against 0.869). This script turns other text (the SciFact abstracts in
`../shared/bench/scifact`, a different domain from both eval suites) into (question, sentence)
pairs for `scripts/train_answerability.py --extra`:

1. For one sentence of each abstract (random, fixed seed, 12-50 words), the local model writes a
   question the sentence answers (Q1) and a lookalike on the same subject that it does not (Q2),
   as SQuAD 2.0's crowd workers did. The one example in the prompt is made up (a bridge).
2. The hardest other sentences of the abstract (most content words shared with the question) are
   candidate negatives.
3. The model's check (`rag.judge`'s prompt, the same log-odds) reads every pair. The margins are
   stored; `load_extra` keeps a pair only where the check agrees with its label by construction
   (Q1 and its sentence: yes; everything else: no), so a badly written question is dropped
   rather than taught.

Output is appended one abstract per line, so a stopped run keeps what it wrote and a rerun
resumes. Derived from CC BY-NC SciFact text: it stays under .cache, never in the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 13
NEGATIVES = 2  # other sentences of the abstract per question
_STOP = frozenset(
    re.findall(
        r"\w+",
        "a an the of in on at to for by with from and or is are was were be been what which who "
        "whom whose when where why how did does do this that these those it its as than into about",
    )
)
_EXAMPLE = (
    "The Forth Bridge was opened on 4 March 1890 and was designed by John Fowler and "
    "Benjamin Baker.",
    "Q1: Who designed the Forth Bridge?\nQ2: Who paid for the building of the Forth Bridge?",
)
_ASK = (
    'Sentence: "{sentence}"\n\nWrite two questions.\n'
    "Q1: a question that this sentence answers.\n"
    "Q2: a question on the same subject that sounds similar but that this sentence does not "
    "answer (it asks for a detail the sentence does not give).\n"
    "Reply with exactly two lines:\nQ1: ...\nQ2: ..."
)
_SYSTEM = "You write short reading-comprehension questions in plain English."


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 2}


def questions_for(llm: Any, sentence: str) -> tuple[str, str] | None:
    chat = [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": _ASK.format(sentence=_EXAMPLE[0])},
        {"role": "assistant", "content": _EXAMPLE[1]},
        {"role": "user", "content": _ASK.format(sentence=sentence)},
    ]
    out = llm.create_chat_completion(messages=chat, temperature=0.0, max_tokens=80)
    text = out["choices"][0]["message"]["content"]
    found = dict(re.findall(r"^\s*(Q[12]):\s*(.+?)\s*$", text, flags=re.M))
    q1, q2 = found.get("Q1", ""), found.get("Q2", "")
    if not (q1.endswith("?") and q2.endswith("?")) or q1.lower() == q2.lower():
        return None
    return q1, q2


def check_pairs(
    generator: Any, title: str, sentences: list[str], i: int, q1: str, q2: str
) -> list[dict[str, Any]]:
    """The check's margin (`LocalGenerator.judge`, as `rag.judge` asks it) on each question with
    its own sentence and the hardest others."""
    from rag.generators.worker import Budget

    rows = []
    for q, label in ((q1, 1.0), (q2, 0.0)):
        others = sorted(
            (j for j in range(len(sentences)) if j != i),
            key=lambda j: (-len(_words(q) & _words(sentences[j])), j),
        )[:NEGATIVES]
        for j, lab in [(i, label)] + [(j, 0.0) for j in others]:
            margin = generator.judge(q, [(title, sentences[j])], Budget())
            rows.append({"question": q, "sentence": sentences[j], "label": lab, "check": margin})
    return rows


def draws(corpus: Path, n: int) -> list[tuple[dict[str, Any], list[str], int]]:
    """The first `n` abstracts of the shuffled corpus that have a usable sentence, each with its
    drawn sentence: a fresh run and a resumed one draw the same (an abstract the model wrote no
    questions for counts too, so `--abstracts` names the same set either way)."""
    from rag.chunk import sentence_spans

    docs = [json.loads(line) for line in corpus.open(encoding="utf-8")]
    rng = random.Random(SEED)
    rng.shuffle(docs)
    out: list[tuple[dict[str, Any], list[str], int]] = []
    for doc in docs:
        if len(out) >= n:
            break
        text = doc["text"]
        sentences = [text[s:e] for s, e in sentence_spans(text)]
        usable = [i for i, s in enumerate(sentences) if 12 <= len(s.split()) <= 50]
        if len(sentences) < 4 or not usable:
            continue
        out.append((doc, sentences, rng.choice(usable)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared/bench/scifact/corpus.jsonl"
    )
    parser.add_argument("--abstracts", type=int, default=320)
    parser.add_argument("--chunk", type=int, default=20, help="abstracts written, then checked")
    parser.add_argument("--out", type=Path, default=ROOT / ".cache/distil/scifact.jsonl")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rag.config import Settings
    from rag.generators.local import LocalGenerator

    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if args.out.exists():
        done = {json.loads(line)["doc_id"] for line in args.out.open(encoding="utf-8")}
    drawn = draws(args.corpus, args.abstracts)
    beyond = done - {d[0]["_id"] for d in drawn}
    if beyond:
        # Training reads every line of the file: a larger earlier run is not trimmed to this one.
        print(
            f"note: {args.out} holds {len(beyond)} abstracts beyond the first {args.abstracts}"
            " drawn, and training will read them too",
            file=sys.stderr,
        )
    todo = [d for d in drawn if d[0]["_id"] not in done]
    generator = LocalGenerator(Settings(llm_backend="local"))
    engine = generator.engine
    t0, made = time.perf_counter(), 0
    for at in range(0, len(todo), args.chunk):
        # Writing, then checking, a chunk at a time: each keeps its own prompt prefix cached.
        written = []
        for doc, sentences, i in todo[at : at + args.chunk]:
            qs = engine.worker.call(partial(questions_for, engine.llm, sentences[i]))
            if qs:
                written.append((doc, sentences, i, qs))
        with args.out.open("a", encoding="utf-8") as fh:
            for doc, sentences, i, (q1, q2) in written:
                rows = check_pairs(generator, doc["title"], sentences, i, q1, q2)
                row = {"doc_id": doc["_id"], "title": doc["title"], "sentence": i, "pairs": rows}
                fh.write(json.dumps(row) + "\n")
                made += 1
        rate = (time.perf_counter() - t0) / max(made, 1)
        print(f"{made + len(done)} abstracts, {rate:.1f} s each", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
