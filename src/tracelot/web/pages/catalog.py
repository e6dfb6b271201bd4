"""Master data: items, the location tree, parties."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Reader, page
from tracelot.web.pages.stock import stock

router = APIRouter(include_in_schema=False)


@router.get("/items", response_class=HTMLResponse)
def items(
    request: Request,
    user: Reader,
    q: Annotated[str, Query(max_length=100)] = "",
    sort: Annotated[str, Query(pattern="^(code|name|tracking|category)$")] = "code",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    db = _db(request, user)
    rows = db.items()
    if q:
        needle = q.lower()
        # a GTIN, a GS1 scan or any label of the item finds it too (issue 21)
        hits = {c["item"] for c in db.find(q)["choices"] if c["kind"] in ("item", "unit", "lot")}
        rows = [r for r in rows if needle in r["item"].lower() or needle in r["name"].lower()
                or needle in (r.get("gtin") or "") or r["item"] in hits]  # fmt: skip
    rows.sort(key=lambda r: str(r.get("item" if sort == "code" else sort) or ""))
    return page(request, user, "items.html", rows=rows[offset : offset + limit], total=len(rows),
                q=q, sort=sort, offset=offset, limit=limit)  # fmt: skip


@router.get("/items/{code}", response_class=HTMLResponse)
def item(request: Request, user: Reader, code: str) -> Response:
    db = _db(request, user)
    try:
        found = db.item(code)
        stock = db.stock(item=code)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    changes = db.changes(item=found["item"])
    packs = db.packs(found["item"])  # issue 20: its packs, and the form to add one
    return page(request, user, "item.html", item=found, stock=stock, changes=changes,
                may_edit=may(user.role, "master_data"), packs=packs,
                label_refs=_label_refs(db, found))  # fmt: skip


MAX_LABELS = 200  # the item page's "print labels of its stock" names at most these


def _label_refs(db: Any, found: dict[str, Any]) -> list[str]:
    """The units or lots of an item on hand, to print their labels from its page."""
    code = found["item"]
    if found["tracking"] == "serial":
        units = db.stock(item=code, serials=True)
        return [f"{code}:{u['serial']}" for u in units if u.get("serial")][:MAX_LABELS]
    lots = sorted({r["lot"] for r in db.stock(item=code) if r.get("lot")})
    return [f"{code}@{lot}" for lot in lots][:MAX_LABELS]


@router.get("/locations", response_class=HTMLResponse)
def locations(
    request: Request, user: Reader, q: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    """The location tree (a search keeps the matches and the branches above them)."""
    rows = sorted(_db(request, user).locations(), key=lambda r: r["location_path"])
    if q:
        needle = q.lower()
        hits = [
            r["location_path"] for r in rows if needle in (r["location"] + " " + r["name"]).lower()
        ]
        rows = [r for r in rows if any(_within(hit, r["location_path"]) for hit in hits)]
    return page(request, user, "locations.html", rows=rows, q=q,
                may_edit=may(user.role, "master_data"))  # fmt: skip


def _within(path: str, branch: str) -> bool:
    return path == branch or path.startswith(branch + "/")


@router.get("/locations/{code}", response_class=HTMLResponse)
def location(request: Request, user: Reader, code: Annotated[str, FastPath(max_length=64)]):  # noqa: ANN201
    """What is at a location: its stock, by item and lot."""
    return stock(request, user, location=code)


@router.get("/parties", response_class=HTMLResponse)
def parties(
    request: Request,
    user: Reader,
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[str, Query(pattern="^(|supplier|customer)$")] = "",
) -> Response:
    rows = _db(request, user).parties(kind=kind or None)
    if q:
        rows = [r for r in rows if q.lower() in (r["party"] + " " + r["name"]).lower()]
    return page(request, user, "parties.html", rows=rows, q=q, kind=kind,
                may_edit=may(user.role, "master_data"))  # fmt: skip
