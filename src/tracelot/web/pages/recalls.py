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
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Quality, Reader, page

RecallId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]


DISPOSITIONS = ("located", "returned", "reworked", "scrapped", "cleared")


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
    return page(request, user, "recall_new.html", form={"kind": "refs"}, preview=None, error=None)


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
    return page(request, user, "recall.html", recall=shown, dispositions=DISPOSITIONS,
                may_mark=may(user.role, "quality"), error=None)  # fmt: skip


@router.post("/recalls/{recall_id}/notices", response_class=HTMLResponse)
def recall_notices(request: Request, user: Quality, recall_id: RecallId) -> Response:
    """Email each customer the recall reached and has not been sent to yet (the server's
    mail settings); what failed shows in the notices' table, a missing server as an error."""
    db = _db(request, user)
    try:
        db.recall_notices(recall_id, send=True)
    except TracelotError as exc:
        shown = db.recall(recall_id)
        return page(request, user, "recall.html", status=422, recall=shown,
                    dispositions=DISPOSITIONS, may_mark=True, error=str(exc))  # fmt: skip
    return RedirectResponse(f"/recalls/{recall_id}", status_code=303)


@router.post("/recalls/{recall_id}/mark", response_class=HTMLResponse)
def recall_mark(
    request: Request,
    user: Quality,
    recall_id: RecallId,
    ref: Annotated[str, Form(max_length=200)],
    disposition: Annotated[str, Form(max_length=16)],
) -> Response:
    db = _db(request, user)
    try:
        db.recall_mark(recall_id, ref, disposition=disposition)
    except TracelotError as exc:
        shown = db.recall(recall_id)  # an unknown recall: its error page
        return page(request, user, "recall.html", status=422, recall=shown,
                    dispositions=DISPOSITIONS, may_mark=True, error=str(exc))  # fmt: skip
    return RedirectResponse(f"/recalls/{recall_id}", status_code=303)
