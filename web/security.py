"""Who may call what, and how much: API keys, the Host header, body size, rate, headers.

Keys (RAG_API_KEYS) are required, as `Authorization: Bearer <key>` compared in constant time, on
every route that changes state or reads feedback, and on every /api and /v1 route with
RAG_KEYS_FOR_READS. Without keys those routes accept only clients on this machine, and then only
from the server's own pages (an Origin other than the server's own scheme, host and port is
refused: no cross-site form posts, nor posts from another local web app). X-Forwarded-For is
believed only from RAG_TRUSTED_PROXIES. Every
response carries a Content-Security-Policy without inline script, nosniff and frame-ancestors.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import threading
import time
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.config import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from a CDN with an inline script; they
# show no user or document content, so they get a policy that allows exactly that.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    "https://fastapi.tiangolo.com https://cdn.redoc.ly; worker-src blob:; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
UPLOAD_PATHS = ("/api/documents",)


# With RAG_KEYS_FOR_READS the pages ask for the key; /static/key.js keeps it for the tab
# (sessionStorage) and in a session cookie the server reads (SameSite=Strict).
KEY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Key needed</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main><h1>This server needs a key to read</h1>
<form id="key-form"><label>API key <input id="key" type="password" autocomplete="off"
required></label> <button type="submit">Open</button></form>
<p>The key stays in this browser tab's session; ask whoever runs the server for one.</p>
</main><script src="/static/key.js"></script></body></html>"""


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"detail": detail}, status_code=status, headers={**HEADERS, **(headers or {})}
    )


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def allowed_hosts(settings: Settings) -> set[str] | None:
    """Host header names accepted (None: any, with RAG_ALLOWED_HOSTS=*)."""
    extra = {h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()}
    if "*" in extra:
        return None
    own = {settings.host.lower()} if settings.host not in ("0.0.0.0", "::") else set()
    return _LOOPBACK_NAMES | own | extra


def host_name(header: str) -> str:
    """'example.org:8000' -> 'example.org'; '[::1]:8000' -> '::1'."""
    return (urlsplit(f"//{header}").hostname or "").lower()


KEY_COOKIE = "rag_key"
PAGE_PATHS = ("/", "/documents")


def _valid(token: str, keys: tuple[str, ...]) -> bool:
    return bool(token) and any(hmac.compare_digest(token.encode(), k.encode()) for k in keys)


def key_given(request: Request, keys: tuple[str, ...]) -> bool:
    """A valid key in `Authorization: Bearer`, or in the `rag_key` cookie that the pages set
    (SameSite=Strict: a cross-site request never carries it) from the key typed in the tab."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and _valid(token.strip(), keys):
        return True
    return _valid(request.cookies.get(KEY_COOKIE, ""), keys)


def _own_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return not origin or urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def check_key(request: Request, settings: Settings) -> JSONResponse | None:
    """None when the request may change state; else the 401/403 response that refuses it."""
    keys = settings.keys
    if keys:
        if key_given(request, keys):
            if request.cookies.get(KEY_COOKIE) and not _own_origin(request):
                return _error(403, "a key cookie is accepted from this server's own pages only")
            return None
        return _error(
            401,
            "this route needs an API key: send `Authorization: Bearer <key>` (RAG_API_KEYS)",
            {"WWW-Authenticate": "Bearer"},
        )
    client = request.client.host if request.client else None
    if not is_loopback(client):
        return _error(
            401, "no API keys are configured (RAG_API_KEYS): this route serves this machine only"
        )
    origin = request.headers.get("origin")
    own = request.headers.get("host", "").lower()
    if origin and origin != "null" and urlsplit(origin).netloc.lower() != own:
        # Only the server's own pages: another local web app (another port) may not change it.
        return _error(403, f"requests from the page at {origin} may not change this server")
    if origin == "null":
        return _error(403, "requests from an opaque origin may not change this server")
    return None


class RateLimiter:
    """A token bucket per client address: `per_minute` requests a minute, bursts up to that."""

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """0 when the request may go now (a token is taken), else seconds until one is free."""
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget idle clients rather than grow without bound
                self._buckets = {
                    k: v for k, v in self._buckets.items() if now - v[1] < 60 / max(self.rate, 1e-9)
                }
            tokens, at = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate


class Guard:
    """ASGI middleware: Host header, body size, rate limit, keys on reads, security headers."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.hosts = allowed_hosts(settings)
        self.limiter = (
            RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refused = self._refuse(request)
        if refused is not None:
            await refused(scope, receive, send)
            return
        limit = self._body_limit(scope)

        headers = HEADERS
        if scope["path"] in DOCS_PATHS:
            headers = {**HEADERS, "Content-Security-Policy": DOCS_CSP}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                for name, value in headers.items():
                    if name.lower().encode() not in present:
                        raw.append((name.lower().encode(), value.encode()))
                message["headers"] = raw
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it arrives.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large_detail(limit))
            return message

        await self.app(scope, limited_receive, send_with_headers)

    def _body_limit(self, scope: Scope) -> int:
        path: str = scope["path"]
        if path.startswith(UPLOAD_PATHS) and scope["method"] in ("POST", "PUT"):
            return self.settings.max_upload_mb * 1024 * 1024
        return self.settings.max_body_kb * 1024

    def _refuse(self, request: Request) -> JSONResponse | HTMLResponse | None:
        host = host_name(request.headers.get("host", ""))
        if self.hosts is not None and host not in self.hosts:
            return _error(
                400, f"Host {host!r} is not served here; add it to RAG_ALLOWED_HOSTS to allow it"
            )
        length = request.headers.get("content-length")
        limit = self._body_limit(request.scope)
        if length is not None and length.isdigit() and int(length) > limit:
            return _too_large(limit)
        path = request.url.path
        api = path.startswith(("/api/", "/v1/"))
        if api and self.limiter is not None:
            client = request.client.host if request.client else "?"
            wait = self.limiter.wait_s(client)
            if wait > 0:
                return _error(
                    429,
                    f"too many requests: at most {self.settings.rate_limit_per_minute} a minute "
                    "per client (RAG_RATE_LIMIT_PER_MINUTE)",
                    {"Retry-After": str(math.ceil(wait))},
                )
        if api and self.settings.keys_for_reads and self.settings.keys:
            return check_key(request, self.settings)
        page = path in PAGE_PATHS or path.startswith("/documents/")
        keys = self.settings.keys if self.settings.keys_for_reads else ()
        if page and keys and not key_given(request, keys):
            return HTMLResponse(KEY_PAGE, status_code=401, headers=HEADERS)
        return None


def _too_large_detail(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"request body too large: the limit is {size} (RAG_MAX_UPLOAD_MB / RAG_MAX_BODY_KB)"


def _too_large(limit: int) -> JSONResponse:
    return _error(413, _too_large_detail(limit))
