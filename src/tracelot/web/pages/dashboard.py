"""The dashboard: the reports' figures and what just happened."""

from __future__ import annotations

import datetime as dt
import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.services import charts
from tracelot.web.pages.common import Reader, inline_svg, page

DASHBOARD_SECONDS = 60  # the dashboard's report figures are at most this old


router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: Reader, fresh: bool = False) -> Response:
    """The figures of the reports (at most `DASHBOARD_SECONDS` old: on a large ledger
    they take seconds), and what just happened (always current)."""
    db = _db(request, user)
    kept = getattr(request.app.state, "dashboard", None)
    if fresh or kept is None or time.monotonic() - kept[0] > DASHBOARD_SECONDS:
        turnover = db.turnover()
        figures = {
            "value": db.valuation()["total"],
            "turnover": turnover,
            "due": [r for r in db.reorder()["rows"] if r.get("due")],
            "expiring": db.expiring(within_days=30),
            "chart": inline_svg(charts.turnover_chart(turnover, top=10, fmt="svg").decode()),
            "values": inline_svg(charts.value_chart(db.value_by_day(days=90), fmt="svg").decode()),
            "as_of": dt.datetime.now(dt.UTC),
        }
        request.app.state.dashboard = kept = (time.monotonic(), figures)
    return page(
        request, user, "dashboard.html", **kept[1],
        holds=db.holds(), recalls=[r for r in db.recalls() if r["status"] == "open"],
        recent=db.recent_operations(limit=12),
    )  # fmt: skip
