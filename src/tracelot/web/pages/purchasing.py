"""Purchase orders: listed, opened, and received against by scanning (issue 21)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Reader, Refused, page

PoId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]


router = APIRouter(include_in_schema=False)


@router.get("/purchase-orders", response_class=HTMLResponse)
def purchase_orders(
    request: Request,
    user: Reader,
    status: Annotated[str, Query(pattern="^(|draft|open|closed)$")] = "",
) -> Response:
    """The purchase orders (of one status), newest first."""
    rows = _db(request, user).purchase_orders(status=status or None)
    rows.sort(key=lambda r: r["id"], reverse=True)
    return page(request, user, "purchase_orders.html", rows=rows, shown=status)


@router.get("/purchase-orders/{po_id}", response_class=HTMLResponse)
def purchase_order(request: Request, user: Reader, po_id: PoId) -> Response:
    """An order: its lines (ordered, received, still open), its receipts, and the way to
    receive against it by scanning."""
    try:
        order = _db(request, user).purchase_order(po_id)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    return page(request, user, "purchase_order.html", po=order, error=None,
                may_receive=may(user.role, "operate"),
                may_plan=may(user.role, "plan"))  # fmt: skip


@router.post("/purchase-orders/{po_id}/{action}", response_class=HTMLResponse)
def purchase_order_change(request: Request, user: Reader, po_id: PoId, action: str) -> Response:
    """Open a draft order, or close an order (the planner's)."""
    if not may(user.role, "plan"):
        raise Refused(f"your role ({user.role}) may not open or close purchase orders")
    db = _db(request, user)
    try:
        if action == "open":
            db.po_open(po_id)
        elif action == "close":
            db.po_close(po_id)
        else:
            return page(request, user, "error.html", status=404, message="no such action")
    except TracelotError as exc:
        return page(request, user, "purchase_order.html", status=422,
                    po=db.purchase_order(po_id), error=str(exc),
                    may_receive=may(user.role, "operate"), may_plan=True)  # fmt: skip
    return RedirectResponse(f"/purchase-orders/{po_id}", status_code=303)
