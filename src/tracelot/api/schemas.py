"""The API's request and response models: each entity's family (`ItemCreate`,
`ItemPublic`, a `Page` of them), each operation's request mirroring the CLI's options."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from tracelot.domain.values import qty_number

#: an exact quantity, written in JSON as a number (CONVENTIONS)
Qty = Annotated[Decimal, PlainSerializer(qty_number, return_type=int | float, when_used="json")]
T = TypeVar("T")
#: a row's id in a path
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: a unit, lot, item or location: a reference (`PCB:SN0001`, `CELL@L1`) or a scan
Ref = Annotated[str, Field(min_length=1, max_length=4000, examples=["PCB:SN0001"])]


class Page(BaseModel, Generic[T]):
    """A page of a list: `total` rows in all, these from `offset`."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Problem(BaseModel):
    """RFC 9457 problem details, with tracelot's stable error code."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str


# -- master data ------------------------------------------------------------------------------


class ItemCreate(BaseModel):
    code: str = Field(examples=["PCB"])
    name: str = Field(examples=["Main board"])
    tracking: str = Field(examples=["serial"], description="none, lot or serial")
    gtin: str | None = None
    uom: str = "EA"
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    cost: Qty | None = None
    category: str | None = Field(default=None, max_length=64)


class ItemPublic(BaseModel):
    item: str
    name: str
    tracking: str
    gtin: str | None
    uom: str
    shelf_life_days: int | None
    cost: Qty | None
    gtins: list[str]
    category: str | None = None
    supplier: str | None = None
    lead_time_days: int | None = None
    ordering_cost: Qty | None = None
    holding_rate: Qty | None = None
    min_qty: Qty | None = None
    max_qty: Qty | None = None
    pack_size: Qty | None = None
    lead_times: dict[str, int | None] = Field(default_factory=dict)


class ItemChange(BaseModel):
    """What to change of an item; a `lead_time_days` given with a `supplier` is that
    supplier's (who becomes the preferred one)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    cost: Qty | None = None
    category: str | None = Field(default=None, max_length=64)
    supplier: str | None = None
    lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    ordering_cost: Qty | None = None
    holding_rate: Qty | None = None
    min_qty: Qty | None = None
    max_qty: Qty | None = None
    pack_size: Qty | None = None


class GtinCreate(BaseModel):
    gtin: str = Field(examples=["09506000134352"])


class LocationCreate(BaseModel):
    code: str = Field(examples=["A1"])
    name: str | None = None
    parent: str | None = Field(default=None, examples=["WH"])
    kind: str = Field(default="bin", description="warehouse, zone, bin, quarantine, production")
    gln: str | None = None


class LocationPublic(BaseModel):
    location: str
    name: str
    kind: str
    parent: str | None
    location_path: str
    depth: int
    gln: str | None


class PartyContact(BaseModel):
    """Whom a recall's notice goes to: each detail optional."""

    contact_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, examples=["recalls@acme.example"])
    phone: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=1000)


class PartyCreate(PartyContact):
    code: str = Field(examples=["ACME"])
    name: str = Field(examples=["Acme Corp"])
    kind: str = Field(examples=["customer"], description="supplier or customer")


class PartyUpdate(PartyContact):
    """What to change: a field left out stays as it is; an empty text clears a detail."""

    name: str | None = Field(default=None, max_length=200)


class PartyPublic(BaseModel):
    party: str
    name: str
    kind: str
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


# -- reading stock ----------------------------------------------------------------------------


class StockRow(BaseModel):
    item: str
    item_name: str
    location: str
    location_path: str
    lot: str | None
    serial: str | None
    qty: Qty
    uom: str
    status: str
    expires: dt.date | None
    expired: bool
    held: bool


class WhereRow(BaseModel):
    model_config = ConfigDict(extra="allow")

    item: str
    item_name: str
    serial: str | None
    lot: str | None
    location: str
    location_path: str
    qty: Qty
    status: str
    held: bool
    customer: str | None = None
    customer_name: str | None = None
    expires: dt.date | None = None


class HistoryRow(BaseModel):
    model_config = ConfigDict(extra="allow")

    operation: int
    at: dt.datetime
    kind: str
    user: str
    qty: Qty | None = None
    reference: str | None = None


# -- operations -------------------------------------------------------------------------------


