"""Traceability: a unit's or lot's page, and a trace either way, with their genealogy
graphs."""

from __future__ import annotations

from collections import Counter
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


#: a genealogy drawn as a picture up to this many nodes; a bigger one is the tree alone
MAX_PICTURE = 40


#: rows of a long list shown at once (the rest a page further, or all on asking)
PAGE = 50


#: history lines on a unit's or lot's page before "all of it"
RECENT = 5


def _nodes(nodes: list[dict[str, Any]]) -> int:
    return sum(1 + _nodes(n.get("inputs") or n.get("outputs") or []) for n in nodes)


def summary(affected: list[dict[str, Any]]) -> dict[str, Any]:
    """A big trace at a glance: how many it reached, by status and by customer (each
    count a link to those rows)."""
    by_status = Counter(a["status"] for a in affected)
    by_customer = Counter(a["customer"] for a in affected if a.get("customer"))
    return {
        "total": len(affected),
        "qty": sum(a["qty"] or 0 for a in affected),
        "by_status": sorted(by_status.items()),
        "by_customer": sorted(by_customer.items(), key=lambda kv: (-kv[1], kv[0])),
    }


def _thing(request: Request, user: User, ref: str) -> Response:
    """A unit's or lot's page: a summary of what it reached first, where it is, its
    status and holds, its genealogy both ways (pictures when small, trees collapsed
    below the first levels) and its latest history (all of it on asking)."""
    db = _db(request, user)
    try:
        places = db.where(ref)
        history = db.history(ref)
        backward, forward = db.trace_backward(ref), db.trace_forward(ref)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    shown_back, shown_forward = backward.to_dict(), forward.to_dict()
    sizes = {"backward": _nodes(shown_back["roots"]), "forward": _nodes(shown_forward["roots"])}
    pictures = {
        name: _picture(result)
        for name, result in (("backward", backward), ("forward", forward))
        if any(root.children for root in result.roots) and sizes[name] <= MAX_PICTURE
    }
    everything = request.query_params.get("history") == "all"
    return page(request, user, "thing.html", ref=ref, places=places[:PAGE],
                more_places=max(0, len(places) - PAGE),
                history=history if everything else history[-RECENT:],
                history_total=len(history), backward=shown_back, forward=shown_forward,
                reached=summary(shown_forward["affected"]), sizes=sizes,
                pictures=pictures)  # fmt: skip


@router.get("/trace", response_class=HTMLResponse)
def trace(
    request: Request,
    user: Reader,
    ref: Annotated[str, Query(max_length=500)] = "",
    direction: Annotated[str, Query(pattern="^(forward|backward)$")] = "forward",
    status: Annotated[str, Query(max_length=32)] = "",
    customer: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """A trace: its summary (how many, by status and customer, each a link to its rows),
    the tree collapsed below the first levels, the picture when small, and the rows it
    reached a page at a time. A supplier's lot or any scan is taken as the ref (scan
    anywhere): what it names is traced."""
    result, picture, error, rows, reached = None, None, None, [], None
    if ref:
        db = _db(request, user)
        try:
            found = db.trace_forward(ref) if direction == "forward" else db.trace_backward(ref)
        except TracelotError as exc:
            named = [_ref(c) for c in db.find(ref)["choices"] if c["kind"] in ("lot", "unit")]
            if not named:
                error = str(exc)
            else:  # a supplier's lot, or a label: trace what it names
                found = db.trace_forward(*named) if direction == "forward" else None
                if found is None:
                    found = db.trace_backward(named[0])
        if error is None:
            result = found.to_dict()
            reached = summary(result["affected"])
            rows = [a for a in result["affected"] if (not status or a["status"] == status)
                    and (not customer or a.get("customer") == customer)]  # fmt: skip
            if _nodes(result["roots"]) <= MAX_PICTURE:
                picture = _picture(found)
    return page(request, user, "trace.html", ref=ref, direction=direction, result=result,
                picture=picture, error=error, reached=reached, rows=rows[offset : offset + PAGE],
                total=len(rows), offset=offset, limit=PAGE, status_=status,
                customer=customer)  # fmt: skip


def _ref(choice: dict[str, Any]) -> str:
    """A found lot's or unit's reference (ITEM@LOT, ITEM:SERIAL)."""
    if choice["kind"] == "lot":
        return f"{choice['item']}@{choice['lot']}"
    return f"{choice['item']}:{choice['serial']}"


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
