"""FastAPI app: chat page at `/`, JSON API under `/api`; routes are thin calls into `rag`."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from pydantic import BaseModel, Field, StrictInt
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from rag import feedback
from rag.config import Settings
from rag.errors import BusyError, GeneratorError, RagError
from rag.pipeline import MAX_K, MAX_QUESTION_CHARS, Pipeline, validate_question
from web.deps import KeyDep, KeyRefused, PipelineDep, get_pipeline
from web.documents import router as documents_router
from web.openai_api import router as openai_router
from web.schemas import AnswerOut, Problem
from web.security import Guard
from web.streams import Slots, answer_watching, event_stream, sse_json

log = logging.getLogger("rag.web")

_BUSY: dict[int | str, dict[str, Any]] = {
    503: {"description": "The LLM's queue is full: retry after the Retry-After header's seconds"}
}
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
_MARK = re.compile(r"\[(\d+)\]")


def with_citation_links(text: str) -> Markup:
    """Escape answer text, then turn each [n] into a link to citation n."""
    return Markup(_MARK.sub(r'<a class="cite" href="#cite-\1">[\1]</a>', str(escape(text))))


TEMPLATES.env.filters["cited"] = with_citation_links


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class AskIn(BaseModel):
    """Body of POST /api/ask."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: StrictInt | None = Field(default=None, ge=1, le=MAX_K)
    backend: Literal["local", "hosted", "extractive"] | None = None
    history: list[Turn] = Field(default_factory=list, max_length=20)


class FeedbackCitation(BaseModel):
    """A citation as the page shows it: enough to find the passage again."""

    n: StrictInt = Field(ge=1, le=100)
    doc_id: str = Field(max_length=200)
    start: StrictInt | None = Field(default=None, ge=0)
    end: StrictInt | None = Field(default=None, ge=0)


class FeedbackIn(BaseModel):
    """Body of POST /api/feedback."""

    rating: Literal["up", "down"]
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer: str = Field(max_length=4000)
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=20)
    comment: str = Field(default="", max_length=2000)


class FeedbackPage(BaseModel):
    entries: list[dict[str, Any]]
    total: int
    offset: int
    limit: int


_KEY: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No or wrong API key"},
    403: {"model": Problem, "description": "A cross-site request without keys"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_KEY,
    507: {"model": Problem, "description": "The feedback store is full"},
}


def _start_empty(settings: Settings) -> None:
    """A server started where no index exists makes an empty one, so that the first upload is
    accepted (another writer that got there first is fine: its build is loaded instead)."""
    from rag.pipeline import index_documents

    try:
        index_documents(settings, [])
    except RagError as exc:
        log.warning("could not start an empty index: %s", exc)


