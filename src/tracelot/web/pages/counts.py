"""Stock counts: the list (and a form to start one), and a count's page where counters
scan into it, each with their own bin (several counters on one count at once), and
where quality sees the variances and posts them."""

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
from tracelot.web.pages.common import Quality, Reader, allowed, page, scan_lines

CountId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]
Counter = Annotated[User, Depends(allowed("count"))]

router = APIRouter(include_in_schema=False)


@router.get("/counts", response_class=HTMLResponse)
def counts(request: Request, user: Reader) -> Response:
    return page(request, user, "counts.html", rows=_db(request, user).counts(),
                may_count=may(user.role, "count"), error=None, form={})  # fmt: skip


@router.post("/counts", response_class=HTMLResponse)
def start(
    request: Request,
    user: Counter,
    at: Annotated[str, Form(max_length=4000)] = "",
    items: Annotated[str, Form(max_length=20_000)] = "",
    blind: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Open a count of a location; the items (space or comma separated) narrow it."""
    db = _db(request, user)
    codes = [c for c in items.replace(",", " ").split() if c]
    try:
        started = db.count_start(at, items=codes, blind=bool(blind))
    except TracelotError as exc:
        form = {"at": at, "item_codes": items, "blind": bool(blind)}
        return page(request, user, "counts.html", 422, rows=db.counts(), may_count=True,
                    error=exc.message, form=form)  # fmt: skip
    return RedirectResponse(f"/counts/{started['count']}", status_code=303)


def _count_page(request: Request, user: User, count_id: int, status: int = 200, **extra):  # noqa: ANN003, ANN202
    db = _db(request, user)
    shown = db.count_show(count_id, reveal=may(user.role, "quality"))
    context = {"c": shown, "may_count": may(user.role, "count"), "at": "", "error": None,
               "recorded": None, "may_post": may(user.role, "quality")} | extra  # fmt: skip
    return page(request, user, "count.html", status, **context)


@router.get("/counts/{count_id}", response_class=HTMLResponse)
def count(
    request: Request,
    user: Reader,
    count_id: CountId,
    at: Annotated[str, Query(max_length=64)] = "",
    recorded: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> Response:
    """A count's page; `at` keeps where this counter counts, `recorded` says what their
    last scan recorded."""
    done = None if recorded is None else {"recorded": recorded, "at": at}
    return _count_page(request, user, count_id, at=at, recorded=done)


@router.post("/counts/{count_id}/scan", response_class=HTMLResponse)
def scan(
    request: Request,
    user: Counter,
    count_id: CountId,
    scan: Annotated[str, Form(max_length=20_000)] = "",
    at: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Record a scan (or several, one a line) where this counter is (`at`); a location
    scanned becomes where they are."""
    lines = scan_lines(scan)
    try:
        done = _db(request, user).count_scan(count_id, lines, at=at or None)
    except TracelotError as exc:
        return _count_page(request, user, count_id, 422, at=at, error=exc.message)
    # to a page of its own: reloading it sends no scan a second time
    query = urlencode({"at": done["at"], "recorded": done["recorded"]})
    return RedirectResponse(f"/counts/{count_id}?{query}", status_code=303)


@router.post("/counts/{count_id}/post", response_class=HTMLResponse)
def post(request: Request, user: Quality, count_id: CountId) -> Response:
    try:
        _db(request, user).count_post(count_id)
    except TracelotError as exc:
        return _count_page(request, user, count_id, 409, error=exc.message)
    return RedirectResponse(f"/counts/{count_id}", status_code=303)


@router.post("/counts/{count_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request,
    user: Quality,
    count_id: CountId,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        _db(request, user).count_cancel(count_id, reason=reason)
    except TracelotError as exc:
        return _count_page(request, user, count_id, 409, error=exc.message)
    return RedirectResponse(f"/counts/{count_id}", status_code=303)


@router.get("/counts/{count_id}/report.{fmt}")
def report(request: Request, user: Quality, count_id: CountId, fmt: str) -> Response:
    kind = "pdf" if fmt == "pdf" else "csv"
    data = _db(request, user).count_report(count_id, fmt=kind)
    media = "application/pdf" if kind == "pdf" else "text/csv"
    return Response(data, media_type=media)
