"""Stock reserved for sales orders, as the ledger's takers and the stock reports see it.

A reservation holds a unit, or a quantity of one balance (item, location, lot), for a
line of a sales order (services/orders.py makes and releases them). Whatever takes stock
(services/picking.py) leaves reserved stock alone unless it acts for that order, and the
stock report shows it beside what is on hand.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, true, update

from tracelot.domain.status import LocationKind
from tracelot.store.bulk import id_in, ids_in
from tracelot.store.engine import cache
from tracelot.store.tables import items, reservations, stock, units

_MEMO = "tracelot.any_reservations"
_ANY_RESERVED = select(reservations.c.id).limit(1)  # built once: most operations ask


def any_reservations(conn: Connection) -> bool:
    """Whether anything is reserved at all, asked once per transaction (most operations
    then skip the question for each unit they take)."""
    current = cache(conn)
    memo = conn.info.get(_MEMO)
    if memo is not None and memo[0] is current:
        return bool(memo[1])
    found = conn.execute(_ANY_RESERVED).first() is not None
    conn.info[_MEMO] = (current, found)
    return found


def reservations_changed(conn: Connection) -> None:
    """Something was reserved in this transaction: the takers must ask from now on."""
    conn.info[_MEMO] = (cache(conn), True)


def reserved_balances(
    conn: Connection, item_id: int, *, except_so: int | None = None
) -> dict[tuple[int, int | None], Decimal]:
    """(location, lot) -> the quantity of an item's balance reserved (for orders other
    than `except_so`), units left aside."""
    if not any_reservations(conn):
        return {}
    query = _balances_query(except_so is not None)
    rows = conn.execute(query, {"item_id": item_id, "except_so": except_so})
    return {(loc, lot): Decimal(q) for loc, lot, q in rows if q}


@functools.cache
def _balances_query(except_one: bool) -> Any:
    """The query of `reserved_balances`, built once: it is asked for every lot taken."""
    query = (
        select(reservations.c.location_id, reservations.c.lot_id, func.sum(reservations.c.qty))
        .where(reservations.c.item_id == bindparam("item_id"), reservations.c.unit_id.is_(None))
        .group_by(reservations.c.location_id, reservations.c.lot_id)
    )
    if except_one:
        query = query.where(reservations.c.so_id != bindparam("except_so"))
    return query


def unit_reserved_for(conn: Connection, unit_id: int) -> int | None:
    """The sales order a unit is reserved for, if any."""
    if not any_reservations(conn):
        return None
    return conn.execute(_UNIT_RESERVED, {"unit_id": unit_id}).scalar()


_UNIT_RESERVED = select(reservations.c.so_id).where(reservations.c.unit_id == bindparam("unit_id"))


def lock_balances(conn: Connection, item_id: int, *, reserving: bool = False) -> None:
    """On PostgreSQL, lock an item's balances (in key order) before reading what is
    reserved of them: a reservation and a taker of the same stock wait for each other
    instead of both going ahead. SQLite's writers take turns already; a read (a pick
    list) locks nothing, nor does a taker while nothing is reserved at all."""
    writing = conn.get_execution_options().get("tracelot_write", False)
    if conn.dialect.name == "postgresql" and writing and (reserving or any_reservations(conn)):
        conn.execute(
            select(stock.c.id).where(stock.c.item_id == item_id).order_by(stock.c.id)
            .with_for_update()
        ).all()  # fmt: skip


def lock_balances_of(conn: Connection, item_ids: Sequence[int]) -> None:
    """`lock_balances` of many items (a long order's): one statement per 500 items, the
    rows locked in key order."""
    writing = conn.get_execution_options().get("tracelot_write", False)
    if conn.dialect.name != "postgresql" or not writing:
        return
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), 500):
        conn.execute(
            select(stock.c.id).where(id_in(conn, stock.c.item_id, ids[start : start + 500]))
            .order_by(stock.c.id).with_for_update()
        ).all()  # fmt: skip


def reserved_by_balance(conn: Connection) -> tuple[dict[tuple[int, int, int | None], Decimal],
                                                   set[int]]:  # fmt: skip
    """Everything reserved: (item, location, lot) -> quantity (units counted in their
    balance), and the reserved units (the stock report's columns)."""
    if not any_reservations(conn):
        return {}, set()
    by_balance: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    units: set[int] = set()
    query = select(reservations.c.item_id, reservations.c.location_id, reservations.c.lot_id,
                   reservations.c.unit_id, reservations.c.qty)  # fmt: skip
    for item_id, location_id, lot_id, unit_id, qty in conn.execute(query).all():
        by_balance[(item_id, location_id, lot_id)] += Decimal(qty)
        if unit_id is not None:
            units.add(unit_id)
    return dict(by_balance), units


def reserved_by_codes(
    conn: Connection,
) -> tuple[dict[tuple[str, str, str | None], Decimal], set[tuple[str, str]]]:
    """Everything reserved, by codes as stock rows name it: (item, location, lot) ->
    quantity (units counted in their balance), and the reserved units (item, serial)."""
    if not any_reservations(conn):
        return {}, set()
    from tracelot.store.tables import items, locations, lots, units

    by_balance: dict[tuple[str, str, str | None], Decimal] = defaultdict(Decimal)
    reserved_units: set[tuple[str, str]] = set()
    query = (
        select(items.c.code, locations.c.code, lots.c.code, units.c.serial, reservations.c.qty)
        .join(items, items.c.id == reservations.c.item_id)
        .join(locations, locations.c.id == reservations.c.location_id)
        .outerjoin(lots, lots.c.id == reservations.c.lot_id)
        .outerjoin(units, units.c.id == reservations.c.unit_id)
    )
    for item, location, lot, serial, qty in conn.execute(query).all():
        by_balance[(item, location, lot)] += Decimal(qty)
        if serial is not None:
            reserved_units.add((item, serial))
    return dict(by_balance), reserved_units


#: statuses whose stock can be available (stock at a customer, in transit ... is not)
_AVAILABLE_STATUSES = ("in_stock", "wip")


def with_availability(
    rows: list[dict[str, Any]] | Iterator[dict[str, Any]],
    reserved: tuple[dict[tuple[str, str, str | None], Decimal], set[tuple[str, str]]],
) -> Iterator[dict[str, Any]]:
    """Stock or `where` rows with `reserved` and `available` beside `qty`: available is
    on hand less reserved, held, expired and in transit (CONVENTIONS, second wave)."""
    by_balance, units = reserved
    for row in rows:
        qty = Decimal(row.get("qty") or 0)
        if row.get("serial"):
            held = Decimal(1) if (row["item"], row["serial"]) in units else Decimal(0)
            held = min(held, qty)
        else:
            held = by_balance.get((row["item"], row.get("location"), row.get("lot")), Decimal(0))
        blocked = (row.get("held") or row.get("expired")
                   or row.get("status") not in _AVAILABLE_STATUSES)  # fmt: skip
        yield {**row, "reserved": held,
               "available": Decimal(0) if blocked else max(qty - held, Decimal(0))}  # fmt: skip


def release_what_went(conn: Connection, lines: Sequence[Any]) -> list[int]:
    """What a count or an adjustment found gone stays reserved no more: a unit it moved
    away from where it was reserved, and of a balance it lowered, what is reserved beyond
    what is left there (the newest reservations first). The sales orders touched (their
    lines are short again: `so reserve N` tries again)."""
    if not lines or not any_reservations(conn):
        return []
    from tracelot.store.tables import units

    touched: set[int] = set()
    unit_ids = sorted({ln.unit_id for ln in lines if ln.unit_id is not None})
    for start in range(0, len(unit_ids), 500):
        moved = (
            select(reservations.c.id, reservations.c.so_id)
            .join(units, units.c.id == reservations.c.unit_id)
            .where(
                reservations.c.unit_id.in_(unit_ids[start : start + 500]),
                units.c.location_id != reservations.c.location_id,
            )
        )
        gone = conn.execute(moved).all()
        touched |= {r.so_id for r in gone}
        if gone:
            conn.execute(delete(reservations).where(reservations.c.id.in_([r.id for r in gone])))
    for item_id, location_id, lot_id in sorted(
        {(ln.item_id, ln.from_id, ln.lot_id) for ln in lines if ln.unit_id is None},
        key=lambda k: (k[0], k[1], k[2] or 0),
    ):
        left = conn.execute(
            select(stock.c.qty).where(
                stock.c.item_id == item_id, stock.c.location_id == location_id,
                func.coalesce(stock.c.lot_id, 0) == (lot_id or 0),
            )
        ).scalar()  # fmt: skip
        held = conn.execute(
            select(reservations.c.id, reservations.c.so_id, reservations.c.qty)
            .where(
                reservations.c.item_id == item_id, reservations.c.location_id == location_id,
                func.coalesce(reservations.c.lot_id, 0) == (lot_id or 0),
                reservations.c.unit_id.is_(None),
            )
            .order_by(reservations.c.id.desc())
        ).all()  # fmt: skip
        extra = sum((Decimal(r.qty) for r in held), Decimal(0)) - Decimal(left or 0)
        for r in held:
            if extra <= 0:
                break
            touched.add(r.so_id)
            if r.qty <= extra:
                conn.execute(delete(reservations).where(reservations.c.id == r.id))
                extra -= Decimal(r.qty)
            else:
                conn.execute(update(reservations).where(reservations.c.id == r.id)
                             .values(qty=Decimal(r.qty) - extra))  # fmt: skip
                extra = Decimal(0)
    return sorted(touched)


#: where stock is never reserved from: it is not free to sell (nor virtual)
NOT_FOR_SALE = (LocationKind.QUARANTINE.value, LocationKind.TRANSIT.value,
                LocationKind.PRODUCTION.value)  # fmt: skip


def follow_moves(conn: Connection, lines: Sequence[Any]) -> list[int]:
    """What an operation moved on purpose that was reserved (a case moved or shipped
    whole, a recall's quarantine): a reserved unit moved to a place stock is sold from
    keeps its reservation there; moved anywhere else (quarantine, a customer, scrap) it
    is released; of a balance lowered below what is reserved of it, the newest
    reservations beyond are released (`release_what_went`). The orders touched."""
    if not lines or not any_reservations(conn):
        return []
    from tracelot.store.tables import locations

    moved = {ln.unit_id: ln.to_id for ln in lines if ln.unit_id is not None}
    touched: set[int] = set()
    ids = sorted(moved)
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(reservations.c.id, reservations.c.unit_id, reservations.c.so_id,
                   reservations.c.location_id)
            .where(reservations.c.unit_id.in_(ids[start : start + 500]))
        ).all()  # fmt: skip
        places = {r.id: r.kind for r in conn.execute(
            select(locations.c.id, locations.c.kind, locations.c.virtual)
            .where(locations.c.id.in_({moved[r.unit_id] for r in rows}))
        ).all() if not r.virtual}  # fmt: skip
        for r in rows:
            to_id = moved[r.unit_id]
            if r.location_id == to_id:
                continue
            touched.add(r.so_id)
            if places.get(to_id, NOT_FOR_SALE[0]) not in NOT_FOR_SALE:
                conn.execute(update(reservations).where(reservations.c.id == r.id)
                             .values(location_id=to_id))  # fmt: skip
            else:
                conn.execute(delete(reservations).where(reservations.c.id == r.id))
    touched.update(release_what_went(conn, [ln for ln in lines if ln.unit_id is None]))
    return sorted(touched)


_CHECKED = "tracelot.reservations_checked"


def checked_free(
    conn: Connection, *, so_id: int | None, unit_ids: Sequence[int] = (),
    balances: Sequence[tuple[int, int, int | None]] = (),
) -> None:  # fmt: skip
    """A taker found these units and balances (item, location, lot) free of other orders'
    reservations (but `so_id`'s): the ledger asks again when it posts them
    (`refuse_reserved_meanwhile`), on PostgreSQL only."""
    if conn.dialect.name != "postgresql":
        return
    current = cache(conn)
    memo = conn.info.get(_CHECKED)
    if memo is None or memo[0] is not current:
        memo = conn.info[_CHECKED] = (current, {}, {})
    for unit_id in unit_ids:
        memo[1][unit_id] = so_id
    for key in balances:
        memo[2][key] = so_id


#: the reservations of units an operation took (PostgreSQL only), built once: asked by
#: every operation that checked its units were free
_RESERVED_UNITS = (
    select(items.c.code, units.c.serial, units.c.id, reservations.c.so_id)
    .join(units, units.c.id == reservations.c.unit_id)
    .join(items, items.c.id == units.c.item_id)
    .where(ids_in("postgresql", reservations.c.unit_id))
    .order_by(units.c.id)
)


def refuse_reserved_meanwhile(conn: Connection, lines: Sequence[Any]) -> None:
    """On PostgreSQL, after an operation's lines are applied (the balances it lowered are
    locked): refuse it if what a taker found free before (`checked_free`) was reserved
    for another order meanwhile. A taker asks what is reserved before it takes; an order
    confirmed at that moment, whose transaction the taker did not see, reserves the same
    stock. Read afresh here (not the transaction's memo), so one of the two is refused
    (conflict, retry). What no taker checked (a recall's quarantine, a case moved whole)
    is not asked again. SQLite's writers take turns: what a taker asks before holds."""
    memo = conn.info.get(_CHECKED)
    if conn.dialect.name != "postgresql" or not lines or memo is None:
        return
    if memo[0] is not cache(conn):
        return
    from tracelot.domain.errors import Conflict

    checked_units, checked_balances = memo[1], memo[2]
    unit_ids = sorted({ln.unit_id for ln in lines if ln.unit_id in checked_units})
    for item, serial, unit_id, so_id in conn.execute(
        _RESERVED_UNITS, {"ids": unit_ids}
    ).all() if unit_ids else ():  # fmt: skip
        if so_id != checked_units[unit_id]:
            raise Conflict(f"{item}:{serial} was reserved for sales order {so_id} "
                           "meanwhile (conflict, retry)")  # fmt: skip
    lowered = sorted({(ln.item_id, ln.from_id, ln.lot_id) for ln in lines
                      if ln.unit_id is None and (ln.item_id, ln.from_id, ln.lot_id)
                      in checked_balances}, key=lambda k: (k[0], k[1], k[2] or 0))  # fmt: skip
    for item_id, location_id, lot_id in lowered:
        mine = checked_balances[(item_id, location_id, lot_id)]
        held = conn.execute(
            select(func.coalesce(func.sum(reservations.c.qty), 0)).where(
                reservations.c.item_id == item_id, reservations.c.location_id == location_id,
                func.coalesce(reservations.c.lot_id, 0) == (lot_id or 0),
                reservations.c.unit_id.is_(None),
                reservations.c.so_id != mine if mine is not None else true())
        ).scalar_one()  # fmt: skip
        if not held:
            continue
        left = conn.execute(
            select(stock.c.qty).where(
                stock.c.item_id == item_id, stock.c.location_id == location_id,
                func.coalesce(stock.c.lot_id, 0) == (lot_id or 0))
        ).scalar()  # fmt: skip
        if Decimal(left or 0) < Decimal(held):
            code = conn.execute(select(items.c.code).where(items.c.id == item_id)).scalar_one()
            raise Conflict(f"{code} was reserved for a sales order meanwhile (conflict, retry)")
