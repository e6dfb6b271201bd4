"""Posting to the ledger: operations, their move lines, and the projections beside them.

Every change of stock goes through `post`: it appends the move lines, applies their
deltas to the `stock` projection (refusing any real location that would go negative)
and moves the units it names, all inside the caller's transaction. The updates are
conditional (`WHERE location_id = :from`), so of two racing operations the second
finds the stock gone and is refused instead of writing twice.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    TextClause,
    bindparam,
    case,
    func,
    insert,
    select,
    text,
    update,
)

from tracelot.domain.errors import Conflict, InsufficientStock
from tracelot.domain.status import ON_HAND, LocationKind, OperationKind, status_at
from tracelot.domain.uom import check_whole
from tracelot.domain.values import HALF_PLACE, normalize, refuse_nul
from tracelot.services import costing, packed
from tracelot.services.inactive import refuse_inactive_lines, refuse_inactive_operation
from tracelot.services.lookup import item_by_id, location_ids_of_kind
from tracelot.services.reservations import follow_moves, refuse_reserved_meanwhile
from tracelot.store.bulk import id_in, insert_rows
from tracelot.store.engine import cache
from tracelot.store.tables import items, locations, lots, moves, operations, stock, units

Progress = Callable[[int, int], None]


class Line(NamedTuple):
    """One ledger line: `qty` of an item (and lot, or unit) from one location to another.
    A named tuple: a pallet shipped makes thousands, and one costs a third of a frozen
    dataclass's 0.63 us to make (`_replace` for a changed copy)."""

    item_id: int
    from_id: int
    to_id: int
    qty: Decimal
    lot_id: int | None = None
    unit_id: int | None = None
    value: Decimal | None = None  # what it moved cost (see costing); found by `post`


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_of(day: dt.date) -> dt.datetime:
    """The first moment of a day (UTC)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def in_days(query: Any, start: dt.date | None, end: dt.date | None) -> Any:
    """`query` (which has the operations) limited to operations from `start` to `end`
    (whole days, either open)."""
    if start is not None:
        query = query.where(operations.c.occurred_at >= start_of(start))
    if end is not None and end < dt.date.max:
        query = query.where(operations.c.occurred_at < start_of(end + dt.timedelta(days=1)))
    return query


def new_operation(
    conn: Connection,
    kind: OperationKind,
    *,
    user: str,
    at: dt.datetime | None = None,
    reference: str | None = None,
    note: str | None = None,
    party_id: int | None = None,
) -> int:
    """Append an operation row and return its id (the row is remembered for the
    transaction: the operation's answer is made without reading it back)."""
    refuse_nul(reference, what="the reference")
    refuse_nul(note, what="the note")
    refuse_inactive_operation(conn, kind.value, user=user, party_id=party_id)
    recorded = now()
    values = {
        "kind": kind.value,
        "occurred_at": at or recorded,
        "recorded_at": recorded,
        "user_name": user,
        "reference": reference,
        "note": note,
        "party_id": party_id,
    }
    op_id = conn.execute(_NEW_OPERATION, values).scalar_one()
    cache(conn).add_operation(op_id, values)
    return op_id


_NEW_OPERATION = insert(operations).returning(operations.c.id)  # built once: every operation

#: operations that book what is (a count, a correction) or undo what was (a void): they
#: take a fraction of an item counted in eaches that is on the books already
_ANY_QUANTITY = frozenset({OperationKind.VOID.value, OperationKind.COUNT.value,
                           OperationKind.ADJUST.value})  # fmt: skip


def refuse_fractions_of_eaches(conn: Connection, lines: Iterable[Line]) -> None:
    """Refuse a quantity that is not whole of an item counted in eaches (EA, pc ...)."""
    for ln in lines:
        if ln.unit_id is None and ln.qty != ln.qty.to_integral_value():
            item = item_by_id(conn, ln.item_id)
            check_whole(Decimal(ln.qty), item=item.code, uom=item.uom)


def post(
    conn: Connection,
    op_id: int,
    lines: Sequence[Line],
    *,
    party_id: int | None = None,
    applied: bool = False,
    own_reservations: bool = False,
) -> list[Line]:
    """Append `lines` to the ledger, valued, and apply them to the projections (units,
    stock, cost layers); return them with their values.

    `party_id` is the customer that units going to the CUSTOMER location now belong to.
    `applied`: the caller has applied the lines to units and stock already (`apply`).
    `own_reservations`: the caller uses up the reservations of what it takes itself (a
    shipment against its sales order); otherwise reserved stock that moves follows it
    (`reservations.follow_moves`).
    """
    if not lines:
        return []
    kind = (cache(conn).operation(op_id) or {}).get("kind")
    refuse_inactive_lines(conn, kind, [ln.item_id for ln in lines], [ln.to_id for ln in lines])
    if kind not in _ANY_QUANTITY:
        refuse_fractions_of_eaches(conn, lines)
    # an operation of units only (a scan-and-move) changes its balances last: every move
    # of an item between two bins adds to the same two balances, whose row locks are then
    # held for the reservations' check and the commit only
    units_only = not applied and all(ln.unit_id is not None for ln in lines)
    unit_costs = apply(conn, lines, party_id, balances=not units_only) if not applied else {}
    if not units_only:
        _check_reservations(conn, kind, lines, own_reservations)
    packed.guard(conn, op_id, lines)  # what is packed goes with its case (issue 20)
    # costed after the balances are locked: whoever takes a location's cost layers holds
    # its balance's row lock, so concurrent takers see each other's layers (units have
    # costs of their own, and no layers)
    lines = costing.cost_lines(conn, lines, op_id, unit_costs)
    insert_rows(conn, "moves", _MOVE_COLUMNS, (
        (op_id, ln.item_id, ln.lot_id, ln.unit_id, ln.from_id, ln.to_id, ln.qty, ln.value)
        for ln in lines
    ))  # fmt: skip
    if units_only:
        apply_stock_deltas(conn, _deltas(lines))
        # after the balances: an order being confirmed holds the item's balances, so what
        # it reserved is seen here
        _check_reservations(conn, kind, lines, own_reservations)
    return list(lines)


def _check_reservations(
    conn: Connection, kind: str | None, lines: Sequence[Line], own_reservations: bool
) -> None:
    """Once the balances are locked: refuse what was reserved meanwhile, and let reserved
    stock that moves follow it."""
    refuse_reserved_meanwhile(conn, lines)  # what takers found free is free still
    if kind not in _ANY_QUANTITY and not own_reservations:  # (counts release their own)
        follow_moves(conn, lines)  # reserved stock moved on purpose: kept or released


_MOVE_COLUMNS = ("operation_id", "item_id", "lot_id", "unit_id", "from_location_id",
                 "to_location_id", "qty", "value")  # fmt: skip


def apply(
    conn: Connection, lines: Sequence[Line], party_id: int | None = None, *, balances: bool = True
) -> dict[int, Decimal | None]:
    """Apply lines to the projections of units and stock (locking what they touch);
    without `balances`, to the units only (the caller applies `_deltas` later). Answers
    the costs of units read on the way (`move_units`)."""
    # units first: a unit that a concurrent operation took is then named in the refusal
    unit_lines = [ln for ln in lines if ln.unit_id is not None]
    # a cost is read only for a line without a value (a case shipped whole has valued its)
    unvalued = any(ln.value is None for ln in unit_lines)
    costs = move_units(conn, unit_lines, party_id, read_costs=unvalued) if unit_lines else {}
    if balances:
        apply_stock_deltas(conn, _deltas(lines))
    return costs


def _deltas(lines: Sequence[Line]) -> dict[tuple[int, int, int | None], Decimal]:
    """What lines add to each balance (item, location, lot)."""
    deltas: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    for ln in lines:
        deltas[(ln.item_id, ln.from_id, ln.lot_id)] -= ln.qty
        deltas[(ln.item_id, ln.to_id, ln.lot_id)] += ln.qty
    return deltas


def apply_stock_deltas(
    conn: Connection, deltas: dict[tuple[int, int, int | None], Decimal]
) -> None:
    """Add each delta to its balance; a real location may not go below zero.

    An upsert of the balances: concurrent operations on PostgreSQL wait for each other's
    row lock and then add to the committed value. Balances are touched in key order
    so that concurrent operations lock rows in the same order and cannot deadlock. A few
    go in one statement that answers each balance's new quantity; many (a long order
    shipped) in one executemany, then one read of the real balances they lowered.
    """
    virtual_ids = location_ids_of_kind(conn, virtual=True)
    rows = [(item_id, location_id, lot_id, delta)
            for (item_id, location_id, lot_id), delta in sorted(
                deltas.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0))
            if delta != 0]  # fmt: skip
    if len(rows) > _FEW_BALANCES:
        _apply_many(conn, rows, virtual_ids)
        return
    if not rows:
        return
    params = {}
    for k, (item_id, location_id, lot_id, delta) in enumerate(rows):
        params.update({f"i{k}": item_id, f"l{k}": location_id, f"o{k}": lot_id, f"q{k}": delta})
    after = {(r.item_id, r.location_id, r.lot_id): r for r in
             conn.execute(_upsert_stock(len(rows)), params)}  # fmt: skip
    emptied = []
    for item_id, location_id, lot_id, delta in rows:  # in key order: the first short named
        if location_id in virtual_ids:
            continue
        row = after[(item_id, location_id, lot_id)]
        if row.qty < 0:
            raise _shortage(conn, item_id, location_id, lot_id, -delta, row.qty - delta)
        if row.qty == 0:
            emptied.append(row.id)
    if emptied:
        conn.execute(stock.delete().where(stock.c.id.in_(emptied)))


