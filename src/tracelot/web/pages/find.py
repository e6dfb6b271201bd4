"""Scan anywhere: the header's box on every page. Any scan or code opens what it names,
or, when it names several things (or nothing), a page of the choices and what the scan
said."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Reader, page

router = APIRouter(include_in_schema=False)


def href(choice: dict[str, Any]) -> str:
    """The page of a choice."""
    q = lambda key: quote(str(choice[key]), safe="")  # noqa: E731
    kind = choice["kind"]
    if kind == "unit":
        return f"/units/{q('item')}/{q('serial')}"
    if kind == "lot":
        return f"/lots/{q('item')}/{q('lot')}"
    if kind == "item":
        return f"/items/{q('item')}"
    if kind == "location":
        return f"/locations/{q('location')}"
    if kind == "party":
        return f"/parties?q={q('party')}"
    if kind == "purchase_order":
        return f"/purchase-orders/{choice['po']}"
    if kind == "recall":
        return f"/recalls/{choice['recall']}"
    if kind == "sales_order":
        return f"/orders/{choice['so']}"
    if kind == "sscc":
        return f"/sscc/{q('sscc')}"
    return f"/operations/{choice['operation']}"


@router.get("/find", response_class=HTMLResponse)
def find(
    request: Request, user: Reader, q: Annotated[str, Query(max_length=4000)] = ""
) -> Response:
    """Open what the scan or code names; offer the choices when it names several."""
    found = _db(request, user).find(q) if q.strip() else {"choices": [], "scan": None}
    choices = [{**c, "href": href(c)} for c in found["choices"]]
    if len(choices) == 1:
        return RedirectResponse(choices[0]["href"], status_code=303)
    scan = found["scan"]
    said = scan["error"] if scan and not scan["ok"] else None
    return page(request, user, "find.html", q=q, choices=choices, said=said)
