"""Master data: items (with their GTINs), locations (a tree) and parties."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends

from tracelot.api.deps import DB, allow
from tracelot.api.listing import Limit, Offset, Search, page, sort_by
from tracelot.api.schemas import (
    GtinCreate,
    ItemChange,
    ItemCreate,
    ItemPublic,
    LocationCreate,
    LocationPublic,
    Page,
    PartyCreate,
    PartyPublic,
    PartyUpdate,
)

router = APIRouter(tags=["master data"])
READ, WRITE = [Depends(allow("read"))], [Depends(allow("master_data"))]
ItemSort = sort_by(
    "item", "name", "tracking", "gtin", "uom", "shelf_life_days", "cost", "gtins", "category",
    "supplier", "lead_time_days", "ordering_cost", "holding_rate", "min_qty", "max_qty",
    "pack_size",
)  # fmt: skip
LocationSort = sort_by("location", "name", "kind", "parent", "location_path", "depth", "gln")
PartySort = sort_by("party", "name", "kind", "contact_name", "email", "phone", "address")


@router.get("/items", dependencies=READ, summary="List items, by code.")
def list_items(
    db: DB, limit: Limit = 100, offset: Offset = 0, sort: ItemSort = None, q: Search = None
) -> Page[ItemPublic]:
    rows = page(db.items(), limit, offset, sort=sort, q=q, searched=("item", "name", "gtin"))
    return Page[ItemPublic].model_validate(rows)


@router.get("/items/{code}", dependencies=READ, summary="One item, with its GTINs.")
def get_item(db: DB, code: str) -> ItemPublic:
    return ItemPublic.model_validate(db.item(code))


@router.post("/items", dependencies=WRITE, status_code=201, summary="Add an item.")
def add_item(db: DB, body: ItemCreate) -> ItemPublic:
    return ItemPublic.model_validate(db.add_item(**body.model_dump()))


@router.patch(
    "/items/{code}",
    dependencies=WRITE,
    summary="Change an item's name, cost, category and planning attributes.",
)
def change_item(db: DB, code: str, body: ItemChange) -> ItemPublic:
    return ItemPublic.model_validate(db.set_item(code, **body.model_dump(exclude_none=True)))


@router.post(
    "/items/{code}/gtins",
    dependencies=WRITE,
    status_code=201,
    summary="Let another GTIN (a supplier's) name the item.",
)
def add_gtin(db: DB, code: str, body: GtinCreate) -> ItemPublic:
    return ItemPublic.model_validate(db.add_gtin(code, body.gtin))


@router.get("/locations", dependencies=READ, summary="The location tree, in tree order.")
def list_locations(
    db: DB,
    limit: Limit = 1000,
    offset: Offset = 0,
    sort: LocationSort = None,
    q: Search = None,
    virtual: bool = False,
) -> Page[LocationPublic]:
    rows = db.locations(include_virtual=virtual)
    searched = ("location", "name", "location_path")
    return Page[LocationPublic].model_validate(
        page(rows, limit, offset, sort=sort, q=q, searched=searched)
    )


@router.post("/locations", dependencies=WRITE, status_code=201, summary="Add a location.")
def add_location(db: DB, body: LocationCreate) -> LocationPublic:
    return LocationPublic.model_validate(db.add_location(**body.model_dump()))


@router.get("/parties", dependencies=READ, summary="Suppliers and customers.")
def list_parties(
    db: DB,
    kind: Literal["supplier", "customer"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    sort: PartySort = None,
    q: Search = None,
) -> Page[PartyPublic]:
    rows = page(db.parties(kind), limit, offset, sort=sort, q=q, searched=("party", "name"))
    return Page[PartyPublic].model_validate(rows)


@router.post("/parties", dependencies=WRITE, status_code=201, summary="Add a party.")
def add_party(db: DB, body: PartyCreate) -> PartyPublic:
    return PartyPublic.model_validate(db.add_party(**body.model_dump()))


@router.patch(
    "/parties/{code}",
    dependencies=WRITE,
    summary="Change a party's name or contact details (an empty text clears one).",
)
def change_party(db: DB, code: str, body: PartyUpdate) -> PartyPublic:
    return PartyPublic.model_validate(db.set_party(code, **body.model_dump(exclude_none=True)))
