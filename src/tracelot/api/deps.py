"""What routes depend on: the database, the authenticated user, and the permission table.

Every route names one capability (`domain.roles.CAPABILITIES`) with `allow(...)`; the
table of which route needs what is `app.permissions()`, which the docs print and a test walks
for every role.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from tracelot.app import Tracelot
from tracelot.domain.errors import InvalidInput
from tracelot.domain.roles import CAPABILITIES, may
from tracelot.http.sessions import (
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    User,
    acting_database,
    csrf_matches,
    database_of,
    request_digest,
    session_of,
)
from tracelot.services.tabular import csv_text

_bearer = HTTPBearer(auto_error=False, description="An API token (`tracelot token create`).")


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of the request's bearer token, or of its session cookie; 401 without a
    valid one. A request that changes something on a session cookie must carry the
    session's CSRF token (403 without)."""
    if credentials is not None:
        row = database_of(request).user_of_token(credentials.credentials)
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


async def database(request: Request, user: CurrentUser) -> Tracelot:
    """`acting_database` as a dependency; async, as it does no input or output: a
    request's cheap dependencies are not each a trip to the thread pool."""
    return acting_database(request, user)


DB = Annotated[Tracelot, Depends(database)]


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Send an operation again safely: done once."),
]


def once(
    db: Tracelot,
    user: User,
    request: Request,
    key: str | None,
    body: BaseModel,
    command: Any,
    status: int = 201,
) -> JSONResponse:
    """Do an operation (its command made and checked first) once per idempotency key: sent
    again with the key, the request is answered as the first time and does nothing."""

    def run(batch: Tracelot) -> Any:
        return jsonable_encoder(batch.run(command))

    digest = request_digest(request.method, request.url.path, body.model_dump(mode="json"))
    code, found = db.once(user.id, key, digest, status, run)
    return JSONResponse(found, status_code=code)


def answer(data: Any, status_code: int = 200) -> JSONResponse:
    """Plain data as JSON: quantities as numbers (CONVENTIONS), times with their offset."""
    return JSONResponse(jsonable_encoder(data), status_code=status_code)


def csv_response(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Response:
    """A flat list as CSV (`services.tabular`: the same cells as the CLI writes)."""
    return Response(csv_text(rows, columns), media_type="text/csv")


#: JSON nested deeper than this is refused (an EPCIS document nests about ten deep)
MAX_DEPTH = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


def unfit_text(value: Any) -> str | None:
    """What makes a request's data unfit to store, or None: a NUL character (PostgreSQL's
    text cannot hold one; SQLite would keep it), a lone surrogate (`"\\ud800"` is valid
    JSON but no UTF-8 text), or nesting deeper than MAX_DEPTH. Walked with a stack of its
    own, never recursion: a document 100,000 deep is refused, not a RecursionError."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "text cannot contain NUL (0x00) characters"
            if _SURROGATE.search(item):
                return "text cannot contain lone surrogates (\\ud800-\\udfff): it is no UTF-8"
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return f"the JSON is nested deeper than {MAX_DEPTH} levels"
            items = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((v, depth + 1) for v in items)
    return None


async def refuse_nul(request: Request) -> None:
    """Refuse, alike on every database and every route, text that cannot be stored (NUL,
    lone surrogates) anywhere in a request, and JSON too deep to walk (`unfit_text`)."""
    body: Any = None
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        try:
            body = await request.json()
        except RecursionError:
            raise InvalidInput(f"the JSON is nested deeper than {MAX_DEPTH} levels") from None
        except ValueError:
            body = None  # FastAPI refuses the body itself
    unfit = unfit_text([request.url.path, *request.query_params.values(), body])
    if unfit:
        raise InvalidInput(unfit)
