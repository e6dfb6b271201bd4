"""Finding items, locations, parties, lots and units by their codes, ids and references.

These are plain look-ups: a code is a code. What may be a scan goes through the resolver
(`services.scan`), which decides once whether an input is a code or a scan. Rows read
are remembered in the transaction's cache (`store.engine.cache`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, Select, Table, and_, bindparam, exists, or_, select
from sqlalchemy.engine import result_tuple

from tracelot.domain.errors import NotFound, WrongKind
from tracelot.domain.refs import Ref
from tracelot.domain.scan import variable_measure_base
from tracelot.domain.status import Status, Tracking, status_at
from tracelot.store.bulk import id_in, rows_in, texts_in
from tracelot.store.engine import OneRow, cache
from tracelot.store.tables import (
    holds,
    item_gtins,
    item_packs,
    items,
    locations,
    lots,
    parties,
    units,
)

# statements built once: a scan is resolved in a few hundred microseconds
_ITEM_BY_CODE = select(items).where(items.c.code == bindparam("code"))
_ITEM_BY_GTIN = (
    select(items)
    .join(item_gtins, item_gtins.c.item_id == items.c.id)
    .where(item_gtins.c.gtin == bindparam("gtin"))
)
_LOCATION_BY_CODE = select(locations).where(locations.c.code == bindparam("code"))
_ITEM_BY_ID = select(items).where(items.c.id == bindparam("id"))
_LOCATION_BY_ID = select(locations).where(locations.c.id == bindparam("id"))
_LOCATION_CODE_BY_GLN = select(locations.c.code).where(locations.c.gln == bindparam("gln"))
_PARTY_BY_CODE = select(parties).where(parties.c.code == bindparam("code"))
_LOT_BY_ID = select(lots).where(lots.c.id == bindparam("id"))
_LOT_BY_CODE = select(lots).where(
    lots.c.item_id == bindparam("item_id"), lots.c.code == bindparam("code")
)
_UNIT_BY_SERIAL = select(units).where(
    units.c.item_id == bindparam("item_id"), units.c.serial == bindparam("serial")
)


def find_item(conn: Connection, code: str) -> Row | None:
    """The item of a code, or None."""
    found = cache(conn)
    row = found.item(code)
    if row is None:
        row = conn.execute(_ITEM_BY_CODE, {"code": code}).first()
        if row is not None:
            found.add_item(row)
    return row


def item_by_code(conn: Connection, code: str) -> Row:
    """An item by its code."""
    row = find_item(conn, code)
    if row is None:
        raise NotFound(f"unknown item {code!r}")
    return row


def item_by_gtin(conn: Connection, gtin: str) -> Row:
    """The item a GTIN (14 digits) names: its own, or one added to it."""
    found = cache(conn)
    row = found.item_by_gtin(gtin)
    if row is None:
        row = conn.execute(_ITEM_BY_GTIN, {"gtin": gtin}).first()
        base = variable_measure_base(gtin)
        if row is None and base is not None:  # a variable-measure GTIN: its item's GTIN-13
            row = conn.execute(_ITEM_BY_GTIN, {"gtin": base}).first()
        if row is None:
            raise NotFound(
                f"no item has GTIN {gtin}: add it with `tracelot item gtin add ITEM {gtin}`"
            )
        found.add_item(row, gtin=gtin)
    return row


_PACK_BY_GTIN = select(item_packs).where(item_packs.c.gtin == bindparam("gtin"))


def pack_by_gtin(conn: Connection, gtin: str) -> Row | None:
    """The packaging level of an item (a case, a box) that a GTIN (14 digits) names, or
    None: a scan of it names its `qty` base units of the item (services.uom)."""
    return conn.execute(_PACK_BY_GTIN, {"gtin": gtin}).first()


def forget_items(conn: Connection) -> None:
    """Read items afresh from here on in this transaction (one was changed), by code, id
    or GTIN."""
    cache(conn).forget_items()


def item_by_id(conn: Connection, item_id: int) -> Row:
    found = cache(conn)
    row = found.item_by_id(item_id)
    if row is None:
        row = found.add_item(conn.execute(_ITEM_BY_ID, {"id": item_id}).one())
    return row


def items_ahead(conn: Connection, item_ids: Iterable[int | None]) -> None:
    """Read the items of many ids not read yet in this transaction, 500 to a statement
    (a long order's lines), into the cache `item_by_id` looks in."""
    found = cache(conn)
    ids = sorted({i for i in item_ids if i is not None and found.item_by_id(i) is None})
    for start in range(0, len(ids), 500):
        query = select(items).where(id_in(conn, items.c.id, ids[start : start + 500]))
        for row in conn.execute(query).all():
            found.add_item(row)


def codes_ahead(conn: Connection, codes: Iterable[str]) -> None:
    """`items_ahead` by code (for `find_item`): the codes that name no item are passed
    over (the resolver says why, or reads them as scans)."""
    found = cache(conn)
    wanted = sorted({c for c in codes if found.item(c) is None})
    if len(wanted) == 1:  # one item (fifty of its units packed): the statement built once
        find_item(conn, wanted[0])
        return
    for start in range(0, len(wanted), 500):
        chunk = [(code,) for code in wanted[start : start + 500]]
        query = select(items).where(rows_in(conn, (items.c.code,), chunk))
        for row in conn.execute(query).all():
            found.add_item(row)


def refs_ahead(conn: Connection, parsed: Sequence[Ref]) -> None:
    """Read the items and lots many references name (`ITEM`, `ITEM@LOT`) into the
    cache, a statement per 500, not one each. What names nothing is passed over: it is
    refused where it is resolved."""
    codes_ahead(conn, [ref.code for ref in parsed])
    found = cache(conn)
    pairs = set()
    for ref in parsed:
        item = found.item(ref.code)
        if (ref.kind == "lot" and ref.key is not None and item is not None
                and found.lot(item.id, ref.key) is None):  # fmt: skip
            pairs.add((item.id, ref.key))
    wanted = sorted(pairs)
    for start in range(0, len(wanted), 500):
        query = select(lots).where(rows_in(conn, (lots.c.item_id, lots.c.code),
                                           wanted[start : start + 500]))  # fmt: skip
        for row in conn.execute(query).all():
            found.add_lot(row)


def lots_ahead(conn: Connection, lot_ids: Iterable[int | None]) -> None:
    """`items_ahead` of lots (for `lot_by_id`)."""
    found = cache(conn)
    ids = sorted({i for i in lot_ids if i is not None and found.lot_by_id(i) is None})
    for start in range(0, len(ids), 500):
        query = select(lots).where(id_in(conn, lots.c.id, ids[start : start + 500]))
        for row in conn.execute(query).all():
            found.add_lot(row)


def location_ids_of_kind(conn: Connection, *kinds: str, virtual: bool = False) -> frozenset[int]:
    """The ids of the locations of some kinds (or, with `virtual`, of every virtual one)."""
    key = ("virtual",) if virtual else kinds
    found = cache(conn)
    ids = found.location_ids(key)
    if ids is None:
        condition = locations.c.virtual if virtual else locations.c.kind.in_(kinds)
        ids = frozenset(conn.execute(select(locations.c.id).where(condition)).scalars())
        found.add_location_ids(key, ids)
    return ids


def find_location(conn: Connection, code: str) -> Row | None:
    """The location of a code (virtual ones too), or None."""
    found = cache(conn)
    row = found.location(code)
    if row is None:
        row = conn.execute(_LOCATION_BY_CODE, {"code": code}).first()
        if row is not None:
            found.add_location(row)
    return row


def codes_in_use(conn: Connection, codes: Iterable[str]) -> frozenset[str]:
    """Those of `codes` an item or a location has (virtual ones too), in two statements a
    500: what `find_item` and `find_location` would find, asked of many at once."""
    wanted = sorted(set(codes))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for column in (items.c.code, locations.c.code):
            found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
    return frozenset(found)


def location_by_code(conn: Connection, code: str, *, real: bool = True) -> Row:
    """A location by code; `real` refuses the virtual ones (SUPPLIER, CUSTOMER ...)."""
    row = find_location(conn, code)
    if row is None:
        raise NotFound(f"unknown location {code!r}")
    return check_real(row) if real else row


def check_real(row: Row) -> Row:
    """Refuse a virtual location where stock is put or taken directly."""
    if row.virtual:
        raise WrongKind(f"location {row.code} is virtual: stock can not be put there directly")
    if row.kind == "transit":  # LocationKind.TRANSIT: only transfers send and receive there
        raise WrongKind(
            f"location {row.code} holds stock in transit: send it with `transfer` and take it "
            "out with `transfer receive`"
        )
    return row


def location_by_gln(conn: Connection, gln: str) -> Row:
    """The location of a GLN (AI 414)."""
    code = conn.execute(_LOCATION_CODE_BY_GLN, {"gln": gln}).scalar()
    if code is None:
        raise NotFound(f"no location has GLN {gln}")
    return location_by_code(conn, str(code), real=False)


def location_by_id(conn: Connection, location_id: int) -> Row:
    found = cache(conn)
    row = found.location_by_id(location_id)
    if row is None:
        row = found.add_location(conn.execute(_LOCATION_BY_ID, {"id": location_id}).one())
    return row


def virtual_location(conn: Connection, code: str) -> Row:
    row = location_by_code(conn, code, real=False)
    if not row.virtual:
        raise NotFound(f"virtual location {code} is missing: run `tracelot init`")
    return row


def party_by_code(conn: Connection, code: str, kind: str) -> Row:
    found = cache(conn)
    row = found.party(code)
    if row is None:
        row = conn.execute(_PARTY_BY_CODE, {"code": code}).first()
        if row is None:
            raise NotFound(f"unknown {kind} {code!r}")
        found.add_party(row)
    if row.kind != kind:
        raise WrongKind(f"{code} is a {row.kind}, not a {kind}")
    return row


def lot_by_code(conn: Connection, item: Row, code: str) -> Row:
    if item.tracking == Tracking.NONE:
        raise WrongKind(f"item {item.code} is not lot-tracked: it has no lot {code!r}")
    found = cache(conn)
    row = found.lot(item.id, code)
    if row is None:
        row = conn.execute(_LOT_BY_CODE, {"item_id": item.id, "code": code}).first()
        if row is None:
            raise NotFound(f"item {item.code} has no lot {code!r}")
        found.add_lot(row)
    return row


def lot_by_id(conn: Connection, lot_id: int | None) -> Row | None:
    if lot_id is None:
        return None
    found = cache(conn)
    row = found.lot_by_id(lot_id)
    if row is None:
        row = found.add_lot(conn.execute(_LOT_BY_ID, {"id": lot_id}).one())
    return row


def unit_by_serial(conn: Connection, item: Row, serial: str) -> Row:
    if item.tracking != Tracking.SERIAL:
        raise WrongKind(f"item {item.code} is not serial-tracked: it has no unit {serial!r}")
    row = conn.execute(_UNIT_BY_SERIAL, {"item_id": item.id, "serial": serial}).first()
    if row is None:
        raise NotFound(f"unknown unit {item.code}:{serial}")
    return row


class UnitRead(NamedTuple):
    """A unit as `unit_with_item` reads it: its item, itself, its lot, and whether it (or
    its whole lot) is under an open hold."""

    item: Row
    unit: Row
    lot: Row | None
    held: bool


class _Part(NamedTuple):
    """Where one table's whole row lies in a joined row, and how to make it a Row of its
    own, as `select(table)` gives it."""

    columns: slice
    row: Callable[[Sequence[Any]], Row]


def _parts(*tables: Table) -> list[_Part]:
    parts, start = [], 0
    for table in tables:
        end = start + len(table.c)
        parts.append(_Part(slice(start, end), result_tuple([c.name for c in table.c])))
        start = end
    return parts


#: a read of a unit returns the whole rows of these tables, in this order (each column
#: labelled `table_column`), then the open-hold flag
_UNIT_TABLES = (items, units, lots, locations)
_ITEM, _UNIT, _LOT, _LOCATION = _parts(*_UNIT_TABLES)
_HELD = _LOCATION.columns.stop


def _unit_held() -> Any:
    """Whether an open hold is on a unit (`units` in the statement) or on its whole lot."""
    open_hold = holds.c.released_op_id.is_(None)
    return or_(
        exists().where(holds.c.unit_id == units.c.id, open_hold),
        exists().where(holds.c.lot_id == units.c.lot_id, holds.c.unit_id.is_(None), open_hold),
    )


def _unit_statement(by_gtin: bool) -> Select:
    """A unit by its item's code (or one of its GTINs) and its serial, in one statement:
    the item (a row even without the unit, to say why), the unit, its lot, its location
    and whether an open hold is on the unit or on its whole lot."""
    held = _unit_held()
    columns = [c.label(f"{t.name}_{c.name}") for t in _UNIT_TABLES for c in t.c]
    query = select(*columns, held.label("held"))
    if by_gtin:
        query = query.select_from(item_gtins).join(items, items.c.id == item_gtins.c.item_id)
        named = item_gtins.c.gtin == bindparam("gtin")
    else:
        query, named = query.select_from(items), items.c.code == bindparam("code")
    return (
        query.outerjoin(
            units, and_(units.c.item_id == items.c.id, units.c.serial == bindparam("serial"))
        )
        .outerjoin(lots, lots.c.id == units.c.lot_id)
        .outerjoin(locations, locations.c.id == units.c.location_id)
        .where(named)
    )


_UNIT_BY_CODE, _UNIT_BY_GTIN = OneRow(_unit_statement(False)), OneRow(_unit_statement(True))
#: serials read at once ahead of a batch of scans
_AHEAD = 100
_AHEAD_TABLES = (units, lots)
_AHEAD_UNIT, _AHEAD_LOT = _parts(*_AHEAD_TABLES)


def _units_ahead_statement() -> Select:
    """Up to `_AHEAD` units of one item by serial (s0, s1 ...; a shorter list is padded
    with NULL, which names nothing): each with its lot and its open-hold flag."""
    held = _unit_held()
    columns = [c.label(f"{t.name}_{c.name}") for t in _AHEAD_TABLES for c in t.c]
    serials = [bindparam(f"s{i}") for i in range(_AHEAD)]
    return (
        select(*columns, held.label("held"))
        .select_from(units)
        .outerjoin(lots, lots.c.id == units.c.lot_id)
        .where(units.c.item_id == bindparam("item_id"), units.c.serial.in_(serials))
    )


_UNITS_AHEAD = OneRow(_units_ahead_statement())


def read_units_ahead(conn: Connection, wanted: Sequence[tuple[str, str, str]]) -> None:
    """Read the units a batch of scans names, by ("gtin" or "code", its value, serial),
    in one statement per item and 100 serials (the item and the locations come from the
    transaction's cache), for `unit_with_item` to find there (`forget_units_read` ends
    that). What is not found is not kept: `unit_with_item` reads it again, says why."""
    found = cache(conn)
    by_item: dict[tuple[str, str], set[str]] = {}
    for by, value, serial in wanted:
        if (by, value, serial) not in found.units_read:
            by_item.setdefault((by, value), set()).add(serial)
    for (by, value), serials in by_item.items():
        if by == "gtin" and variable_measure_base(value) is not None:
            continue  # unit_with_item takes only the GTIN itself
        try:
            item = item_by_gtin(conn, value) if by == "gtin" else item_by_code(conn, value)
        except NotFound:
            continue
        if item.tracking != Tracking.SERIAL:
            continue
        listed = sorted(serials)
        for start in range(0, len(listed), _AHEAD):
            chunk = listed[start : start + _AHEAD]
            params = {f"s{i}": chunk[i] if i < len(chunk) else None for i in range(_AHEAD)}
            for row in _UNITS_AHEAD.all(conn, params | {"item_id": item.id}):
                unit = _AHEAD_UNIT.row(row[_AHEAD_UNIT.columns])
                lot = (
                    None
                    if unit.lot_id is None
                    else found.add_lot(_AHEAD_LOT.row(row[_AHEAD_LOT.columns]))
                )
                location_by_id(conn, unit.location_id)  # where the scan says it is
                found.units_read[(by, value, unit.serial)] = UnitRead(
                    item, unit, lot, bool(row[-1])
                )


def forget_units_read(conn: Connection) -> None:
    """Units read ahead are not kept past their batch (what follows may change them)."""
    cache(conn).units_read.clear()


def unit_with_item(
    conn: Connection, serial: str, *, code: str | None = None, gtin: str | None = None
) -> UnitRead:
    """A unit by its item's code or one of the item's GTINs, and its serial: the item,
    the unit, its lot, its location and its holds in one statement (a scan's hot path).
    What it read goes to the transaction's cache (the unit's location too, so that where
    the unit is needs no other read). Refused as `item_by_code` or `item_by_gtin`, then
    `unit_by_serial`, refuse."""
    ahead = cache(conn).units_read.get(("gtin", gtin, serial) if gtin else ("code", code, serial))
    if ahead is not None:
        return ahead  # type: ignore[no-any-return]
    if gtin is not None:
        row = _UNIT_BY_GTIN.first(conn, {"gtin": gtin, "serial": serial})
        if row is None:
            raise NotFound(
                f"no item has GTIN {gtin}: add it with `tracelot item gtin add ITEM {gtin}`"
            )
    else:
        row = _UNIT_BY_CODE.first(conn, {"code": code, "serial": serial})
        if row is None:
            raise NotFound(f"unknown item {code!r}")
    found = cache(conn)
    item = found.add_item(_ITEM.row(row[_ITEM.columns]), gtin=gtin)
    if item.tracking != Tracking.SERIAL:
        raise WrongKind(f"item {item.code} is not serial-tracked: it has no unit {serial!r}")
    unit = _UNIT.row(row[_UNIT.columns])
    if unit.id is None:
        raise NotFound(f"unknown unit {item.code}:{serial}")
    lot = None if unit.lot_id is None else found.add_lot(_LOT.row(row[_LOT.columns]))
    found.add_location(_LOCATION.row(row[_LOCATION.columns]))
    return UnitRead(item, unit, lot, bool(row[_HELD]))


@dataclass(frozen=True)
class Target:
    """What a reference names: an item, and maybe one of its lots or units."""

    ref: Ref
    item: Row
    lot: Row | None = None
    unit: Row | None = None
    qty: Decimal | None = None  # what a scan of a pack's GTIN names, in base units

    @property
    def kind(self) -> str:
        return "unit" if self.unit is not None else "lot" if self.lot is not None else "item"

    def __str__(self) -> str:
        return str(self.ref)


def target_of(conn: Connection, ref: Ref) -> Target:
    """What a parsed `ITEM:SERIAL`, `ITEM@LOT` or `ITEM` names (a REF typed or scanned
    goes through `services.resolver.target_named`)."""
    if ref.kind == "unit":
        assert ref.key is not None
        found = unit_with_item(conn, ref.key, code=ref.code)
        return Target(ref, found.item, found.lot, found.unit)
    item = item_by_code(conn, ref.code)
    if ref.kind == "lot":
        assert ref.key is not None
        return Target(ref, item, lot_by_code(conn, item, ref.key))
    return Target(ref, item)


def targets_of(conn: Connection, parsed: Sequence[Ref]) -> list[Target]:
    """Many references at once: their items and lots, and the units of each item, in
    one query per 500 or 5,000, not one each."""
    if len(parsed) > 1:
        refs_ahead(conn, parsed)
    wanted: dict[str, list[str]] = {}
    for ref in parsed:
        if ref.kind == "unit" and ref.key is not None:
            wanted.setdefault(ref.code, []).append(ref.key)
    found: dict[tuple[str, str], Row] = {}
    for code, serials in wanted.items():
        if len(serials) < 2:  # one unit: read with its item in `target_of`'s one query
            continue
        item = item_by_code(conn, code)
        if item.tracking != Tracking.SERIAL:
            continue
        unique = list(dict.fromkeys(serials))
        for start in range(0, len(unique), 5000):
            chunk = unique[start : start + 5000]
            rows = conn.execute(  # the serials as one parameter, not 5,000
                select(units).where(
                    units.c.item_id == item.id, texts_in(conn, units.c.serial, chunk)
                )  # fmt: skip
            )
            found.update({(code, u.serial): u for u in rows})
    targets = []
    for ref in parsed:
        unit = found.get((ref.code, ref.key or ""))
        if unit is None:
            targets.append(target_of(conn, ref))  # one at a time, with its refusal if any
        else:
            targets.append(
                Target(ref, item_by_code(conn, ref.code), lot_by_id(conn, unit.lot_id), unit)
            )
    return targets


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
