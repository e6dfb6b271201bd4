"""Incoming inspection (what waits, pass or fail it) and transfers (the open ones, send
one, a transfer's page where it is received by scanning)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import (
    MAX_TEXT,
    Inspector,
    Operator,
    Reader,
    page,
    scan_lines,
)

router = APIRouter(include_in_schema=False)
TransferId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]


def _age(hours: int) -> str:
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h"


# -- inspection -----------------------------------------------------------------------------


def _inspections(request: Request, user: User, status: int = 200, **context: Any) -> Response:
    rows = [{**r, "age": _age(r["age_hours"])} for r in _db(request, user).inspections()]
    context = {"form": {}, "error": None, "done": None, **context}
    return page(request, user, "inspections.html", status=status, rows=rows, **context)


@router.get("/inspections", response_class=HTMLResponse)
def inspections(request: Request, user: Inspector) -> Response:
    return _inspections(request, user)


@router.post("/inspections", response_class=HTMLResponse)
def inspect(
    request: Request,
    user: Inspector,
    refs: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    result: Annotated[str, Form(pattern="^(pass|fail)$")] = "pass",
    note: Annotated[str, Form(max_length=4000)] = "",
    to: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    disposition: Annotated[str, Form(pattern="^(return-to-supplier|scrap)?$")] = "",
) -> Response:
    """Pass or fail what was scanned: passed, it is released (and put away at `to`);
    failed, it goes back to its supplier or is scrapped."""
    form = {"refs": refs, "result": result, "note": note, "to": to, "reason": reason,
            "disposition": disposition}  # fmt: skip
    db = _db(request, user)
    try:
        named = scan_lines(refs)
        if result == "pass":
            done = db.inspect_pass(*named, note=note or None, to=to or None)
        else:
            done = db.inspect_fail(*named, reason=reason,
                                   return_to_supplier=disposition == "return-to-supplier",
                                   scrap=disposition == "scrap")  # fmt: skip
    except TracelotError as exc:
        return _inspections(request, user, status=422, form=form, error=str(exc))
    return _inspections(request, user, done=done)


# -- transfers ------------------------------------------------------------------------------


def _transfers(request: Request, user: User, status: int = 200, **context: Any) -> Response:
    rows = [{**r, "age": _age(r["age_hours"])} for r in _db(request, user).transfers()]
    context = {"form": {}, "error": None, **context}
    return page(request, user, "transfers.html", status=status, rows=rows,
                may_send=may(user.role, "operate"), **context)  # fmt: skip


@router.get("/transfers", response_class=HTMLResponse)
def transfers(request: Request, user: Reader) -> Response:
    return _transfers(request, user)


@router.post("/transfers", response_class=HTMLResponse)
def transfer_send(
    request: Request,
    user: Operator,
    refs: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    from_: Annotated[str, Form(alias="from", max_length=200)] = "",
    to: Annotated[str, Form(max_length=200)] = "",
    carrier: Annotated[str, Form(max_length=200)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Send what was scanned (`ITEM@LOT=QTY` for a quantity) from one site to another."""
    form = {"refs": refs, "from": from_, "to": to, "carrier": carrier, "reference": reference}
    try:
        done = _db(request, user).transfer(*scan_lines(refs), from_=from_, to=to,
                                          carrier=carrier or None,
                                          reference=reference or None)  # fmt: skip
    except TracelotError as exc:
        return _transfers(request, user, status=422, form=form, error=str(exc))
    return RedirectResponse(f"/transfers/{done['transfer']}", status_code=303)


def _transfer(request: Request, user: User, transfer_id: int, status: int = 200,
              **context: Any) -> Response:  # fmt: skip
    try:
        shown = _db(request, user).transfer_show(transfer_id)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    context = {"form": {}, "error": None, "done": None, **context}
    return page(request, user, "transfer.html", status=status, transfer=shown,
                age=_age(shown["age_hours"]), may_receive=may(user.role, "operate"),
                **context)  # fmt: skip


@router.get("/transfers/{transfer_id}", response_class=HTMLResponse)
def transfer_page(request: Request, user: Reader, transfer_id: TransferId) -> Response:
    return _transfer(request, user, transfer_id)


@router.post("/transfers/{transfer_id}/receive", response_class=HTMLResponse)
def transfer_receive(
    request: Request,
    user: Operator,
    transfer_id: TransferId,
    refs: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    to: Annotated[str, Form(max_length=200)] = "",
    complete: Annotated[str, Form(pattern="^(yes)?$")] = "",
) -> Response:
    """Receive what was scanned at the destination (nothing scanned: all of it); with
    `complete`, what did not arrive is booked missing."""
    form = {"refs": refs, "to": to, "complete": complete}
    try:
        done = _db(request, user).transfer_receive(transfer_id, *scan_lines(refs), to=to or None,
                                                   complete=complete == "yes")  # fmt: skip
    except TracelotError as exc:
        return _transfer(request, user, transfer_id, status=422, form=form, error=str(exc))
    return _transfer(request, user, transfer_id, done=done)
