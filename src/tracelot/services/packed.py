"""What is packed, kept true: the ledger runs `guard` on every posting, `verify` runs
`problems` (see services/packing.py for packing itself)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, delete, func, select

from tracelot.domain.errors import InsufficientStock, NotAvailable
from tracelot.domain.values import normalize
from tracelot.services.lookup import location_by_id, location_ids_of_kind
from tracelot.store.bulk import id_in, ids_in, ids_value, insert_rows
from tracelot.store.tables import items, logistic_units, lots, lu_contents, lu_lines, stock, units


def unpacked_qty(conn: Connection, item_id: int, lot_id: int | None, location_id: int,
                 *, lock: bool = False) -> Decimal:  # fmt: skip
    """What of an item or lot at a location is not packed in a case there; `lock` holds
    the balance's row (PostgreSQL), so that a move of it at the same moment waits."""
    query = select(stock.c.qty).where(
        stock.c.item_id == item_id, stock.c.location_id == location_id,
        func.coalesce(stock.c.lot_id, 0) == (lot_id or 0))  # fmt: skip
    on_hand = conn.execute(query.with_for_update() if lock else query).scalar()
    return Decimal(on_hand or 0) - packed_lot(conn, item_id, lot_id, location_id)


def packed_lot(conn: Connection, item_id: int, lot_id: int | None, location_id: int) -> Decimal:
    packed = conn.execute(
        select(func.coalesce(func.sum(lu_contents.c.qty), 0))
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .where(lu_contents.c.item_id == item_id, lu_contents.c.unit_id.is_(None),
               func.coalesce(lu_contents.c.lot_id, 0) == (lot_id or 0),
               logistic_units.c.location_id == location_id)
    ).scalar_one()  # fmt: skip
    return Decimal(packed)


def packed_by_balance(conn: Connection, item_id: int) -> dict[tuple[int, int | None], Decimal]:
    """(location, lot) -> what of an item's balance there is packed in cases (lots and
    untracked quantities; units are packed one by one): none, while nothing is packed."""
    if conn.execute(select(lu_contents.c.id).limit(1)).first() is None:
        return {}
    rows = conn.execute(
        select(logistic_units.c.location_id, lu_contents.c.lot_id, func.sum(lu_contents.c.qty))
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .where(lu_contents.c.item_id == item_id, lu_contents.c.unit_id.is_(None))
        .group_by(logistic_units.c.location_id, lu_contents.c.lot_id)
    )  # fmt: skip
    return {(location_id, lot_id): Decimal(qty) for location_id, lot_id, qty in rows}


def write_lines(
    conn: Connection, op_id: int, lu_id: int, added: bool, lines: Sequence[dict[str, Any]]
) -> None:
    """Append lines of packing (`added`) or unpacking to the ledger of packing."""
    insert_rows(conn, "lu_lines", _LINE_COLUMNS, (
        (op_id, ln.get("lu_id", lu_id), added, ln["item_id"], ln["lot_id"], ln["unit_id"],
         ln["child_lu_id"], ln["qty"])
        for ln in lines
    ))  # fmt: skip


_LINE_COLUMNS = ("operation_id", "lu_id", "added", "item_id", "lot_id", "unit_id",
                 "child_lu_id", "qty")  # fmt: skip


ANY_PACKED = select(lu_contents.c.id).limit(1)  # built once: every posting asks


@functools.cache
def _left_their_case(dialect: str) -> Any:
    """Built once per database kind: every posting of units asks it."""
    return (
        select(lu_contents, logistic_units.c.sscc, logistic_units.c.location_id)
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .join(units, units.c.id == lu_contents.c.unit_id)
        .where(ids_in(dialect, lu_contents.c.unit_id),
               units.c.location_id != logistic_units.c.location_id)
        .order_by(lu_contents.c.id)
    )  # fmt: skip


def guard(conn: Connection, op_id: int, lines: Sequence[Any]) -> None:
    """Run by the ledger on every posting, after its lines are applied: a packed unit or lot
    quantity goes only with its case. A unit that leaves a case at a virtual location (one
    shipped, coming back) leaves the case; any other is refused. `lines` are the ledger's
    `Line`s (not imported: the ledger imports this module)."""
    if conn.execute(ANY_PACKED).first() is None:
        return
    ids = [ln.unit_id for ln in lines if ln.unit_id is not None]
    virtual = location_ids_of_kind(conn, virtual=True)
    if ids:
        dialect = conn.dialect.name
        for start in range(0, len(ids), 10_000):
            # the units moved (their projection is moved already) that are packed in a case
            # somewhere else: none, unless one leaves its case
            chunk = ids_value(dialect, ids[start : start + 10_000])
            rows = conn.execute(_left_their_case(dialect), {"ids": chunk}).all()
            for r in rows:
                if r.location_id not in virtual:
                    serial = conn.execute(select(items.c.code, units.c.serial)
                                          .join(items, items.c.id == units.c.item_id)
                                          .where(units.c.id == r.unit_id)).one()  # fmt: skip
                    raise NotAvailable(
                        f"{serial.code}:{serial.serial} is packed in SSCC {r.sscc}: move or "
                        f"ship the SSCC, or unpack it first (tracelot unpack {r.sscc} "
                        f"{serial.code}:{serial.serial})"
                    )
                write_lines(conn, op_id, r.lu_id, False, [
                    {"item_id": r.item_id, "lot_id": r.lot_id, "unit_id": r.unit_id,
                     "child_lu_id": None, "qty": r.qty}])  # fmt: skip
                conn.execute(delete(lu_contents).where(lu_contents.c.id == r.id))
    sources = {(ln.item_id, ln.lot_id, ln.from_id) for ln in lines
               if ln.unit_id is None and ln.from_id not in virtual}  # fmt: skip
    for item_id, lot_id, location_id in sorted(sources, key=lambda k: (k[0], k[1] or 0, k[2])):
        packed = packed_lot(conn, item_id, lot_id, location_id)
        if packed <= 0:
            continue
        free = unpacked_qty(conn, item_id, lot_id, location_id)
        if free < 0:
            name = conn.execute(select(items.c.code).where(items.c.id == item_id)).scalar_one()
            if lot_id is not None:
                name += "@" + conn.execute(
                    select(lots.c.code).where(lots.c.id == lot_id)).scalar_one()  # fmt: skip
            loc = location_by_id(conn, location_id)
            raise InsufficientStock(
                f"not enough {name} at {loc.path} that is not packed: {normalize(packed)} of "
                f"it is in cases there (move or ship the SSCC, or unpack it first)"
            )


