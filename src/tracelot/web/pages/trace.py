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


#: a genealogy drawn as a picture up to this many nodes; a bigger one is the tree alone
MAX_PICTURE = 40


#: rows of a long list shown at once (the rest a page further, or all on asking)
PAGE = 50


#: history lines on a unit's or lot's page before "all of it"
RECENT = 5


#: the levels of a trace's tree a page shows (a node on the last with more below links to
#: its own trace): the tree is built one level deeper, to know which have more
LEVELS = 5


def _nodes(nodes: list[dict[str, Any]]) -> int:
    return sum(1 + _nodes(n.get("inputs") or n.get("outputs") or []) for n in nodes)


def _levels(nodes: list[dict[str, Any]]) -> int:
    """How many levels deep a tree goes (a tree of roots alone: 1)."""
    return max((1 + _levels(n.get("inputs") or n.get("outputs") or []) for n in nodes), default=0)


def _shown(db: Any, direction: str, refs: list[str], **page: Any) -> dict[str, Any]:
    """What a page shows of a trace: its tree to LEVELS (and a picture when it is whole
    and small), its counts and a page of its rows, from `trace_overview`."""
    # the tree's own list colours its picture: not built for a tree too big to draw
    found = db.trace_overview(direction, *refs, levels=LEVELS, list_up_to=MAX_PICTURE, **page)
    tree = found["trace"].to_dict()
    whole = _levels(tree["roots"]) <= LEVELS
    small = whole and _nodes(tree["roots"]) <= MAX_PICTURE
    has_more = any(root["inputs" if direction == "backward" else "outputs"]
                   for root in tree["roots"])  # fmt: skip
    picture = _picture(found["trace"]) if small and has_more else None
    return {**found, "tree": tree, "picture": picture, "reached": _reached(found)}


def _reached(found: dict[str, Any]) -> dict[str, Any]:
    """A big trace at a glance: how many it reached, by status and by customer (each
    count a link to those rows)."""
    return {k: found[k] for k in ("total", "qty", "by_status", "by_customer")}


def _thing(request: Request, user: User, ref: str) -> Response:
    """A unit's or lot's page: a summary of what it reached first, where it is, its
    status and holds, its genealogy both ways (pictures when small, trees collapsed
    below the first levels) and its latest history (all of it on asking)."""
    db = _db(request, user)
    try:
        places = db.where(ref)
        history = db.history(ref)
        backward = _shown(db, "backward", [ref], limit=0)
        forward = _shown(db, "forward", [ref], limit=0)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    everything = request.query_params.get("history") == "all"
    return page(request, user, "thing.html", ref=ref, places=places[:PAGE],
                more_places=max(0, len(places) - PAGE),
                history=history if everything else history[-RECENT:],
                history_total=len(history), backward=backward["tree"],
                forward=forward["tree"], reached=forward["reached"], levels=LEVELS,
                pictures={name: shown["picture"] for name, shown in
                          (("backward", backward), ("forward", forward))})  # fmt: skip


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
    shown, error, refs = None, None, [ref]
    if ref:
        db = _db(request, user)
        wanted = {"status": status, "customer": customer, "offset": offset, "limit": PAGE}
        try:
            shown = _shown(db, direction, refs, **wanted)
        except TracelotError as exc:
            named = [_ref(c) for c in db.find(ref)["choices"] if c["kind"] in ("lot", "unit")]
            if not named:
                error = str(exc)
            else:  # a supplier's lot, or a label: trace what it names
                refs = named if direction == "forward" else named[:1]
                shown = _shown(db, direction, refs, **wanted)
    return page(request, user, "trace.html", ref=ref, direction=direction,
                result=shown and shown["tree"], picture=shown and shown["picture"],
                error=error, reached=shown and shown["reached"],
                rows=shown["rows"] if shown else [], total=shown["matching"] if shown else 0,
                offset=offset, limit=PAGE, status_=status, customer=customer,
                levels=LEVELS)  # fmt: skip


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