#: up to this many balances an operation upserts in one statement that answers them all
_FEW_BALANCES = 8

_UPSERT_CONFLICT = ("ON CONFLICT (item_id, location_id, COALESCE(lot_id, 0))"
                    " DO UPDATE SET qty = stock.qty + excluded.qty")  # fmt: skip


def _apply_many(
    conn: Connection, rows: list[tuple[int, int, int | None, Decimal]], virtual_ids: frozenset[int]
) -> None:
    """`apply_stock_deltas` of many balances: every upsert in one executemany (in key
    order), then the real balances lowered read back once: the first below zero is
    refused, those at zero are deleted."""
    insert_rows(conn, "stock", ("item_id", "location_id", "lot_id", "qty"), rows,
                on_conflict=_UPSERT_CONFLICT)  # fmt: skip
    lowered = {(i, loc, lot): d for i, loc, lot, d in rows if d < 0 and loc not in virtual_ids}
    if not lowered:
        return
    item_ids = sorted({key[0] for key in lowered})
    found: dict[tuple[int, int, int | None], tuple[int, Decimal]] = {}
    for start in range(0, len(item_ids), 500):
        # below half the sixth place: SQLite keeps fractions as floats (0.1 + 0.2 - 0.3 is
        # 5.6e-17 there), which `Exact` reads back rounded, as the one-by-one path does
        query = select(stock.c.id, stock.c.item_id, stock.c.location_id, stock.c.lot_id,
                       stock.c.qty).where(id_in(conn, stock.c.item_id,
                                                item_ids[start : start + 500]),
                                          stock.c.qty < HALF_PLACE)  # fmt: skip
        for row_id, item_id, location_id, lot_id, qty in conn.execute(query).all():
            key = (item_id, location_id, lot_id)
            if key in lowered and qty <= 0:
                found[key] = (row_id, qty)
    for key in sorted(found, key=lambda k: (k[0], k[1], k[2] or 0)):
        row_id, qty = found[key]
        if qty < 0:
            delta = lowered[key]
            raise _shortage(conn, *key, -delta, qty - delta)
    if found:
        conn.execute(stock.delete().where(id_in(conn, stock.c.id, [r for r, _ in found.values()])))


