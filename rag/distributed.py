"""Bulk embedding on Ray (`rag index --workers N`, or `--ray ADDRESS` for a cluster).

The chunks to embed become a Ray Dataset; `workers` actors each load the embedder once and embed
batches (Ray Data `map_batches`); the vectors come back in chunk order to the one process that
writes the build, so the commit stays one locked, atomic write. Locally `ray.init` starts a
private Ray with `workers` CPUs; with an address it joins that cluster and nothing else changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rag.config import Settings
from rag.embed import make_embedder

BATCH = 256


class _Embed:
    """A Ray Data actor: one embedder, many batches."""

    def __init__(self, settings: Settings) -> None:
        # One CPU per actor: ONNX Runtime's own threads would oversubscribe it.
        self.embedder = make_embedder(settings.model_copy(update={"embed_threads": 1}))

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        vectors = self.embedder.embed([str(t) for t in batch["text"]])
        return {"i": batch["i"], "vec": list(vectors)}


def ray_embed(texts: list[str], settings: Settings) -> np.ndarray:
    """Vectors of `texts` (in order), embedded by `settings.index_workers` Ray actors."""
    import ray

    workers = max(1, settings.index_workers)
    if not ray.is_initialized():
        ray.init(
            address=settings.ray_address or None,
            num_cpus=None if settings.ray_address else workers,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    items = [{"i": i, "text": t} for i, t in enumerate(texts)]
    dataset = ray.data.from_items(items, override_num_blocks=max(workers * 4, 1))
    embedded = dataset.map_batches(
        _Embed,
        fn_constructor_kwargs={"settings": settings},
        batch_size=BATCH,
        concurrency=workers,
        num_cpus=1,
        batch_format="numpy",
    )
    out = np.zeros((len(texts), 0), dtype=np.float32)
    for row in embedded.iter_rows():
        vec = np.asarray(row["vec"], dtype=np.float32)
        if out.shape[1] == 0:
            out = np.zeros((len(texts), vec.shape[0]), dtype=np.float32)
        out[int(row["i"])] = vec
    return out
