"""An operation's page: what it did, line by line, whether it was voided (by what, why),
and for quality and admin a form to void it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Quality, Reader, page

OperationId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]

router = APIRouter(include_in_schema=False)


def _shown(request: Request, user: User, operation_id: int, error: str | None = None,
           reason: str = "") -> Response:  # fmt: skip
    db = _db(request, user)
    found = db.operation(operation_id)
    return page(request, user, "operation.html", status=422 if error else 200, op=found,
                may_void=may(user.role, "quality"), error=error, reason=reason)  # fmt: skip


@router.get("/operations/{operation_id}", response_class=HTMLResponse)
def operation_page(request: Request, user: Reader, operation_id: OperationId) -> Response:
    return _shown(request, user, operation_id)


@router.post("/operations/{operation_id}/void", response_class=HTMLResponse)
def operation_void(
    request: Request,
    user: Quality,
    operation_id: OperationId,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Void the operation (the page says why when it is refused, the reason kept)."""
    db = _db(request, user)
    try:
        done = db.void(operation_id, reason=reason)
    except TracelotError as exc:
        return _shown(request, user, operation_id, error=str(exc), reason=reason)
    return RedirectResponse(f"/operations/{done.id}", status_code=303)
