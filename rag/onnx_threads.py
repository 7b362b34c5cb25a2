"""One ONNX Runtime thread pool per process, shared by every model it runs (the embedder, the
reader, the second scorer).

With a pool per session, each pool's threads spin for a while after their run, on the same 2
cores the next model needs: the reader reading ten sentences and then the second scorer two took
~50 ms more than the two apart, and ~6 ms more with one shared pool (docs/bench.md). ONNX Runtime
allows one global pool per process, and once it exists every session must use it: so every
session is made here. The first model loaded sizes it (`threads`, 0: one per core); a Ray worker
loads its embedder with 1.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_shared: bool | None = None  # None until the first session: then whether the pool is shared


def session_options(threads: int = 0) -> Any:
    """Options for a new `onnxruntime.InferenceSession`: on the process's shared pool, or, where
    this ONNX Runtime has none, `threads` of its own."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if _pool(threads):
        options.use_per_session_threads = False
    else:
        options.intra_op_num_threads = threads
    return options


def _pool(threads: int) -> bool:
    global _shared
    with _lock:
        if _shared is None:
            try:
                from onnxruntime.capi import _pybind_state

                _pybind_state.set_global_thread_pool_sizes(threads, 1)
                _shared = True
            except (ImportError, AttributeError, RuntimeError):
                _shared = False
        return _shared