def add_stock(conn: Connection, deltas: dict[tuple[int, int, int | None], Decimal]) -> None:
    """Add deltas that only add to real locations (a receipt's: into real locations, out
    of a virtual one) in one batched upsert: no real balance can fall, so none is read
    back. In key order, as `apply_stock_deltas`."""
    virtual_ids = location_ids_of_kind(conn, virtual=True)
    rows = [
        (item_id, location_id, lot_id, delta)
        for (item_id, location_id, lot_id), delta in sorted(
            deltas.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)
        )
        if delta != 0
    ]
    assert all(qty > 0 or location_id in virtual_ids for _, location_id, _, qty in rows), rows
    insert_rows(conn, "stock", ("item_id", "location_id", "lot_id", "qty"), rows,
                on_conflict=_UPSERT_CONFLICT)  # fmt: skip


@functools.cache
def _upsert_stock(count: int) -> TextClause:
    """The upsert of `count` balances, in the order given (rows i0, l0, o0, q0 ...: item,
    location, lot, delta), answering each balance's key, id and new quantity; built once
    per count (as text: SQLAlchemy compiles a statement of many VALUES at every run)."""
    values = ", ".join(f"(:i{k}, :l{k}, :o{k}, :q{k})" for k in range(count))
    qty = stock.c.qty.type
    return (
        text(f"INSERT INTO stock (item_id, location_id, lot_id, qty) VALUES {values} "
             f"{_UPSERT_CONFLICT} RETURNING id, item_id, location_id, lot_id, qty")
        .bindparams(*(bindparam(f"q{k}", type_=qty) for k in range(count)))
        .columns(stock.c.id, stock.c.item_id, stock.c.location_id, stock.c.lot_id, stock.c.qty)
    )  # fmt: skip


