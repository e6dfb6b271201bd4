"""Reports as tables, with their charts and CSV; draft purchase orders from the reorder
report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.roles import may
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.services import charts
from tracelot.web.pages.common import Missing, Reader, allowed, inline_svg, page

REPORTS = ("turnover", "reorder", "expiring", "excess", "abc")


EXPIRING_DAYS = 60  # the expiring report looks this far ahead (and so does its CSV)


router = APIRouter(include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, user: Reader) -> Response:
    return RedirectResponse("/reports/turnover", status_code=303)


@router.get("/reports/{name}", response_class=HTMLResponse)
def report(request: Request, user: Reader, name: str) -> Response:
    """A report as a table, with its chart where it has one, and its CSV to download."""
    if name not in REPORTS:
        raise Missing(f"no such report: {name}")
    db = _db(request, user)
    chart = None
    if name == "turnover":
        found = db.turnover()
        chart = charts.turnover_chart(found, top=15, fmt="svg")
    elif name == "reorder":
        found = db.reorder()
    elif name == "expiring":
        found = db.expiring(within_days=EXPIRING_DAYS)
        if found["rows"]:
            chart = charts.expiry_calendar(found, fmt="svg")
    elif name == "excess":
        found = db.excess()
    else:
        found = db.abc()
        if found["rows"]:
            chart = charts.abc_chart(found, fmt="svg")
    return _report_page(request, user, name, found, chart)


@router.post("/reports/reorder/purchase-orders", response_class=HTMLResponse)
def draft_orders(request: Request, user: Annotated[User, Depends(allowed("plan"))]) -> Response:
    """Draft purchase orders from the reorder suggestions (one per supplier)."""
    found = _db(request, user).reorder(create_po=True)
    return _report_page(request, user, "reorder", found, None, created=found.get("created"))


def _report_page(request: Request, user: User, name: str, found: dict[str, Any],
                 chart: bytes | None, created: Any = None) -> Response:  # fmt: skip
    rows = found["rows"]
    columns = [c for c in (rows[0].keys() if rows else []) if not c.endswith("_name")]
    csv = f"/api/v1/reports/{name}?format=csv" + (
        f"&within_days={EXPIRING_DAYS}" if name == "expiring" else ""
    )
    return page(request, user, "report.html", name=name, reports=REPORTS, rows=rows,
                columns=columns, chart=inline_svg(chart.decode()) if chart else None,
                may_plan=may(user.role, "plan"), created=created, csv=csv)  # fmt: skip
