"""Finding items, locations, parties, lots and units by their codes and references."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Connection, Row, bindparam, select

from tracelot.domain.errors import NotFound, WrongKind
from tracelot.domain.refs import Ref, parse_ref
from tracelot.domain.scan import SCAN_ONLY_PREFIXES, Scan, looks_like_scan, parse_scan
from tracelot.domain.status import Status, Tracking, status_at
from tracelot.store.engine import LASTING, MEMO, kept
from tracelot.store.tables import item_gtins, items, locations, lots, parties, units

T = TypeVar("T")


def memo(conn: Connection, key: Hashable, fetch: Callable[[], T], *, lasting: bool = False) -> T:
    """A master-data row read once per transaction (`store.engine.transaction` empties
    the memo when a transaction starts): an operation on a thousand units of one item
    reads the item once. What is not found is not remembered.

    `lasting` rows never change once written (locations): what a committed transaction
    read of them is kept for the engine's later ones (`store.engine.kept`), so a request
    does not read its bins again."""
    found = conn.info.setdefault(MEMO, {})
    row = found.get(key)
    if row is None and lasting:
        row = kept(conn.engine).get(key)
        if row is not None:
            found[key] = row
    if row is None:
        row = found[key] = fetch()
        if lasting and row is not None:
            conn.info.setdefault(LASTING, {})[key] = row
    return row


def _also(conn: Connection, row: Row, *keys: Hashable, lasting: bool = False) -> None:
    """Remember a row read one way under the other keys that name it too (an item found
    by its GTIN is the item of that code and id)."""
    found = conn.info.setdefault(MEMO, {})
    for key in keys:
        found[key] = row
    if lasting:
        more = conn.info.setdefault(LASTING, {})
        for key in keys:
            more[key] = row


# statements built once: a scan is resolved in a few hundred microseconds
_ITEM_BY_CODE = select(items).where(items.c.code == bindparam("code"))
_ITEM_BY_GTIN = (
    select(items)
    .join(item_gtins, item_gtins.c.item_id == items.c.id)
    .where(item_gtins.c.gtin == bindparam("gtin"))
)
_LOCATION_BY_CODE = select(locations).where(locations.c.code == bindparam("code"))
_ITEM_BY_ID = select(items).where(items.c.id == bindparam("id"))
_ITEM_ID_BY_CODE = select(items.c.id).where(items.c.code == bindparam("code"))
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


def item_by_code(conn: Connection, code: str) -> Row:
    """An item by its code, or by a scan that names it (a GTIN, a label)."""
    row = memo(conn, ("item", code), lambda: conn.execute(_ITEM_BY_CODE, {"code": code}).first())
    if row is None:
        if looks_like_scan(code) and (named := scanned_ref(conn, code).code) != code:
            return item_by_code(conn, named)
        raise NotFound(f"unknown item {code!r}")
    _also(conn, row, ("item#", row.id))
    return row


def item_by_gtin(conn: Connection, gtin: str) -> Row:
    """The item a GTIN (14 digits) names: its own, or one added to it."""
    row = memo(conn, ("gtin", gtin), lambda: conn.execute(_ITEM_BY_GTIN, {"gtin": gtin}).first())
    if row is None:
        raise NotFound(f"no item has GTIN {gtin}: add it with `tracelot item gtin add ITEM {gtin}`")
    _also(conn, row, ("item", row.code), ("item#", row.id))
    return row


def forget_items(conn: Connection) -> None:
    """Read items afresh from here on in this transaction (one was changed), by code, id
    or GTIN."""
    found = conn.info.get(MEMO, {})
    for key in [k for k in found if isinstance(k, tuple) and k[0] in ("item", "item#", "gtin")]:
        found.pop(key)


def scanned_ref(conn: Connection, text: str) -> Ref:
    """The tracelot reference a scan of a unit, a lot or an item stands for."""
    return ref_of_scan(conn, parse_scan(text))


def ref_of_scan(conn: Connection, scan: Scan) -> Ref:
    if scan.ref is not None:
        if scan.ref_kind == "location":
            raise WrongKind(f"{scan.input!r} names location {scan.ref}, not an item, lot or unit")
        return parse_ref(scan.ref)
    if scan.gtin is None:
        named = "an SSCC" if scan.sscc else "a GLN" if scan.gln else "no GTIN"
        raise WrongKind(f"{scan.input!r} holds {named}: scan an item, a lot or a unit")
    item = item_by_gtin(conn, scan.gtin)
    if scan.serial is not None:
        return Ref("unit", item.code, scan.serial)
    if scan.lot is not None:
        return Ref("lot", item.code, scan.lot)
    return Ref("code", item.code)


def item_by_id(conn: Connection, item_id: int) -> Row:
    row = memo(conn, ("item#", item_id), lambda: conn.execute(_ITEM_BY_ID, {"id": item_id}).one())
    _also(conn, row, ("item", row.code))
    return row


def location_ids_of_kind(conn: Connection, *kinds: str, virtual: bool = False) -> frozenset[int]:
    """The ids of the locations of some kinds (or, with `virtual`, of every virtual one)."""

    def fetch() -> frozenset[int]:
        condition = locations.c.virtual if virtual else locations.c.kind.in_(kinds)
        return frozenset(conn.execute(select(locations.c.id).where(condition)).scalars())

    # only the virtual locations (made by `init`) are asked for by kind: the set never changes
    return memo(conn, ("locations of", virtual, kinds), fetch, lasting=True)


def location_by_code(conn: Connection, code: str, *, real: bool = True) -> Row:
    """A location by code; `real` refuses the virtual ones (SUPPLIER, CUSTOMER ...)."""
    row = memo(
        conn,
        ("location", code),
        lambda: conn.execute(_LOCATION_BY_CODE, {"code": code}).first(),
        lasting=True,
    )
    if row is None:
        if looks_like_scan(code) and (named := scanned_location(conn, code)) != code:
            return location_by_code(conn, named, real=real)
        raise NotFound(f"unknown location {code!r}")
    _also(conn, row, ("location#", row.id), lasting=True)
    if real and row.virtual:
        raise WrongKind(f"location {code} is virtual: stock can not be put there directly")
    return row


def scanned_location(conn: Connection, text: str) -> str:
    """The code of the location a scan names: a tracelot label, or a GLN (AI 414)."""
    scan = parse_scan(text)
    if scan.ref_kind == "location" and scan.ref:
        return scan.ref
    if scan.gln is not None:
        code = conn.execute(_LOCATION_CODE_BY_GLN, {"gln": scan.gln}).scalar()
        if code is None:
            raise NotFound(f"no location has GLN {scan.gln}")
        return str(code)
    raise WrongKind(f"{text!r} does not name a location")


def location_by_id(conn: Connection, location_id: int) -> Row:
    row = memo(
        conn,
        ("location#", location_id),
        lambda: conn.execute(_LOCATION_BY_ID, {"id": location_id}).one(),
        lasting=True,
    )
    _also(conn, row, ("location", row.code), lasting=True)
    return row


def virtual_location(conn: Connection, code: str) -> Row:
    row = location_by_code(conn, code, real=False)
    if not row.virtual:
        raise NotFound(f"virtual location {code} is missing: run `tracelot init`")
    return row


def party_by_code(conn: Connection, code: str, kind: str) -> Row:
    row = memo(
        conn,
        ("party", code),
        lambda: conn.execute(_PARTY_BY_CODE, {"code": code}).first(),
    )
    if row is None:
        raise NotFound(f"unknown {kind} {code!r}")
    if row.kind != kind:
        raise WrongKind(f"{code} is a {row.kind}, not a {kind}")
    return row


def lot_by_code(conn: Connection, item: Row, code: str) -> Row:
    if item.tracking == Tracking.NONE:
        raise WrongKind(f"item {item.code} is not lot-tracked: it has no lot {code!r}")
    row = conn.execute(_LOT_BY_CODE, {"item_id": item.id, "code": code}).first()
    if row is None:
        raise NotFound(f"item {item.code} has no lot {code!r}")
    return row


def lot_by_id(conn: Connection, lot_id: int | None) -> Row | None:
    if lot_id is None:
        return None
    return memo(conn, ("lot#", lot_id), lambda: conn.execute(_LOT_BY_ID, {"id": lot_id}).one())


def unit_by_serial(conn: Connection, item: Row, serial: str) -> Row:
    if item.tracking != Tracking.SERIAL:
        raise WrongKind(f"item {item.code} is not serial-tracked: it has no unit {serial!r}")
    row = conn.execute(_UNIT_BY_SERIAL, {"item_id": item.id, "serial": serial}).first()
    if row is None:
        raise NotFound(f"unknown unit {item.code}:{serial}")
    return row


def as_ref(conn: Connection, text: str) -> Ref:
    """A reference typed or scanned: a scan stands for the reference of what it names.
    What reads both ways (an item code of digits) is the item code when that item exists."""
    if not looks_like_scan(text):
        return parse_ref(text)
    if not text.startswith(SCAN_ONLY_PREFIXES):
        ref = parse_ref(text)
        if _item_exists(conn, ref.code):
            return ref
    return scanned_ref(conn, text)


def _item_exists(conn: Connection, code: str) -> bool:
    return conn.execute(_ITEM_ID_BY_CODE, {"code": code}).first() is not None


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
    """Resolve `ITEM:SERIAL`, `ITEM@LOT` or `ITEM`, or a scan of one, to what it names."""
    ref = text if isinstance(text, Ref) else as_ref(conn, text)
    item = item_by_code(conn, ref.code)
    if ref.kind == "unit":
        assert ref.key is not None
        unit = unit_by_serial(conn, item, ref.key)
        return Target(ref, item, lot_by_id(conn, unit.lot_id), unit)
    if ref.kind == "lot":
        assert ref.key is not None
        return Target(ref, item, lot_by_code(conn, item, ref.key))
    return Target(ref, item)


def resolve_many(conn: Connection, texts: Sequence[str | Ref]) -> list[Target]:
    """Resolve many references at once: the units of each item in one query, not one each."""
    parsed = [t if isinstance(t, Ref) else as_ref(conn, t) for t in texts]
    wanted: dict[str, list[str]] = {}
    for ref in parsed:
        if ref.kind == "unit" and ref.key is not None:
            wanted.setdefault(ref.code, []).append(ref.key)
    found: dict[tuple[str, str], Row] = {}
    for code, serials in wanted.items():
        item = item_by_code(conn, code)
        if item.tracking != Tracking.SERIAL or len(serials) < 2:
            continue
        unique = list(dict.fromkeys(serials))
        for start in range(0, len(unique), 5000):
            chunk = unique[start : start + 5000]
            query = select(units).where(units.c.item_id == item.id, units.c.serial.in_(chunk))
            found.update({(code, u.serial): u for u in conn.execute(query)})
    targets = []
    for ref in parsed:
        unit = found.get((ref.code, ref.key or ""))
        if unit is None:
            targets.append(resolve(conn, ref))  # one at a time, with its refusal if any
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