def _shortage(
    conn: Connection,
    item_id: int,
    location_id: int,
    lot_id: int | None,
    wanted: Decimal,
    there: Decimal,
) -> InsufficientStock:
    item = conn.execute(select(items.c.code, items.c.uom).where(items.c.id == item_id)).one()
    loc = conn.execute(select(locations.c.path).where(locations.c.id == location_id)).scalar_one()
    name = item.code
    if lot_id is not None:
        name += "@" + conn.execute(select(lots.c.code).where(lots.c.id == lot_id)).scalar_one()
    return InsufficientStock(
        f"not enough {name} at {loc}: {normalize(wanted)} wanted, {normalize(there)} there"
    )


_MOVE_UNITS = (
    update(units)
    .where(units.c.id == bindparam("uid"), units.c.location_id == bindparam("from_id"))
    .values(location_id=bindparam("to_id"), party_id=bindparam("party"))
)


# the lock an UPDATE of a unit takes (not FOR UPDATE, which would also wait for whoever
# is inserting a row that names the unit: a hold, a recall's list)
_LOCK_UNITS = text("SELECT id FROM units WHERE id = ANY(CAST(:uids AS integer[]))"
                   " ORDER BY id FOR NO KEY UPDATE")  # fmt: skip
_MOVE_UNITS_FROM_ARRAYS = text(
    "UPDATE units SET location_id = t.to_id, party_id = t.party"
    " FROM unnest(CAST(:uids AS integer[]), CAST(:from_ids AS integer[]),"
    " CAST(:to_ids AS integer[]), CAST(:parties AS integer[])) AS t(uid, from_id, to_id, party)"
    " WHERE units.id = t.uid AND units.location_id = t.from_id"
)
#: one unit (a scan-and-move): its cost answered by the update that locks it
_MOVE_UNIT = _MOVE_UNITS.returning(units.c.id, units.c.unit_cost)


