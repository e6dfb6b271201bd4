"""Statuses of units and lot balances, derived from the kind of location they are at."""

from __future__ import annotations

from enum import StrEnum


class Tracking(StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    ZONE = "zone"
    BIN = "bin"
    QUARANTINE = "quarantine"
    PRODUCTION = "production"  # line-side stock staged for building (wip)
    # stock sent by a transfer and not yet received: ours, counted, at no site (made by
    # the first transfer, never by hand)
    TRANSIT = "transit"
    # virtual locations: the outside world of the double-entry ledger
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ASSEMBLY = "assembly"  # consumed into an assembly by a build
    SCRAP = "scrap"
    ADJUSTMENT = "adjustment"


USER_LOCATION_KINDS = (
    LocationKind.WAREHOUSE,
    LocationKind.ZONE,
    LocationKind.BIN,
    LocationKind.QUARANTINE,
    LocationKind.PRODUCTION,
)

#: The virtual locations every database has, by code.
VIRTUAL_LOCATIONS = {
    "SUPPLIER": LocationKind.SUPPLIER,
    "CUSTOMER": LocationKind.CUSTOMER,
    "PRODUCTION": LocationKind.ASSEMBLY,
    "SCRAP": LocationKind.SCRAP,
    "ADJUSTMENT": LocationKind.ADJUSTMENT,
}


class Status(StrEnum):
    IN_STOCK = "in_stock"
    WIP = "wip"
    CONSUMED = "consumed"
    SHIPPED = "shipped"
    SCRAPPED = "scrapped"
    SUPPLIER = "returned_to_supplier"  # sent back to the supplier, who is named
    ADJUSTED = "adjusted_out"
    IN_TRANSIT = "in_transit"  # on a transfer: its `from` and `to` named


_STATUS_BY_KIND = {
    LocationKind.PRODUCTION: Status.WIP,
    LocationKind.ASSEMBLY: Status.CONSUMED,
    LocationKind.CUSTOMER: Status.SHIPPED,
    LocationKind.SCRAP: Status.SCRAPPED,
    LocationKind.SUPPLIER: Status.SUPPLIER,
    LocationKind.ADJUSTMENT: Status.ADJUSTED,
    LocationKind.TRANSIT: Status.IN_TRANSIT,
}


def status_at(kind: str) -> Status:
    """The status of stock at a location of this kind."""
    return _STATUS_BY_KIND.get(kind, Status.IN_STOCK)  # type: ignore[call-overload]


ON_HAND = frozenset({Status.IN_STOCK, Status.WIP})


#: What became of a recall's affected unit or lot.
DISPOSITIONS = (
    "located", "returned", "returned-to-supplier", "reworked", "scrapped", "cleared",
)  # fmt: skip


class OperationKind(StrEnum):
    RECEIVE = "receive"
    MOVE = "move"
    BUILD = "build"
    SHIP = "ship"
    RETURN_TO_SUPPLIER = "supplier_return"  # operations.kind holds 16 characters
    RETURN = "return"
    SCRAP = "scrap"
    ADJUST = "adjust"
    REPLACE = "replace"
    HOLD = "hold"
    RELEASE = "release"
    RECALL = "recall"
    VOID = "void"  # reverses another operation exactly (see services/voids.py)
    COUNT = "count"  # a stock count posted: its variances booked
    TRANSFER = "transfer"  # sent: source -> in transit
    TRANSFER_RECEIVE = "transfer_receive"  # received: in transit -> destination (16 chars)
    INSPECT = "inspect"  # an incoming inspection passed (holds released, put away)
    PACK = "pack"  # put into a logistic unit (services/packing.py)
    UNPACK = "unpack"  # taken out of one


#: The reason of the hold on what is received of an item needing inspection.
AWAITING_INSPECTION = "awaiting inspection"