def placement_problems(conn: Connection, lu_ids: Sequence[int] | None = None) -> list[str]:
    """Contents that are not where their case is: units and inner cases elsewhere, more of
    a lot packed at a place than is there (of the cases `lu_ids` only, when given: what a
    void takes back is checked before it is done)."""
    found: list[str] = []
    virtual = location_ids_of_kind(conn, virtual=True)

    def only(query: Any) -> Any:
        return query if lu_ids is None else query.where(id_in(conn, lu_contents.c.lu_id, lu_ids))

    for r in conn.execute(only(
        select(logistic_units.c.sscc, items.c.code, units.c.serial)
        .select_from(lu_contents)
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .join(units, units.c.id == lu_contents.c.unit_id)
        .join(items, items.c.id == units.c.item_id)
        .where(units.c.location_id != logistic_units.c.location_id)
        .order_by(logistic_units.c.sscc, items.c.code, units.c.serial)
    )):  # fmt: skip
        found.append(f"{r.code}:{r.serial} is packed in SSCC {r.sscc} but is not where it is")
    inner = logistic_units.alias("inner_lu")
    for r in conn.execute(only(
        select(logistic_units.c.sscc, inner.c.sscc.label("inner"))
        .select_from(lu_contents)
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .join(inner, inner.c.id == lu_contents.c.child_lu_id)
        .where(inner.c.location_id != logistic_units.c.location_id)
        .order_by(logistic_units.c.sscc)
    )):  # fmt: skip
        found.append(f"SSCC {r.inner} is packed in SSCC {r.sscc} but is not where it is")
    packed = (
        select(lu_contents.c.item_id, lu_contents.c.lot_id, logistic_units.c.location_id,
               func.sum(lu_contents.c.qty).label("qty"))
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .where(lu_contents.c.unit_id.is_(None), lu_contents.c.child_lu_id.is_(None))
        .group_by(lu_contents.c.item_id, lu_contents.c.lot_id, logistic_units.c.location_id)
    )  # fmt: skip
    if lu_ids is not None:  # the balances those cases hold of, with every case there
        mine = (
            select(lu_contents.c.item_id, logistic_units.c.location_id)
            .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
            .where(id_in(conn, lu_contents.c.lu_id, lu_ids), lu_contents.c.unit_id.is_(None),
                   lu_contents.c.child_lu_id.is_(None))
        )  # fmt: skip
        keys = {(i, loc) for i, loc in conn.execute(mine)}
        packed = packed.where(lu_contents.c.item_id.in_(sorted({i for i, _ in keys})))
    for r in conn.execute(packed):
        if r.location_id in virtual or (lu_ids is not None and (r.item_id, r.location_id)
                                        not in keys):  # fmt: skip
            continue
        there = unpacked_qty(conn, r.item_id, r.lot_id, r.location_id) + Decimal(r.qty)
        if there < Decimal(r.qty):
            loc = location_by_id(conn, r.location_id)
            name = conn.execute(select(items.c.code).where(items.c.id == r.item_id)).scalar_one()
            if r.lot_id is not None:
                name += "@" + conn.execute(
                    select(lots.c.code).where(lots.c.id == r.lot_id)).scalar_one()  # fmt: skip
            found.append(
                f"{name}: {normalize(Decimal(r.qty))} packed in cases at {loc.path}, "
                f"{normalize(there)} there"
            )
    return found


def problems(conn: Connection) -> list[str]:
    """What `verify` finds wrong with the logistic units: contents that are not where their
    case is, and contents that differ from a replay of the lines of packing."""
    found = placement_problems(conn)
    signed = func.sum(case((lu_lines.c.added, lu_lines.c.qty), else_=-lu_lines.c.qty))
    keys = (lu_lines.c.lu_id, lu_lines.c.item_id, lu_lines.c.lot_id, lu_lines.c.unit_id,
            lu_lines.c.child_lu_id)  # fmt: skip
    replay = {
        tuple(r[:5]): Decimal(r[5])
        for r in conn.execute(select(*keys, signed).group_by(*keys))
        if Decimal(r[5]) != 0
    }
    now_held = {
        (r.lu_id, r.item_id, r.lot_id, r.unit_id, r.child_lu_id): Decimal(r.qty)
        for r in conn.execute(select(lu_contents))
    }
    if replay != now_held:
        differ = sorted(set(replay.items()) ^ set(now_held.items()), key=str)[:5]
        found.append(f"what the logistic units hold differs from a replay of packing: {differ}")
    return found
