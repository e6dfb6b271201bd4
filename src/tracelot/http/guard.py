"""What every answer of `tracelot serve` shares, below the API and the pages: request
bodies held to a limit (413 naming it, before the body is read whole), and the security
headers of every response.

A pure ASGI middleware, outermost on the application: it sees each request before any
route reads its body, and each response's head before it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MiB = 2**20
#: the routes whose body is a document or a file, with a larger limit of their own
CAPTURE_PATH = "/api/v1/epcis/capture"
IMPORT_PREFIX = "/api/v1/imports/"
JOBS_PREFIX = "/api/v1/jobs/"  # big receipts and imports, done as jobs


@dataclass(frozen=True)
class BodyLimits:
    """The largest request body, in bytes: of any request, of an EPCIS capture, and of a
    spreadsheet import or a job (`TRACELOT_MAX_BODY_BYTES`, `..._CAPTURE_BYTES`,
    `..._IMPORT_BYTES`)."""

    body: int = 16 * MiB
    capture: int = 256 * MiB
    imports: int = 64 * MiB

    def of(self, path: str) -> tuple[int, str]:
        """The limit of a request to `path`, and the setting that sets it."""
        if path == CAPTURE_PATH:
            return self.capture, "TRACELOT_MAX_CAPTURE_BYTES"
        if path.startswith((IMPORT_PREFIX, JOBS_PREFIX)):
            return self.imports, "TRACELOT_MAX_IMPORT_BYTES"
        return self.body, "TRACELOT_MAX_BODY_BYTES"


def size(n: int) -> str:
    """A limit as people say it: `16 MiB`, `1,000 bytes`."""
    return f"{n // MiB:,} MiB" if n % MiB == 0 else f"{n:,} bytes"


def too_large_detail(limit: int, setting: str) -> str:
    return f"the request body is larger than the limit of {size(limit)} ({setting})"


#: a page loads its own scripts, styles, images and the scanner's WebAssembly, nothing
#: else; no page may be framed (clickjacking), nor send its address to other sites
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: an answer that is not a page (JSON, CSV, SVG) may load nothing, nor be framed
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: a PDF (labels, recall notices) is shown by the browser's own viewer
PDF_POLICY = "frame-ancestors 'none'"
#: Swagger UI (`/docs`, served from its own package) starts itself with an inline script
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


def policy_of(path: str, media: bytes) -> str:
    """The Content-Security-Policy of a response to `path` of type `media`."""
    if media.startswith(b"text/html"):
        return DOCS_POLICY if path == "/docs" or path.startswith("/docs/") else PAGE_POLICY
    if media.startswith(b"application/pdf"):
        return PDF_POLICY
    return DATA_POLICY


class Guard:
    """The body limits and the security headers, around the whole application."""

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None) -> None:
        self.app = app
        self.limits = limits or BodyLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = message.get("headers", [])
                present = {name.lower() for name, _ in sent}
                media = next((v for n, v in sent if n.lower() == b"content-type"), b"")
                policy = (b"content-security-policy", policy_of(path, media.lower()).encode())
                extra = [(n, v) for n, v in (policy, *COMMON_HEADERS) if n not in present]
                message["headers"] = [*sent, *extra]
            await send(message)

        limit, setting = self.limits.of(path)
        declared = _content_length(scope)
        if declared == -1:
            await _refuse(send_guarded, 400, "Bad Request", "Content-Length is not a number")
            return
        if declared is not None and declared > limit:
            await _refuse(
                send_guarded, 413, "Too Large", too_large_detail(limit, setting), limit=limit
            )
            return
        seen = 0

        async def receive_counted() -> Message:
            # a body sent in chunks (no Content-Length) is counted as it comes
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, too_large_detail(limit, setting))
            return message

        await self.app(scope, receive_counted, send_guarded)


def _content_length(scope: Scope) -> int | None:
    """The declared body length; None without one, -1 for one that is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) < 20 else -1
    return None


async def _refuse(send: Send, status: int, title: str, detail: str, **extra: Any) -> None:
    """A problem+json answer sent before the body is read; the connection then closes
    (the unread body is not drained)."""
    code = "too_large" if status == 413 else "invalid_input"
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "code": code, **extra}  # fmt: skip
    data = json.dumps(body).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(data)).encode()),
            (b"connection", b"close"),
        ],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": data})
