"""Sessions over HTTP, alike for the API and the web pages: a session is a cookie (the
token of a `session` kind), each change made on it carries the session's CSRF token, and
the request's database acts as its user."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from tracelot.http.keys import csrf_token

if TYPE_CHECKING:
    from tracelot.app import Tracelot

SESSION_COOKIE = "tl_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str


def database_of(request: Request) -> Tracelot:
    """The application's database (opened when the application starts)."""
    return request.app.state.tracelot


def session_of(request: Request) -> tuple[Any, str] | None:
    """The user row of the request's session cookie (a web session), and the cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    row = database_of(request).user_of_token(cookie)
    return (row, cookie) if row is not None and row.kind == "session" else None


def csrf_matches(request: Request, cookie: str, sent: str) -> bool:
    """Whether `sent` is the CSRF token of the session `cookie`."""
    expected = csrf_token(request.app.state.secret, cookie).encode()
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected)


def acting_database(request: Request, user: User) -> Tracelot:
    """The database, acting as the request's user (operations record who did them),
    whom the request's token or session has just found enabled."""
    return database_of(request).acting_as(user.name, enabled=True)


def request_digest(method: str, path: str, body: Any) -> str:
    """What an idempotency key remembers of a request: a digest of its method, path and
    body (the same key sent with another request is refused)."""
    return hashlib.sha256(f"{method} {path} {body!r}".encode()).hexdigest()