def move_units(
    conn: Connection, lines: Iterable[Line], party_id: int | None, *, read_costs: bool = False
) -> dict[int, Decimal | None]:
    """Point each unit at its new location, but only if it is still where the line says.
    With `read_costs`, one unit (a scan-and-move) answers its cost as it stands once
    locked, so that the ledger values its line without another read; many units answer
    nothing (costing reads theirs in one statement)."""
    lines = sorted(lines, key=lambda ln: ln.unit_id or 0)
    costs: dict[int, Decimal | None] = {}
    # a unit at the customer names its customer; one sent back names its supplier
    customer_ids = location_ids_of_kind(
        conn, LocationKind.CUSTOMER.value, LocationKind.SUPPLIER.value
    )
    params = [
        {
            "uid": ln.unit_id,
            "from_id": ln.from_id,
            "to_id": ln.to_id,
            "party": party_id if ln.to_id in customer_ids else None,
        }
        for ln in lines
    ]
    if conn.dialect.name == "sqlite" and len(params) > _FEW_BALANCES:
        # SQLite's one writer: a statement per (from, to) of all its units (a pallet shipped
        # is one); PostgreSQL keeps one row at a time in key order, so racers never deadlock
        groups: dict[tuple[int, int, int | None], list[int]] = defaultdict(list)
        for p in params:
            groups[(p["from_id"], p["to_id"], p["party"])].append(p["uid"])
        moved = sum(
            conn.execute(
                update(units)
                .where(id_in(conn, units.c.id, ids), units.c.location_id == from_id)
                .values(location_id=to_id, party_id=party)
            ).rowcount
            for (from_id, to_id, party), ids in groups.items()
        )
    elif len(params) > _FEW_BALANCES and len({p["uid"] for p in params}) == len(params):
        # PostgreSQL: lock the units in key order (racers never deadlock), then one
        # UPDATE from arrays (a statement a unit cost a 20,000-unit move a third of its time)
        uids = [p["uid"] for p in params]
        conn.execute(_LOCK_UNITS, {"uids": uids}).all()
        moved = conn.execute(_MOVE_UNITS_FROM_ARRAYS, {
            "uids": uids, "from_ids": [p["from_id"] for p in params],
            "to_ids": [p["to_id"] for p in params], "parties": [p["party"] for p in params],
        }).rowcount  # fmt: skip
    elif len(params) == 1 and read_costs:
        costs = dict(conn.execute(_MOVE_UNIT, params[0]).all())
        moved = len(costs)
    else:
        moved = conn.execute(_MOVE_UNITS, params).rowcount
    if moved != len(params):
        raise _unit_conflict(
            conn, [p["uid"] for p in params], {p["uid"]: p["from_id"] for p in params}
        )
    return costs


def _unit_conflict(conn: Connection, unit_ids: list[int], expected: dict[int, int]) -> Conflict:
    rows = conn.execute(
        select(
            units.c.id,
            units.c.serial,
            units.c.location_id,
            items.c.code,
            locations.c.kind,
            locations.c.path,
        )
        .join(items, items.c.id == units.c.item_id)
        .join(locations, locations.c.id == units.c.location_id)
        .where(units.c.id.in_(unit_ids))
    )
    for r in rows:
        if r.location_id != expected[r.id]:
            status = status_at(r.kind)
            now_ = f"now at {r.path}" if status in ON_HAND else f"already {status.value}"
            return Conflict(f"{r.code}:{r.serial} {now_} (conflict, retry)")
    return Conflict("conflict, retry: another operation moved the same units")


def held_by_party(
    conn: Connection, item_id: int, lot_id: int | None, customer_id: int, customer_loc: int
) -> tuple[Decimal, Decimal]:
    """What a customer holds of an item or lot, and its cost: what the operations naming
    them brought to `customer_loc` (shipments) less what they took from it (returns)."""

    def signed(column: Any) -> Any:
        return func.coalesce(func.sum(case(
            (moves.c.to_location_id == customer_loc, column),
            (moves.c.from_location_id == customer_loc, -column),
            else_=0,
        )), 0)  # fmt: skip

    query = (
        select(signed(moves.c.qty), signed(func.coalesce(moves.c.value, 0)))
        .select_from(operations)
        .join(moves, operations.c.id == moves.c.operation_id)
        .where(moves.c.item_id == item_id, operations.c.party_id == customer_id)
    )
    if lot_id is not None:
        query = query.where(moves.c.lot_id == lot_id)
    qty, value = conn.execute(query).one()
    return costing.exact(qty), costing.exact(value)
