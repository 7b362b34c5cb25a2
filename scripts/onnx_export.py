"""Export a trained MiniLM head model to fp32 ONNX, then dynamic int8 (per channel), beside its
tokenizer and a first meta.json: what every trained scorer and the reader ship."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def export_int8(
    model: Any, tokenizer: Any, out: Path, outputs: dict[str, dict[int, str]], version: str
) -> Path:
    """`outputs`: output name -> its dynamic axes. Returns the int8 model's path."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "model-fp32.onnx"
    ids = torch.ones(2, 12, dtype=torch.long)
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, 7:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | outputs
    with torch.no_grad():
        torch.onnx.export(
            model,
            (ids, mask, torch.zeros_like(ids)),
            str(fp32),
            input_names=names,
            output_names=list(outputs),
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    int8 = out / "model-int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    (out / "meta.json").write_text(json.dumps({"version": version}))
    return int8
