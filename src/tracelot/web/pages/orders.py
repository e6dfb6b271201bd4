"""Sales orders (issue 20): the list (and a form to take one), an order's page (confirm,
cancel, ship what was picked, the pick list as PDF), and a phone page to pick it by
scanning: each scan confirmed against the order, a wrong item or lot or an expired unit
refused with the reason, and the lines still short shown."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import MENU, Operator, Reader, allowed, page, scan_lines

SoId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]
Seller = Annotated[User, Depends(allowed("sell"))]
STATUSES = ("draft", "open", "partly_shipped", "shipped", "cancelled")

router = APIRouter(include_in_schema=False)
MENU.insert(MENU.index(("/counts", "Counts", "read")) + 1, ("/orders", "Orders", "read"))


def _list_page(request: Request, user: User, status: int = 200, **extra) -> Response:  # noqa: ANN003
    rows = _db(request, user).sales_orders()
    context = {"rows": rows, "may_sell": may(user.role, "sell"), "error": None,
               "form": {}} | extra  # fmt: skip
    return page(request, user, "orders.html", status, **context)


@router.get("/orders", response_class=HTMLResponse)
def orders(request: Request, user: Reader) -> Response:
    return _list_page(request, user)


@router.post("/orders", response_class=HTMLResponse)
def create(
    request: Request,
    user: Seller,
    customer: Annotated[str, Form(max_length=4000)] = "",
    lines: Annotated[str, Form(max_length=200_000)] = "",
    ship_by: Annotated[str, Form(max_length=40)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Take an order: its lines one a line (or separated by commas)."""
    specs = [s.strip() for s in lines.replace(",", "\n").splitlines() if s.strip()]
    try:
        made = _db(request, user).so_create(customer, lines=specs, ship_by=ship_by or None,
                                            reference=reference or None,
                                            confirm=bool(confirm))  # fmt: skip
    except TracelotError as exc:
        form = {"customer": customer, "lines": lines, "ship_by": ship_by,
                "reference": reference, "confirm": bool(confirm)}  # fmt: skip
        return _list_page(request, user, 422, error=exc.message, form=form)
    return RedirectResponse(f"/orders/{made['id']}", status_code=303)


def _order_page(request: Request, user: User, so_id: int, status: int = 200, **extra) -> Response:  # noqa: ANN003
    order = _db(request, user).sales_order(so_id)
    context = {"o": order, "may_sell": may(user.role, "sell"),
               "may_operate": may(user.role, "operate"), "error": None,
               "shipped": None} | extra  # fmt: skip
    return page(request, user, "order.html", status, **context)


@router.get("/orders/{so_id}", response_class=HTMLResponse)
def order(
    request: Request, user: Reader, so_id: SoId,
    shipped: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:  # fmt: skip
    return _order_page(request, user, so_id, shipped=shipped)


@router.post("/orders/{so_id}/confirm", response_class=HTMLResponse)
def confirm(request: Request, user: Seller, so_id: SoId) -> Response:
    try:
        _db(request, user).so_confirm(so_id)
    except TracelotError as exc:
        return _order_page(request, user, so_id, 409, error=exc.message)
    return RedirectResponse(f"/orders/{so_id}", status_code=303)


@router.post("/orders/{so_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request, user: Seller, so_id: SoId,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:  # fmt: skip
    try:
        _db(request, user).so_cancel(so_id, reason=reason or None)
    except TracelotError as exc:
        return _order_page(request, user, so_id, 409, error=exc.message)
    return RedirectResponse(f"/orders/{so_id}", status_code=303)


@router.post("/orders/{so_id}/ship", response_class=HTMLResponse)
def ship(request: Request, user: Operator, so_id: SoId) -> Response:
    """Ship what was picked for the order (or, nothing picked, what is reserved)."""
    try:
        done = _db(request, user).ship(so=so_id)
    except TracelotError as exc:
        return _order_page(request, user, so_id, 409, error=exc.message)
    return RedirectResponse(f"/orders/{so_id}?shipped={done.id}", status_code=303)


@router.get("/orders/{so_id}/pick-list.pdf")
def pick_list_pdf(request: Request, user: Reader, so_id: SoId) -> Response:
    return Response(_db(request, user).so_pick_pdf(so_id), media_type="application/pdf")


def _pick_page(request: Request, user: User, so_id: int, status: int = 200, **extra) -> Response:  # noqa: ANN003
    db = _db(request, user)
    order = db.sales_order(so_id)
    walk = db.so_pick_list(so_id) if order["status"] in ("open", "partly_shipped") else None
    context = {"o": order, "walk": walk, "progress": db.so_pick_progress(so_id),
               "may_operate": may(user.role, "operate"), "at": "", "said": "",
               "error": None} | extra  # fmt: skip
    return page(request, user, "order_pick.html", status, **context)


@router.get("/orders/{so_id}/pick", response_class=HTMLResponse)
def pick_page(
    request: Request, user: Reader, so_id: SoId,
    at: Annotated[str, Query(max_length=64)] = "",
    said: Annotated[str, Query(max_length=500)] = "",
) -> Response:  # fmt: skip
    """The phone page of a picker: `at` keeps the bin they are at, `said` what their last
    scan picked."""
    return _pick_page(request, user, so_id, at=at, said=said)


@router.post("/orders/{so_id}/pick", response_class=HTMLResponse)
def pick(
    request: Request, user: Operator, so_id: SoId,
    scan: Annotated[str, Form(max_length=20_000)] = "",
    at: Annotated[str, Form(max_length=4000)] = "",
) -> Response:  # fmt: skip
    """Confirm a pick (or several, one a line); a location scanned is where they are."""
    scans = scan_lines(scan)
    try:
        done = _db(request, user).so_pick(so_id, scans, at=at or None)
    except TracelotError as exc:
        return _pick_page(request, user, so_id, 422, at=at, error=exc.message)
    said = "; ".join(
        f"picked {p['qty']} {p['item']}"
        + (f":{p['serial']}" if p["serial"] else f"@{p['lot']}" if p["lot"] else "")
        + f" from {p['location_path']}"
        for p in done["picked"]
    ) or f"at {done['at']}"  # fmt: skip
    # to a page of its own: reloading it picks nothing a second time
    query = urlencode({"at": done["at"] or "", "said": said[:500]})
    return RedirectResponse(f"/orders/{so_id}/pick?{query}", status_code=303)
