"""Stock on hand, by lot and location or unit by unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Reader, page

router = APIRouter(include_in_schema=False)


@router.get("/stock", response_class=HTMLResponse)
def stock(
    request: Request,
    user: Reader,
    item: Annotated[str, Query(max_length=64)] = "",
    location: Annotated[str, Query(max_length=64)] = "",
    lot: Annotated[str, Query(max_length=64)] = "",
    units: bool = False,
    sort: Annotated[str, Query(pattern="^(item|location|lot|expires|qty)$")] = "item",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Stock on hand, by lot and location or unit by unit: the lots and units, each a
    link to its page; sortable (expiry first-expiring first)."""
    error, rows = None, []
    try:
        rows = _db(request, user).stock(item=item or None, location=location or None,
                                        lot=lot or None, serials=units)  # fmt: skip
    except TracelotError as exc:
        error = str(exc)
    column = {"location": "location_path"}.get(sort, sort)
    rows.sort(key=lambda r: (r.get(column) is None, r.get(column) or 0 if sort == "qty"
                             else str(r.get(column) or "")))  # fmt: skip
    return page(request, user, "stock.html", rows=rows[offset : offset + limit], total=len(rows),
                sort=sort,
                item=item, location=location, lot=lot, units=units, offset=offset, limit=limit,
                error=error)  # fmt: skip
