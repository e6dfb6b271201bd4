"""Recalls: the list, the wizard that previews and opens one, and a recall's page where
what it reached is marked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.commands import check_http_size
from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.domain.status import DISPOSITIONS
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import BadInput, Quality, Reader, page

RecallId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]


# a row's own Mark button: the dispositions that need nothing more (reworked names its
# repair, and returned-to-supplier may name a supplier: the bulk form has those fields)
ROW_DISPOSITIONS = ("located", "returned", "returned-to-supplier", "scrapped", "cleared")


router = APIRouter(include_in_schema=False)


def _scope(kind: str, refs: str, supplier: str, supplier_lot: str, item: str, serials: str,
           made_from: str, made_to: str) -> dict[str, Any]:  # fmt: skip
    """A recall's scope from the wizard's fields (one kind of scope at a time)."""
    if kind == "refs":
        return {"refs": [r for r in refs.replace(",", " ").split() if r]}
    if kind == "supplier-lot":
        return {"supplier": supplier or None, "supplier_lot": supplier_lot or None}
    if kind == "serials":
        return {"item": item or None, "serials": serials or None}
    return {"item": item or None, "made_between": (made_from, made_to)}


@router.get("/recalls", response_class=HTMLResponse)
def recalls(request: Request, user: Reader) -> Response:
    return page(request, user, "recalls.html", rows=_db(request, user).recalls(),
                may_open=may(user.role, "quality"))  # fmt: skip


@router.get("/recalls/new", response_class=HTMLResponse)
def recall_wizard(request: Request, user: Quality) -> Response:
    refs = request.query_params.get("refs", "")[:20_000]  # a unit's or lot's Recall button
    return page(request, user, "recall_new.html", form={"kind": "refs", "refs": refs},
                preview=None, error=None)  # fmt: skip


@router.post("/recalls/new", response_class=HTMLResponse)
def recall_wizard_step(
    request: Request,
    user: Quality,
    reason: Annotated[str, Form(max_length=2000)] = "",
    kind: Annotated[str, Form(pattern="^(refs|supplier-lot|serials|made)$")] = "refs",
    refs: Annotated[str, Form(max_length=20_000)] = "",
    supplier: Annotated[str, Form(max_length=64)] = "",
    supplier_lot: Annotated[str, Form(max_length=64)] = "",
    item: Annotated[str, Form(max_length=64)] = "",
    serials: Annotated[str, Form(max_length=2000)] = "",
    made_from: Annotated[str, Form(max_length=10)] = "",
    made_to: Annotated[str, Form(max_length=10)] = "",
    quarantine: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(pattern="^(preview|open)$")] = "preview",
) -> Response:
    """Choose a scope, preview what it reaches (counts, customers), then open it."""
    form = {"reason": reason, "kind": kind, "refs": refs, "supplier": supplier,
            "supplier_lot": supplier_lot, "item": item, "serials": serials,
            "made_from": made_from, "made_to": made_to, "quarantine": quarantine}  # fmt: skip
    scope = _scope(kind, refs, supplier, supplier_lot, item, serials, made_from, made_to)
    db = _db(request, user)
    try:
        check_http_size(scope)  # a range counted before a preview expands it
        if action == "open":
            opened = db.recall_open(reason=reason, quarantine=quarantine or None, **scope)
            return RedirectResponse(f"/recalls/{opened['recall']}", status_code=303)
        shown = db.recall_preview(quarantine=quarantine or None, **scope)
    except TracelotError as exc:
        return page(request, user, "recall_new.html", status=422, form=form, preview=None,
                    error=str(exc))  # fmt: skip
    return page(request, user, "recall_new.html", form=form, preview=shown, error=None)


@router.get("/recalls/{recall_id}", response_class=HTMLResponse)
def recall_page(request: Request, user: Reader, recall_id: RecallId) -> Response:
    try:
        shown = _db(request, user).recall(recall_id)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    return _shown(request, user, shown)


@router.post("/recalls/{recall_id}/notices", response_class=HTMLResponse)
def recall_notices(request: Request, user: Quality, recall_id: RecallId) -> Response:
    """Email each customer the recall reached and has not been sent to yet (the server's
    mail settings); what failed shows in the notices' table, a missing server as an error."""
    db = _db(request, user)
    try:
        db.recall_notices(recall_id, send=True)
    except TracelotError as exc:
        return _shown(request, user, db.recall(recall_id), error=str(exc))
    return RedirectResponse(f"/recalls/{recall_id}", status_code=303)


def _shown(request: Request, user: User, recall: dict[str, Any], error: str | None = None
           ) -> Response:  # fmt: skip
    """A recall's page, with what was refused (`error`; an unknown recall raised before)."""
    return page(request, user, "recall.html", status=422 if error else 200, recall=recall,
                dispositions=ROW_DISPOSITIONS, all_dispositions=DISPOSITIONS,
                may_mark=may(user.role, "quality"), error=error)  # fmt: skip


MAX_REFS = 5000  # references (scans) in one bulk mark from the page


@router.post("/recalls/{recall_id}/mark", response_class=HTMLResponse)
def recall_mark(
    request: Request,
    user: Quality,
    recall_id: RecallId,
    disposition: Annotated[str, Form(max_length=32)],
    ref: Annotated[str, Form(max_length=200)] = "",
    refs: Annotated[str, Form(max_length=MAX_REFS * 100)] = "",
    at: Annotated[str, Form(max_length=200)] = "",
    customer: Annotated[str, Form(max_length=64)] = "",
    to: Annotated[str, Form(max_length=64)] = "",
    operation: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Mark one row (`ref`, its own button), or many: scans or references one a line
    (`refs`), everything at a location or of a customer, in one operation."""
    named = [r for r in (ref, *refs.splitlines()) if r.strip()]
    if len(named) > MAX_REFS:
        raise BadInput(f"mark at most {MAX_REFS} references at once")
    if operation.strip() and not operation.strip().isdigit():
        raise BadInput(f"the repair is an operation number, not {operation!r}")
    db = _db(request, user)
    try:
        db.recall_mark(recall_id, *(r.strip() for r in named), disposition=disposition,
                       at=at.strip() or None, customer=customer.strip() or None,
                       to=to.strip() or None,
                       operation=int(operation) if operation.strip() else None,
                       note=note.strip() or None)  # fmt: skip
    except TracelotError as exc:
        return _shown(request, user, db.recall(recall_id), error=str(exc))
    return RedirectResponse(f"/recalls/{recall_id}", status_code=303)


@router.post("/recalls/{recall_id}/close", response_class=HTMLResponse)
def recall_close(
    request: Request,
    user: Quality,
    recall_id: RecallId,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Close the recall: once every row is dealt with, or by force with a reason."""
    db = _db(request, user)
    try:
        db.recall_close(recall_id, force=bool(reason.strip()), reason=reason.strip() or None)
    except TracelotError as exc:
        return _shown(request, user, db.recall(recall_id), error=str(exc))
    return RedirectResponse(f"/recalls/{recall_id}", status_code=303)
