"""An item's packaging levels (issue 20): a box of 12, a case of 144, each with its
quantity in the item's base unit and maybe a GTIN of its own."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tracelot.api.deps import DB, allow, answer
from tracelot.api.schemas import Named, PackName, Qty

router = APIRouter(tags=["master data"])
READ, WRITE = [Depends(allow("read"))], [Depends(allow("master_data"))]


class PackCreate(BaseModel):
    """A packaging level to add: as `tracelot item pack add ITEM --name N --qty Q`."""

    model_config = ConfigDict(extra="forbid")

    name: PackName
    qty: Qty = Field(description="Base units in one pack (with `of`: packs of that kind).")
    of: PackName | None = Field(default=None, description="`qty` counts this smaller pack.")
    gtin: Named | None = Field(default=None, description="The pack's own GTIN.")


@router.get("/items/{code}/packs", dependencies=READ, summary="An item's packaging levels.")
def packs(db: DB, code: str) -> JSONResponse:
    return answer(db.packs(code))


@router.post(
    "/items/{code}/packs",
    dependencies=WRITE,
    status_code=201,
    summary="Add a packaging level to an item (its GTIN unique across items and packs).",
)
def add_pack(db: DB, code: str, body: PackCreate) -> JSONResponse:
    return answer(db.pack_add(code, **body.model_dump()), 201)


@router.delete(
    "/items/{code}/packs/{name}",
    dependencies=WRITE,
    summary="Remove a packaging level (refused while a purchase order line is in it).",
)
def remove_pack(db: DB, code: str, name: str) -> JSONResponse:
    return answer(db.pack_remove(code, name))
