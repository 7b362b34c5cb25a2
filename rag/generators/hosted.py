"""Hosted backend: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama /v1)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from rag.config import Settings
from rag.errors import DeadlineError, GeneratorError
from rag.generators.worker import Budget
from rag.prompt import messages
from rag.types import Passage


class HostedGenerator:
    """Streams a greedy answer from `{RAG_LLM_BASE_URL}/chat/completions`."""

    name = "hosted"

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_base_url:
            raise GeneratorError("RAG_LLM_BASE_URL is not set")
        self.url = settings.llm_base_url.rstrip("/") + "/chat/completions"
        self.model = settings.llm_model or "default"
        self.max_tokens = settings.llm_max_tokens
        key = settings.llm_api_key.get_secret_value()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        timeout = self.timeout = settings.llm_timeout_s
        self.client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        budget: Budget,
        leads: Sequence[str] = (),
    ) -> Iterator[str]:
        """Content deltas of the streamed completion (a plain JSON reply is accepted too). The
        whole request must finish within RAG_LLM_TIMEOUT_S and the answer's budget: a server
        that keeps the connection alive without answering is cut off, not waited on."""
        deadline = min(time.monotonic() + self.timeout, budget.deadline)
        body = {
            "model": self.model,
            "messages": messages(question, passages),
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "stream": True,
        }
        try:
            with self.client.stream("POST", self.url, json=body, headers=self.headers) as r:
                if r.status_code != 200:
                    r.read()
                    raise GeneratorError(
                        f"{self.url} answered HTTP {r.status_code}: {r.text[:200]}"
                    )
                if r.headers.get("content-type", "").startswith("application/json"):
                    r.read()
                    yield _message_content(r.json())
                    return
                yield from _sse_deltas(r.iter_lines(), deadline, budget)
        except httpx.HTTPError as exc:
            raise GeneratorError(f"{self.url} unreachable or timed out: {exc!r}") from exc


def _sse_deltas(lines: Iterator[str], deadline: float, budget: Budget) -> Iterator[str]:
    for line in lines:
        if budget.cancelled.is_set():
            return
        if time.monotonic() > deadline:
            raise DeadlineError("hosted LLM timed out: the answer took longer than its deadline")
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise GeneratorError(f"malformed stream event from hosted LLM: {data[:120]}") from exc
        if piece:
            yield piece


def _message_content(reply: Any) -> str:
    try:
        return str(reply["choices"][0]["message"]["content"])
    except (KeyError, IndexError, TypeError) as exc:
        raise GeneratorError(f"malformed reply from hosted LLM: {str(reply)[:120]}") from exc
