"""OpenAI-compatible chat completions over the pipeline, so OpenAI SDKs and chat UIs can use it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from rag.errors import GeneratorError, InvalidInputError
from rag.pipeline import Pipeline, validate_question
from rag.types import Answer
from web.deps import PipelineDep
from web.streams import answer_watching, event_stream, sse_json

MODEL_ID = "minerals-rag"
router = APIRouter(prefix="/v1", tags=["openai"])


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str = Field(max_length=8000)


class ChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=40)
    stream: bool = False


def _question_and_history(body: ChatRequest) -> tuple[str, list[dict[str, str]]]:
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InvalidInputError("messages must end with a user message")
    history = [{"role": m.role, "content": m.content} for m in turns[:-1]][-20:]
    return turns[-1].content, history


def _completion(answer: Answer, cid: str) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": answer.answer},
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": [asdict(c) for c in answer.citations],
        "rag": answer.to_dict(),
    }


def _chunks(
    pipeline: Pipeline,
    question: str,
    history: list[dict[str, str]],
    cid: str,
    cancelled: threading.Event,
) -> Iterator[str]:
    def frame(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        chunk = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {sse_json(chunk)}\n\n"

    yield frame({"role": "assistant", "content": ""})
    for kind, value in pipeline.stream(question, history=history, cancelled=cancelled):
        if kind == "answer":
            # The verified answer (renumbered citations) is what counts: send it whole at the end
            # so clients that keep only the final message get the checked text.
            yield frame(
                {"content": value.answer},
                "stop",
                citations=[asdict(c) for c in value.citations],
                rag=value.to_dict(),
            )
    yield "data: [DONE]\n\n"


@router.get("/models")
def models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "local"}],
    }


@router.post(
    "/chat/completions",
    response_model=None,
    responses={
        200: {
            "description": "A chat.completion, or with `stream: true` chat.completion.chunk "
            "events (server-sent events) ending with `data: [DONE]`",
            "content": {"application/json": {}, "text/event-stream": {}},
        }
    },
)
async def chat_completions(
    body: ChatRequest, request: Request, pipeline: PipelineDep
) -> dict[str, Any] | StreamingResponse:
    question, history = _question_and_history(body)
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    validate_question(question, None)  # a bad question is a 422, not a broken stream
    backend = pipeline.backends.check_capacity(None)  # a full LLM queue: 503 + Retry-After
    first = backend == "extractive"
    if body.stream:
        return event_stream(
            lambda cancelled: _chunks(pipeline, question, history, cid, cancelled),
            request.app.state.slots,
            first,
        )

    def events(cancelled: threading.Event) -> Iterator[Any]:
        return pipeline.stream(question, history=history, cancelled=cancelled)

    answer = await answer_watching(request, events, request.app.state.slots, first)
    if answer is None:  # only a cancelled answer (its client left) has none
        raise GeneratorError("the answer was cancelled")
    return _completion(answer, cid)