def create_app(settings: Settings, pipeline: Pipeline | None = None) -> FastAPI:
    """The web app; loads the pipeline at startup unless one is given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pipeline, app.state.load_error = pipeline, None
        if pipeline is None:
            try:
                if not (settings.current_index / "manifest.json").exists():
                    _start_empty(settings)
                app.state.pipeline = Pipeline.load(settings)
                app.state.pipeline.backends.warm()
                # Sentence vectors for the ranker, in the background: answers are served
                # meanwhile, and later ones only embed their question.
                threading.Thread(target=app.state.pipeline.ranker.warm, daemon=True).start()
            except RagError as exc:  # serve /healthz and clear 503s rather than crash
                app.state.load_error = exc
        yield

    app = FastAPI(title="Minerals RAG", version="0.1.0", lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), "static")
    app.state.pipeline, app.state.load_error = pipeline, None
    app.state.slots = Slots(settings.max_concurrent_answers)
    app.state.settings = settings
    app.add_middleware(Guard, settings=settings)
    _register_errors(app)
    app.include_router(documents_router)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        # async: answered on the event loop, never queued behind answers in the thread pool.
        # Read the `current` link itself (a readlink at most once a second): a build made by
        # another process shows here at once, not after some /api request. Only to follow a
        # served pipeline: a first load (the models) is never done on the event loop.
        if request.app.state.pipeline is not None:
            with contextlib.suppress(RagError):
                get_pipeline(request)
        p = request.app.state.pipeline
        err = request.app.state.load_error
        backends = p.backends if p else None
        return {
            "status": "ok" if p else "degraded",
            "detail": str(err) if err else None,
            "documents": len(p.documents) if p else 0,
            "backend": backends.configured if backends and backends.decided else None,
            "backend_reason": backends.auto_reason if backends else None,
            "backend_measured": backends.measured if backends else None,
        }

    @app.post("/api/ask", response_model=AnswerOut, responses=_BUSY)
    async def ask(body: AskIn, request: Request, pipeline: PipelineDep) -> dict[str, Any]:
        history = [t.model_dump() for t in body.history]
        backend = pipeline.backends.check_capacity(body.backend)  # 503 + Retry-After when full

        def events(cancelled: threading.Event) -> Iterator[Any]:
            return pipeline.stream(body.question, body.k, body.backend, history, cancelled)

        first = backend == "extractive"
        answer = await answer_watching(request, events, request.app.state.slots, first)
        if answer is None:  # only a cancelled answer (its client left) has none
            raise GeneratorError("the answer was cancelled")
        return dict(answer.to_dict())

    @app.post("/api/ask/stream", responses={200: {"content": {"text/event-stream": {}}}, **_BUSY})
    def ask_stream(body: AskIn, request: Request, pipeline: PipelineDep) -> StreamingResponse:
        """Server-sent events: with an LLM, `draft` (the verified extractive answer) at once,
        `token` events as the LLM writes, then one `answer` saying which stands and why."""
        history = [t.model_dump() for t in body.history]
        validate_question(body.question, body.k, body.backend)  # a 422 before the 200 goes out
        backend = pipeline.backends.check_capacity(body.backend)  # a 503 when the model is full
        return event_stream(
            lambda cancelled: sse(
                pipeline.stream(body.question, body.k, body.backend, history, cancelled)
            ),
            request.app.state.slots,
            first=backend == "extractive",
        )

    @app.post("/api/feedback", status_code=201, dependencies=[KeyDep], responses=_WRITE_ERRORS)
    def add_feedback(body: FeedbackIn) -> dict[str, Any]:
        return feedback.record(settings.data_dir, body.model_dump(), settings.feedback_max_entries)

    @app.get("/api/feedback", response_model=FeedbackPage, dependencies=[KeyDep], responses=_KEY)
    def list_feedback(
        offset: int = Query(0, ge=0, le=10**9), limit: int = Query(50, ge=1, le=100)
    ) -> dict[str, Any]:
        """One page of feedback, oldest first (a key, or this machine without keys)."""
        items, total = feedback.entries(settings.data_dir, offset, limit)
        return {"entries": items, "total": total, "offset": offset, "limit": limit}

    @app.get("/documents", response_class=HTMLResponse)
    def documents_page(request: Request, pipeline: PipelineDep) -> HTMLResponse:
        docs = [
            {"doc_id": d.doc_id, "title": d.title, "n_chars": len(d.text), "n_pages": len(d.pages)}
            for d in pipeline.documents.values()
        ]
        return TEMPLATES.TemplateResponse(request, "documents.html", {"documents": docs})

    @app.get(
        "/documents/{doc_id}",
        response_class=HTMLResponse,
        responses={
            404: {
                "description": "No such document",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
        },
    )
    def document_page(
        request: Request, doc_id: str, pipeline: PipelineDep, start: int = -1, end: int = -1
    ) -> HTMLResponse:
        d = pipeline.document(doc_id)
        ok = 0 <= start < end <= len(d.text)
        parts = (d.text[:start], d.text[start:end], d.text[end:]) if ok else (d.text, "", "")
        context = {"doc": d, "before": parts[0], "mark": parts[1], "after": parts[2]}
        return TEMPLATES.TemplateResponse(request, "document.html", context)

    app.include_router(openai_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    @app.get(
        "/",
        response_class=HTMLResponse,
        responses={
            422: {"content": {"text/html": {}}, "description": "The page, with the error shown"}
        },
    )
    def page(request: Request, pipeline: PipelineDep, q: str = "") -> HTMLResponse:
        answer, error, status = None, None, 200
        if q:
            try:
                answer = pipeline.answer(q).to_dict()
            except RagError as exc:  # shown on the page, next to the question box
                error, status = str(exc), exc.status_code
        context = {"question": q, "answer": answer, "error": error, "max_chars": MAX_QUESTION_CHARS}
        return TEMPLATES.TemplateResponse(request, "index.html", context, status_code=status)

    return app


def sse(events: Iterator[tuple[str, Any]]) -> Iterator[str]:
    """Pipeline events as SSE frames; draft and answer events carry the full contract."""
    for kind, value in events:
        data = value.to_dict() if kind in ("draft", "answer") else {"text": value}
        yield f"event: {kind}\ndata: {sse_json(data)}\n\n"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated spec, with every 422 documented as the body the server sends (Problem)."""
    if app.openapi_schema is None:
        spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
        problem = {"$ref": "#/components/schemas/Problem"}
        spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
            Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        json_problem = {"application/json": {"schema": problem}}
        common = {  # what the guard (web/security.py) or a missing index may answer anywhere
            "413": "Request body larger than RAG_MAX_BODY_KB (RAG_MAX_UPLOAD_MB for uploads)",
            "429": "Too many requests from this client: see Retry-After",
            "401": "An API key is required (RAG_API_KEYS, with RAG_KEYS_FOR_READS on reads)",
            "503": "No index is loaded yet, or the model is busy: see `detail`",
        }
        for path, methods in spec.get("paths", {}).items():
            for method, op in methods.items():
                responses = op.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {
                        "description": "Invalid input: `detail` says what, `errors` where",
                        "content": json_problem,
                    }
                if path == "/healthz":
                    continue
                for status, description in common.items():
                    if status == "413" and method not in ("post", "put"):
                        continue
                    if status in ("401", "429") and not path.startswith(("/api/", "/v1/")):
                        continue
                    responses.setdefault(
                        status, {"description": description, "content": json_problem}
                    )
        for name in ("HTTPValidationError", "ValidationError"):
            spec["components"]["schemas"].pop(name, None)
        app.openapi_schema = spec
    return app.openapi_schema


def _register_errors(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 400:
            # A body that is not UTF-8 JSON or not multipart: invalid input like any other (422).
            return JSONResponse(
                {"detail": f"the request body could not be read: {exc.detail}", "errors": []},
                status_code=422,
            )
        if exc.status_code == 405:  # Allow: every method of every route on this path
            methods: set[str] = set()
            for route in app.routes:
                if route.matches(request.scope)[0] != Match.NONE:
                    methods |= set(getattr(route, "methods", None) or ())
            headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, BusyError) else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(KeyRefused)
    async def key_refused(request: Request, exc: KeyRefused) -> JSONResponse:
        return exc.response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"] if p != "body")
            problems.append(f"{where}: {err['msg']}" if where else err["msg"])
        return JSONResponse(
            {"detail": "; ".join(problems), "errors": jsonable(exc.errors())}, status_code=422
        )


def jsonable(errors: Any) -> Any:
    """Validation errors without the non-JSON `ctx` objects pydantic may include."""
    return [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
