"""Finding items, locations, parties, lots and units by their codes and references."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, Row, select

from tracelot.domain.errors import NotFound, WrongKind
from tracelot.domain.refs import Ref, parse_ref
from tracelot.domain.status import Status, Tracking, status_at
from tracelot.store.tables import items, locations, lots, parties, units


def item_by_code(conn: Connection, code: str) -> Row:
    row = conn.execute(select(items).where(items.c.code == code)).first()
    if row is None:
        raise NotFound(f"unknown item {code!r}")
    return row


def location_by_code(conn: Connection, code: str, *, real: bool = True) -> Row:
    """A location by code; `real` refuses the virtual ones (SUPPLIER, CUSTOMER ...)."""
    row = conn.execute(select(locations).where(locations.c.code == code)).first()
    if row is None:
        raise NotFound(f"unknown location {code!r}")
    if real and row.virtual:
        raise WrongKind(f"location {code} is virtual: stock can not be put there directly")
    return row


def location_by_id(conn: Connection, location_id: int) -> Row:
    return conn.execute(select(locations).where(locations.c.id == location_id)).one()


def virtual_location(conn: Connection, code: str) -> Row:
    row = conn.execute(
        select(locations).where(locations.c.code == code, locations.c.virtual)
    ).first()
    if row is None:
        raise NotFound(f"virtual location {code} is missing: run `tracelot init`")
    return row


def party_by_code(conn: Connection, code: str, kind: str) -> Row:
    row = conn.execute(select(parties).where(parties.c.code == code)).first()
    if row is None:
        raise NotFound(f"unknown {kind} {code!r}")
    if row.kind != kind:
        raise WrongKind(f"{code} is a {row.kind}, not a {kind}")
    return row


def lot_by_code(conn: Connection, item: Row, code: str) -> Row:
    if item.tracking == Tracking.NONE:
        raise WrongKind(f"item {item.code} is not lot-tracked: it has no lot {code!r}")
    row = conn.execute(select(lots).where(lots.c.item_id == item.id, lots.c.code == code)).first()
    if row is None:
        raise NotFound(f"item {item.code} has no lot {code!r}")
    return row


def unit_by_serial(conn: Connection, item: Row, serial: str) -> Row:
    if item.tracking != Tracking.SERIAL:
        raise WrongKind(f"item {item.code} is not serial-tracked: it has no unit {serial!r}")
    row = conn.execute(
        select(units).where(units.c.item_id == item.id, units.c.serial == serial)
    ).first()
    if row is None:
        raise NotFound(f"unknown unit {item.code}:{serial}")
    return row


@dataclass(frozen=True)
class Target:
    """What a reference names: an item, and maybe one of its lots or units."""

    ref: Ref
    item: Row
    lot: Row | None = None
    unit: Row | None = None

    @property
    def kind(self) -> str:
        return "unit" if self.unit is not None else "lot" if self.lot is not None else "item"

    def __str__(self) -> str:
        return str(self.ref)


def resolve(conn: Connection, text: str | Ref) -> Target:
    """Resolve `ITEM:SERIAL`, `ITEM@LOT` or `ITEM` to what it names."""
    ref = text if isinstance(text, Ref) else parse_ref(text)
    item = item_by_code(conn, ref.code)
    if ref.kind == "unit":
        assert ref.key is not None
        unit = unit_by_serial(conn, item, ref.key)
        lot = conn.execute(select(lots).where(lots.c.id == unit.lot_id)).first()
        return Target(ref, item, lot, unit)
    if ref.kind == "lot":
        assert ref.key is not None
        return Target(ref, item, lot_by_code(conn, item, ref.key))
    return Target(ref, item)


def unit_state(conn: Connection, unit: Row) -> tuple[Row, Status]:
    """The location a unit is at now and its status there."""
    loc = location_by_id(conn, unit.location_id)
    return loc, status_at(loc.kind)


def is_expired(expires: dt.date | None, today: dt.date) -> bool:
    return expires is not None and expires < today


def codes_by_id(conn: Connection, table, ids: Sequence[int]) -> dict[int, str]:  # noqa: ANN001
    if not ids:
        return {}
    rows = conn.execute(select(table.c.id, table.c.code).where(table.c.id.in_(set(ids))))
    return {r.id: r.code for r in rows}


ZERO = Decimal(0)
