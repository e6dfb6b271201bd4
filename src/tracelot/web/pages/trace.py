"""Traceability: a unit's or lot's page, and a trace either way, with their genealogy
graphs."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.services.trace_graph import trace_graph
from tracelot.web.pages.common import Reader, inline_svg, page

router = APIRouter(include_in_schema=False)


@router.get("/units/{item}/{serial}", response_class=HTMLResponse)
def unit(request: Request, user: Reader, item: str, serial: str) -> Response:
    return _thing(request, user, f"{item}:{serial}")


@router.get("/lots/{item}/{lot}", response_class=HTMLResponse)
def lot(request: Request, user: Reader, item: str, lot: str) -> Response:
    return _thing(request, user, f"{item}@{lot}")


def _thing(request: Request, user: User, ref: str) -> Response:
    """A unit's or lot's page: where it is, its status and holds, its history, and its
    genealogy both ways as pictures."""
    db = _db(request, user)
    try:
        places = db.where(ref)
        history = db.history(ref)
        backward, forward = db.trace_backward(ref), db.trace_forward(ref)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    pictures = {
        name: _picture(result)
        for name, result in (("backward", backward), ("forward", forward))
        if any(root.children for root in result.roots)
    }
    return page(request, user, "thing.html", ref=ref, places=places, history=history,
                backward=backward.to_dict(), forward=forward.to_dict(),
                pictures=pictures)  # fmt: skip


@router.get("/trace", response_class=HTMLResponse)
def trace(
    request: Request,
    user: Reader,
    ref: Annotated[str, Query(max_length=500)] = "",
    direction: Annotated[str, Query(pattern="^(forward|backward)$")] = "forward",
) -> Response:
    result, picture, error = None, None, None
    if ref:
        db = _db(request, user)
        try:
            found = db.trace_forward(ref) if direction == "forward" else db.trace_backward(ref)
        except TracelotError as exc:
            error = str(exc)
        else:
            result = found.to_dict()
            picture = _picture(found)
    return page(request, user, "trace.html", ref=ref, direction=direction, result=result,
                picture=picture, error=error)  # fmt: skip


def _page_of(node: Any) -> str:
    """The page of a trace's node: a unit's, a lot's, or an item's."""
    item = quote(node.item, safe="")
    if node.serial is not None:
        return f"/units/{item}/{quote(node.serial, safe='')}"
    if node.lot is not None:
        return f"/lots/{item}/{quote(node.lot, safe='')}"
    return f"/items/{item}"


def _picture(result: Any) -> str:
    """A trace's genealogy graph as inline SVG, each node a link to its page."""
    return inline_svg(trace_graph(result, link=_page_of).pipe(format="svg").decode())
