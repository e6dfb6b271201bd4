"""The API's request and response models: each entity's family (`ItemCreate`,
`ItemPublic`, a `Page` of them), each operation's request mirroring the CLI's options."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Generic, Literal, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from tracelot.domain.commands import (
    HTTP_MAX_REFS,
    HTTP_MAX_SERIALS,
    NOTE_LENGTH,
    REASON_LENGTH,
    REF_LENGTH,
    REFERENCE_LENGTH,
    TEXT_LENGTH,
)
from tracelot.domain.values import NAME_LENGTH, qty_number

#: an exact quantity, written in JSON as a number (CONVENTIONS)
Qty = Annotated[Decimal, PlainSerializer(qty_number, return_type=int | float, when_used="json")]
T = TypeVar("T")
#: a row's id in a path
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: a unit, lot, item or location: a reference (`PCB:SN0001`, `CELL@L1`) or a scan
Ref = Annotated[str, Field(min_length=1, max_length=REF_LENGTH, examples=["PCB:SN0001"])]
#: the references of one request over HTTP (the command line takes more)
Refs = Annotated[list[Ref], Field(max_length=HTTP_MAX_REFS)]
# Each kind of text at most as long as its command takes (`domain.commands`): the schema
# says what the command line and the pages refuse alike.
#: a location, party, item or lot named (a code, or a scan of one)
Named = Annotated[str, Field(max_length=TEXT_LENGTH)]
#: a packaging level's name (issue 20): box, case
PackName = Annotated[str, Field(max_length=32, examples=["case"])]
PACK_HELP = "The quantity is a count of this pack of the item (one pack without a quantity)."
Note = Annotated[str, Field(max_length=NOTE_LENGTH)]
Reason = Annotated[str, Field(max_length=REASON_LENGTH)]
Reference = Annotated[str, Field(max_length=REFERENCE_LENGTH)]
#: a master-data code (`domain.values.check_code`)
Code = Annotated[str, Field(min_length=1, max_length=64)]
#: a master-data name (`domain.values.NAME_LENGTH`)
Name = Annotated[str, Field(max_length=NAME_LENGTH)]
#: serials of one request over HTTP: a list, or the CLI's list-or-range text
Serials = (
    Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=HTTP_MAX_SERIALS)]
    | Annotated[str, Field(max_length=HTTP_MAX_SERIALS * 65)]
)


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
    code: Code = Field(examples=["PCB"])
    name: Name = Field(examples=["Main board"])
    tracking: Literal["none", "lot", "serial"] = Field(examples=["serial"])
    gtin: str | None = Field(default=None, pattern=r"^\s*(\d{8}|\d{12,14})\s*$")
    uom: Code = "EA"
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
    # issue 19: inspection on receipt, the item's own and per supplier
    inspect_on_receipt: bool = False
    inspect_on_receipt_from: dict[str, bool] = Field(default_factory=dict)
    active: bool = True
    inactive_reason: str | None = None


class ItemChange(BaseModel):
    """What to change of an item; a `lead_time_days` given with a `supplier` is that
    supplier's (who becomes the preferred one)."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    cost: Qty | None = None
    category: str | None = Field(default=None, max_length=64)
    supplier: Named | None = None
    lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    ordering_cost: Qty | None = None
    holding_rate: Qty | None = None
    min_qty: Qty | None = None
    max_qty: Qty | None = None
    pack_size: Qty | None = None
    uom: Code | None = None
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    gtin: str | None = Field(default=None, pattern=r"^\s*(\d{8}|\d{12,14})?\s*$")
    tracking: Literal["none", "lot", "serial"] | None = None


class GtinCreate(BaseModel):
    gtin: str = Field(examples=["09506000134352"])


class LocationCreate(BaseModel):
    code: Code = Field(examples=["A1"])
    name: Name | None = None
    parent: Named | None = Field(default=None, examples=["WH"])
    kind: Literal["warehouse", "zone", "bin", "quarantine", "production"] = "bin"
    gln: str | None = Field(default=None, pattern=r"^\s*\d{13}\s*$")


class LocationPublic(BaseModel):
    location: str
    name: str
    kind: str
    parent: str | None
    location_path: str
    depth: int
    gln: str | None
    pick_sequence: int | None = None
    active: bool = True
    inactive_reason: str | None = None


class PartyContact(BaseModel):
    """Whom a recall's notice goes to: each detail optional."""

    contact_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, examples=["recalls@acme.example"])
    phone: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=1000)


class PartyCreate(PartyContact):
    code: Code = Field(examples=["ACME"])
    name: Name = Field(examples=["Acme Corp"])
    kind: Literal["supplier", "customer"] = Field(examples=["customer"])


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
    active: bool = True
    inactive_reason: str | None = None


# -- master data that can change, with its history (issue 19) ---------------------------