class OperationLine(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    item: str
    lot: str | None
    from_: str = Field(alias="from")
    to: str
    qty: Qty
    serials: list[str] | None = None


class OperationPublic(BaseModel):
    """What an operation did: its id and its lines."""

    id: int
    kind: str
    occurred_at: dt.datetime
    user: str
    reference: str | None
    party: str | None
    note: str | None
    outputs: list[str]
    lines: list[OperationLine]


class _Op(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    reference: str | None = Field(default=None, description="Your reference (order, document).")
    note: str | None = None


class ReceiveRequest(_Op):
    item: str | None = Field(default=None, examples=["PCB"], description="or give `scan`")
    to: str = Field(examples=["A1"])
    qty: Qty | None = None
    lot: str | None = None
    serials: list[str] | str | None = Field(default=None, examples=["SN0001..SN0010"])
    expires: dt.date | None = None
    made: dt.date | None = None
    supplier: str | None = None
    supplier_lot: str | None = None
    cost: Qty | None = None
    scan: str | None = Field(default=None, description="A supplier's GS1 barcode.")
    po: int | None = Field(default=None, ge=1, le=2**31 - 1, description="A purchase order.")


class MoveRequest(_Op):
    refs: list[str] = Field(examples=[["PCB:SN0001", "CELL@L1"]])
    to: str = Field(examples=["A2"])
    from_: str | None = Field(default=None, alias="from")
    qty: Qty | None = None


class ShipRequest(_Op):
    refs: list[str] = Field(examples=[["PCB:SN0001"]])
    to: str = Field(examples=["ACME"], description="The customer.")
    from_: str | None = Field(default=None, alias="from")
    qty: Qty | None = None


class ReturnToSupplierRequest(_Op):
    refs: list[str] = Field(examples=[["CELL@L1"]])
    to: str = Field(examples=["CELLCO"], description="The supplier.")
    from_: str | None = Field(default=None, alias="from")
    qty: Qty | None = None
    reason: str | None = Field(default=None, examples=["faulty lot, RMA agreed"])


class BuildRequest(_Op):
    item: str = Field(examples=["DEV"])
    to: str = Field(examples=["LINE"])
    consume: list[str] = Field(examples=[["PCB:SN0001", "CELL@L1=2"]])
    serial: str | None = None
    lot: str | None = None
    qty: Qty | None = None
    expires: dt.date | None = None


class ReturnRequest(_Op):
    ref: str = Field(examples=["DEV:D0001"])
    from_: str = Field(alias="from", examples=["ACME"], description="The customer.")
    to: str = Field(examples=["A1"])
    qty: Qty | None = None


class ScrapRequest(_Op):
    ref: str = Field(examples=["PCB:SN0002"])
    reason: str = Field(examples=["cracked"])
    from_: str | None = Field(default=None, alias="from")
    qty: Qty | None = None


class ReplaceRequest(_Op):
    assembly: str = Field(examples=["DEV:D1"], description="The built unit repaired.")
    remove: str = Field(examples=["PCB:SN0001"], description="The component unit taken out.")
    install: str = Field(examples=["PCB:SN0009"], description="The component unit put in.")
    to: str | None = Field(default=None, description="Where the removed unit goes.")
    scrap: bool = Field(default=False, description="Scrap the removed unit.")


class AdjustRequest(_Op):
    item: str = Field(examples=["SCREW"])
    at: str = Field(examples=["A1"], description="The location counted.")
    counted: Qty
    lot: str | None = None
    subtree: bool = Field(
        default=False, strict=True, description="The count is of `at` and all below it."
    )


class ScanRequest(BaseModel):
    scan: str = Field(examples=["]d2010950600013435221SN0001"])


class ScanResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    input: str
    valid: bool
    ok: bool
    kind: str | None
    item: str | None
    gtin: str | None
    lot: str | None
    serial: str | None
    expiry: dt.date | None
    qty: Qty | None
    ais: dict[str, str]
    #: each AI and its value, in the order scanned, repeats kept
    elements: list[list[str]] = []
    warnings: list[str]
    error: str | None


class VerifyPublic(BaseModel):
    ok: bool
    operations: int
    moves: int
    units: int
    balances: int
    problems: list[str]


class Health(BaseModel):
    status: str
    detail: str | None = None


# -- purchase orders -----------------------------------------------------------------------


class PoLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: str = Field(min_length=1, examples=["GLUE"])
    qty: Qty = Field(gt=0, lt=10**12)
    price: Qty | None = Field(default=None, ge=0, lt=10**12)


class PoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supplier: str = Field(min_length=1, examples=["ACME"])
    lines: list[PoLineCreate] = Field(min_length=1)
    expected: dt.date | None = None
    ordered: dt.date | None = Field(default=None, description="For an order entered late.")
    note: str | None = None
    draft: bool = False
