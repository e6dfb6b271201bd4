"""What routes depend on: the database, the authenticated user, and the permission table.

Every route names one capability (`domain.roles.CAPABILITIES`) with `allow(...)`; the
table of which route needs what is `app.permissions()`, which the docs print and a test walks
for every role.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tracelot.api.keys import csrf_token
from tracelot.app import Tracelot
from tracelot.domain.errors import InvalidInput
from tracelot.domain.roles import CAPABILITIES, may
from tracelot.services.tabular import csv_text

_bearer = HTTPBearer(auto_error=False, description="An API token (`tracelot token create`).")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str


def _database(request: Request) -> Tracelot:
    return request.app.state.tracelot


SESSION_COOKIE = "tl_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def session_of(request: Request) -> tuple[Any, str] | None:
    """The user row of the request's session cookie (a web session), and the cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    row = _database(request).user_of_token(cookie)
    return (row, cookie) if row is not None and row.kind == "session" else None


def csrf_matches(request: Request, cookie: str, sent: str) -> bool:
    """Whether `sent` is the CSRF token of the session `cookie`."""
    expected = csrf_token(request.app.state.secret, cookie).encode()
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected)


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of the request's bearer token, or of its session cookie; 401 without a
    valid one. A request that changes something on a session cookie must carry the
    session's CSRF token (403 without)."""
    if credentials is not None:
        row = _database(request).user_of_token(credentials.credentials)
        if row is None:
            raise HTTPException(401, "the token is unknown, expired, revoked or its user disabled")
        return User(row.id, row.name, row.role)
    if not request.cookies.get(SESSION_COOKIE):
        raise HTTPException(401, "authentication required: send Authorization: Bearer TOKEN")
    found = session_of(request)
    if found is None:
        raise HTTPException(401, "the token is unknown, expired, revoked or its user disabled")
    row, cookie = found
    if request.method not in SAFE_METHODS:
        if not csrf_matches(request, cookie, request.headers.get(CSRF_HEADER, "")):
            raise HTTPException(403, f"a session's changes need its {CSRF_HEADER} header")
    return User(row.id, row.name, row.role)


CurrentUser = Annotated[User, Depends(current_user)]


def allow(capability: str) -> Callable[..., Awaitable[User]]:
    """A dependency that lets through the roles with `capability`, and refuses others."""
    if capability not in CAPABILITIES:
        raise ValueError(f"no capability {capability!r}")

    async def check(user: CurrentUser) -> User:  # async: no trip to the thread pool
        if not may(user.role, capability):
            what = CAPABILITIES[capability][0]
            raise HTTPException(403, f"role {user.role} lacks {capability!r} ({what})")
        return user

    check.capability = capability  # type: ignore[attr-defined]
    return check


def acting_database(request: Request, user: User) -> Tracelot:
    """The database, acting as the request's user (operations record who did them)."""
    return _database(request).acting_as(user.name)


async def database(request: Request, user: CurrentUser) -> Tracelot:
    """`acting_database` as a dependency; async, as it does no input or output: a
    request's cheap dependencies are not each a trip to the thread pool."""
    return acting_database(request, user)


DB = Annotated[Tracelot, Depends(database)]


def answer(data: Any, status_code: int = 200) -> JSONResponse:
    """Plain data as JSON: quantities as numbers (CONVENTIONS), times with their offset."""
    return JSONResponse(jsonable_encoder(data), status_code=status_code)


def csv_response(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Response:
    """A flat list as CSV (`services.tabular`: the same cells as the CLI writes)."""
    return Response(csv_text(rows, columns), media_type="text/csv")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


async def refuse_nul(request: Request) -> None:
    """Refuse NUL characters anywhere in a request, alike on every database (PostgreSQL's
    text cannot hold one; SQLite would keep it)."""
    body: Any = None
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        try:
            body = await request.json()
        except ValueError:
            body = None  # FastAPI refuses the body itself
    if _has_nul([request.url.path, *request.query_params.values(), body]):
        raise InvalidInput("text cannot contain NUL (0x00) characters")


def request_digest(method: str, path: str, body: Any) -> str:
    return hashlib.sha256(f"{method} {path} {body!r}".encode()).hexdigest()
