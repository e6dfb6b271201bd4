"""Scan anywhere: the header's box on every page. Any scan or code opens what it names,
or, when it names several things (or nothing), a page of the choices and what the scan
said."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Reader, page

router = APIRouter(include_in_schema=False)


#: the page of each kind of thing Find names, filled from the choice's fields
_PAGES = {
    "unit": "/units/{item}/{serial}",
    "lot": "/lots/{item}/{lot}",
    "item": "/items/{item}",
    "location": "/locations/{location}",
    "party": "/parties?q={party}",
    "purchase_order": "/purchase-orders/{po}",
    "recall": "/recalls/{recall}",
    "sales_order": "/orders/{so}",
    "sscc": "/sscc/{sscc}",
}


def href(choice: dict[str, Any]) -> str:
    """The page of a choice (an operation's, for any other kind)."""
    template = _PAGES.get(choice["kind"], "/operations/{operation}")
    fields = re.findall(r"\{(\w+)\}", template)
    return template.format(**{f: quote(str(choice[f]), safe="") for f in fields})


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
