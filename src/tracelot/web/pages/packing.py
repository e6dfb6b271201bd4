"""Cases and pallets (issue 20): the ones on hand with a pack form (scan what goes in, into
a new case or pallet or into one scanned), and a page per case or pallet (by number or
SSCC) with what it holds, its label, and a form to unpack it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import MAX_TEXT, Operator, Reader, page, scan_lines

if TYPE_CHECKING:
    from tracelot.app import Tracelot

router = APIRouter(include_in_schema=False)
LuName = Annotated[str, FastPath(max_length=200)]


def _list(request: Request, user: User, status: int = 200, **context: Any) -> Response:
    rows = _db(request, user).logistic_units()
    context = {"form": {}, "error": None, **context}
    return page(request, user, "sscc_list.html", status=status, rows=rows,
                may_pack=may(user.role, "operate"), **context)  # fmt: skip


@router.get("/sscc", response_class=HTMLResponse)
def lus(request: Request, user: Reader) -> Response:
    return _list(request, user)


@router.post("/sscc", response_class=HTMLResponse)
def pack(
    request: Request,
    user: Operator,
    refs: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    into: Annotated[str, Form(max_length=200)] = "",
    new: Annotated[str, Form(pattern="^(case|pallet)?$")] = "",
    at: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Pack what was scanned (`ITEM@LOT=QTY` for a quantity, SSCCs of cases) into the case
    scanned in `into`, or into a new case or pallet."""
    form = {"refs": refs, "into": into, "new": new, "at": at}
    try:
        done = _db(request, user).pack(*scan_lines(refs), into=into or None,
                                       new=None if into else (new or "case"),
                                       at_location=at or None)  # fmt: skip
    except TracelotError as exc:
        return _list(request, user, status=422, form=form, error=str(exc))
    return RedirectResponse(f"/sscc/{done['logistic_unit']}", status_code=303)


def _one(request: Request, user: User, lu: str, status: int = 200, **context: Any) -> Response:
    try:
        shown = _db(request, user).logistic_unit(lu)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    context = {"form": {}, "error": None, "done": None, **context}
    return page(request, user, "sscc.html", status=status, lu=shown,
                may_unpack=may(user.role, "operate") and shown["status"] == "in_stock",
                **context)  # fmt: skip


@router.get("/sscc/{lu}", response_class=HTMLResponse)
def lu_page(request: Request, user: Reader, lu: LuName) -> Response:
    return _one(request, user, lu)


def _pdf(request: Request, user: User, make: Callable[[Tracelot], bytes]) -> Response:
    """A document to print, or the page saying why there is none."""
    try:
        data = make(_db(request, user))
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    return Response(data, media_type="application/pdf")


@router.get("/sscc/{lu}/label.pdf")
def lu_label(request: Request, user: Reader, lu: LuName) -> Response:
    return _pdf(request, user, lambda db: db.sscc_label_pdf(lu))


@router.get("/operations/{operation}/slip.pdf")
def packing_slip(request: Request, user: Reader, operation: int) -> Response:
    """A shipment's packing slip (its SSCCs, items, lots and serials), to print."""
    return _pdf(request, user, lambda db: db.packing_slip(operation))


@router.post("/sscc/{lu}/unpack", response_class=HTMLResponse)
def unpack(
    request: Request,
    user: Operator,
    lu: LuName,
    refs: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    """Take out what was scanned (nothing scanned: all it holds)."""
    db = _db(request, user)
    try:
        shown = db.logistic_unit(lu)
        done = db.unpack(shown["sscc"], *scan_lines(refs))
    except TracelotError as exc:
        return _one(request, user, lu, status=422, form={"refs": refs}, error=str(exc))
    return _one(request, user, lu, done=done)