class LocationChange(BaseModel):
    """What to change of a location (never its code): `parent` "" makes it top-level,
    `gln` "" takes its GLN away."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    parent: Named | None = None
    kind: Literal["warehouse", "zone", "bin", "quarantine", "production"] | None = None
    gln: str | None = Field(default=None, pattern=r"^\s*(\d{13})?\s*$")
    pick_sequence: int | None = Field(default=None, ge=0, le=1_000_000)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["viewer", "operator", "quality", "planner", "admin"] | None = None


class Deactivation(BaseModel):
    reason: Reason = Field(min_length=1, examples=["discontinued by the supplier"])


class ChangePublic(BaseModel):
    """One field of master data changed: before and after as text (none: not set)."""

    entity: Literal["item", "location", "party", "user"]
    code: str
    field: str
    before: str | None
    after: str | None
    user: str
    at: dt.datetime
    reason: str | None = None


# -- reading stock ----------------------------------------------------------------------------


class PackCount(BaseModel):
    """A quantity seen in one of the item's packs (issue 20): whole packs, and the rest."""

    name: str
    qty: Qty
    count: Qty
    remainder: Qty


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
    packs: list[PackCount] = Field(default=[], description="The packs beside `qty` (issue 20).")
    # issue 20: what of it is reserved for sales orders, and what is available (on hand
    # less reserved, held, expired and in transit)
    reserved: Qty = Decimal(0)
    available: Qty = Decimal(0)


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
    voided_by: int | None = Field(default=None, description="The void that reversed it.")
    voids: int | None = Field(default=None, description="A void: the operation it reverses.")


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
    order: int | None = Field(default=None, description="A shipment's sales order, if any.")


class _Op(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    reference: Reference | None = Field(
        default=None, description="Your reference (order, document)."
    )
    note: Note | None = None


class ReceiveRequest(_Op):
    item: Named | None = Field(default=None, examples=["PCB"], description="or give `scan`")
    to: Named = Field(examples=["A1"])
    qty: Qty | None = None
    lot: Named | None = None
    serials: Serials | None = Field(default=None, examples=["SN0001..SN0010"])
    expires: dt.date | None = None
    made: dt.date | None = None
    supplier: Named | None = None
    supplier_lot: Named | None = None
    cost: Qty | None = None
    scan: Named | None = Field(default=None, description="A supplier's GS1 barcode.")
    po: int | None = Field(default=None, ge=1, le=2**31 - 1, description="A purchase order.")
    pack: PackName | None = Field(default=None, description=PACK_HELP)


class MoveRequest(_Op):
    refs: Refs = Field(examples=[["PCB:SN0001", "CELL@L1"]])
    to: Named = Field(examples=["A2"])
    from_: Named | None = Field(default=None, alias="from")
    qty: Qty | None = None
    pack: PackName | None = Field(default=None, description=PACK_HELP)


class ShipRequest(_Op):
    refs: Refs = Field(
        default=[],
        examples=[["PCB:SN0001"]],
        description="What to ship (with `so`, none: what was picked for it).",
    )
    to: Named | None = Field(
        default=None, examples=["ACME"], description="The customer (with `so`, the order's)."
    )
    from_: Named | None = Field(default=None, alias="from")
    qty: Qty | None = None
    pack: PackName | None = Field(default=None, description=PACK_HELP)
    so: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Ship against this sales order (issue 20)."
    )


class ReturnToSupplierRequest(_Op):
    refs: Refs = Field(examples=[["CELL@L1"]])
    to: Named = Field(examples=["CELLCO"], description="The supplier.")
    from_: Named | None = Field(default=None, alias="from")
    qty: Qty | None = None
    reason: Reason | None = Field(default=None, examples=["faulty lot, RMA agreed"])


class BuildRequest(_Op):
    item: Named = Field(examples=["DEV"])
    to: Named = Field(examples=["LINE"])
    consume: Refs = Field(examples=[["PCB:SN0001", "CELL@L1=2"]])
    serial: Named | None = None
    lot: Named | None = None
    qty: Qty | None = None
    expires: dt.date | None = None


class ReturnRequest(_Op):
    ref: Ref = Field(examples=["DEV:D0001"])
    from_: Named = Field(alias="from", examples=["ACME"], description="The customer.")
    to: Named = Field(examples=["A1"])
    qty: Qty | None = None


class ScrapRequest(_Op):
    ref: Ref = Field(examples=["PCB:SN0002"])
    reason: Reason = Field(examples=["cracked"])
    from_: Named | None = Field(default=None, alias="from")
    qty: Qty | None = None


class ReplaceRequest(_Op):
    assembly: Ref = Field(examples=["DEV:D1"], description="The built unit repaired.")
    remove: Ref = Field(examples=["PCB:SN0001"], description="The component unit taken out.")
    install: Ref = Field(examples=["PCB:SN0009"], description="The component unit put in.")
    to: Named | None = Field(default=None, description="Where the removed unit goes.")
    scrap: bool = Field(default=False, strict=True, description="Scrap the removed unit.")


class AdjustRequest(_Op):
    item: Named = Field(examples=["SCREW"])
    at: Named = Field(examples=["A1"], description="The location counted.")
    counted: Qty
    lot: Named | None = None
    subtree: bool = Field(
        default=False, strict=True, description="The count is of `at` and all below it."
    )
    pack: PackName | None = Field(default=None, description=PACK_HELP)


class ScanRequest(BaseModel):
    scan: Ref = Field(examples=["]d2010950600013435221SN0001"])


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
    item: Named = Field(min_length=1, examples=["GLUE"])
    qty: Qty = Field(gt=0, lt=10**12)
    price: Qty | None = Field(default=None, ge=0, lt=10**12)
    pack: PackName | None = Field(
        default=None, description="`qty` counts this pack of the item; `price` is of one pack."
    )


class PoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supplier: Code = Field(examples=["ACME"])
    lines: list[PoLineCreate] = Field(min_length=1)
    expected: dt.date | None = None
    ordered: dt.date | None = Field(default=None, description="For an order entered late.")
    note: Note | None = None
    draft: bool = False
