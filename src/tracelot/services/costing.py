"""What stock costs: the value of each ledger line, first-in-first-out.

A serialized unit carries its own cost: the one it was received at (the item's
standard cost when none was given) or the cost of what it was built from. A lot and
an untracked item cost first-in-first-out at each location: every line that brings
some in from outside (a receipt, a build's output, a return, a count that found more)
adds a cost layer where it arrives, and every line that takes some from a location
takes that location's oldest layers first and is worth what it took; a transfer
carries the layers it took to its destination, keeping their cost and their place in
the queue. So every line has a value, and the value of any location, item or lot at
any moment is the sum of the values of the lines into it less those out of it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, select, update

from tracelot.domain.errors import InvalidInput
from tracelot.domain.values import normalize
from tracelot.services.lookup import item_by_id, location_ids_of_kind, lot_by_id
from tracelot.store.bulk import id_in, ids_in, ids_value, insert_rows, rows_in, update_rows
from tracelot.store.tables import cost_layers, units

if TYPE_CHECKING:
    from tracelot.services.ledger import Line

PLACES = Decimal("0.000001")
#: NUMERIC(20, 6) holds values below this
_MAX_VALUE = Decimal(10) ** 14

_SET_LEFT = (
    update(cost_layers)
    .where(cost_layers.c.id == bindparam("layer"))
    .values(qty_left=bindparam("left"))
)


def exact(value: object) -> Decimal:
    """A sum read from the database as an exact Decimal (SQLite sums fractions as floats:
    rounded to the six places the ledger keeps)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return normalize(Decimal(repr(round(value, 6))))
    return normalize(Decimal(value))  # type: ignore[arg-type]


def money(value: Decimal) -> Decimal:
    """A value rounded to the six places the ledger keeps."""
    value = value.quantize(PLACES)
    if abs(value) >= _MAX_VALUE:
        raise InvalidInput(f"a value of {value} is too large to keep")
    return value


def cost_lines(
    conn: Connection,
    lines: Sequence[Line],
    op_id: int | None = None,
    unit_costs: Mapping[int, Decimal | None] | None = None,
) -> list[Line]:
    """`lines`, valued; the cost layers they take and add are updated.

    A line that has a value keeps it (and, coming in from outside, gets its layer). With
    no `op_id` (a build valuing what it consumes before the operation exists), only
    lines that move units or take stock out to a virtual location may be given.
    `unit_costs`: the costs of units read already, as they stand once locked.
    """
    virtual = location_ids_of_kind(conn, virtual=True)
    known = unit_costs or {}
    unit_costs = {**known, **_unit_costs(conn, [
        ln.unit_id for ln in lines if ln.value is None and ln.unit_id not in known])}  # fmt: skip
    taking = [ln for ln in lines
              if ln.unit_id is None and ln.value is None and ln.from_id not in virtual]  # fmt: skip
    queue = _Layers(conn, taking) if len(taking) > _FEW_TAKERS else None
    valued: list[Line] = []
    layers: list[tuple[Any, ...]] = []
    for ln in lines:
        if ln.unit_id is not None:
            if ln.value is None:
                ln = _valued(ln, money((unit_costs[ln.unit_id] or 0) * ln.qty))
        elif ln.from_id in virtual:  # coming in: a new layer at the cost it comes at
            if ln.value is None:
                cost = incoming_cost(conn, ln.item_id, ln.lot_id)
                ln = _valued(ln, money(cost * ln.qty))
            layers.append(_layer(ln, op_id, ln.qty, money(ln.value / ln.qty), None))
        elif ln.value is None:  # taken from a real location, oldest layers first
            if queue is not None:
                value, taken = queue.take(ln.item_id, ln.lot_id, ln.from_id, ln.qty)
            else:
                value, taken = take_layers(conn, ln.item_id, ln.lot_id, ln.from_id, ln.qty)
            ln = _valued(ln, value)
            if ln.to_id not in virtual:  # a transfer: the layers go with it
                layers += [_layer(ln, op_id, qty, cost, seq) for qty, cost, seq in taken]
        valued.append(ln)
    if queue is not None:
        queue.write()
    if layers:
        assert op_id is not None, "lines coming in are costed when they are posted"
        insert_rows(conn, "cost_layers", _LAYER_COLUMNS, layers)
    return valued


def _valued(ln: Line, value: Decimal) -> Line:
    """`ln` with its value (built directly: `_replace` costs five times more, and a
    pallet shipped values thousands of lines)."""
    return type(ln)(ln.item_id, ln.from_id, ln.to_id, ln.qty, ln.lot_id, ln.unit_id, value)


_LAYER_COLUMNS = ("item_id", "lot_id", "location_id", "seq", "operation_id", "qty_in",
                  "qty_left", "unit_cost")  # fmt: skip


def _unit_costs(conn: Connection, unit_ids: Sequence[int | None]) -> dict[int, Decimal | None]:
    ids = [uid for uid in unit_ids if uid is not None]
    if not ids:
        return {}
    dialect = conn.dialect.name
    rows = conn.execute(_unit_costs_query(dialect), {"ids": ids_value(dialect, ids)}).all()
    return {uid: cost for uid, cost in rows}


@functools.cache
def _unit_costs_query(dialect: str) -> Any:
    """Built once per database kind: every posting of units asks it."""
    return select(units.c.id, units.c.unit_cost).where(ids_in(dialect, units.c.id))


def _layer(
    ln: Line, op_id: int | None, qty: Decimal, cost: Decimal, seq: int | None
) -> tuple[Any, ...]:
    """A new cost layer, as the values of `_LAYER_COLUMNS`."""
    return (ln.item_id, ln.lot_id, ln.to_id, seq, op_id, qty, qty, cost)


#: up to this many lines taking stock are costed one by one, a query each
_FEW_TAKERS = 8


class _Layers:
    """The open cost layers of many lines' balances, read in one query per 500 items
    (locked on PostgreSQL, as `take_layers` locks them), taken in memory oldest first
    and written back in one executemany: a long order's shipment costs three statements,
    not two a line."""

    def __init__(self, conn: Connection, lines: Sequence[Line]) -> None:
        self._conn = conn
        keys = {(ln.item_id, ln.lot_id, ln.from_id) for ln in lines}
        wanted = sorted((item, lot or 0, location) for item, lot, location in keys)
        item_ids = sorted({k[0] for k in keys})
        location_ids = sorted({k[2] for k in keys})
        order = func.coalesce(cost_layers.c.seq, cost_layers.c.id)
        self._open: dict[tuple[int, int | None, int], list[list]] = {}
        for start in range(0, len(item_ids), 500):
            query = (
                select(cost_layers.c.id, cost_layers.c.item_id, cost_layers.c.lot_id,
                       cost_layers.c.location_id, cost_layers.c.qty_left,
                       cost_layers.c.unit_cost, order)
                .where(id_in(conn, cost_layers.c.item_id, item_ids[start : start + 500]),
                       id_in(conn, cost_layers.c.location_id, location_ids),
                       cost_layers.c.qty_left > 0,
                       # only the balances' own layers: those are all that is locked
                       rows_in(conn, (cost_layers.c.item_id,
                                      func.coalesce(cost_layers.c.lot_id, 0),
                                      cost_layers.c.location_id), wanted))
                .order_by(cost_layers.c.item_id, order, cost_layers.c.id)
            )  # fmt: skip
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            for layer_id, item_id, lot_id, location_id, left, cost, seq in conn.execute(
                query
            ).all():
                key = (item_id, lot_id, location_id)
                if key in keys:
                    self._open.setdefault(key, []).append([layer_id, Decimal(left), cost, seq])
        self._left: dict[int, Decimal] = {}

    def take(
        self, item_id: int, lot_id: int | None, location_id: int, qty: Decimal
    ) -> tuple[Decimal, list[tuple[Decimal, Decimal, int | None]]]:
        """As `take_layers`, from the layers read."""
        remaining = qty
        taken: list[tuple[Decimal, Decimal, int | None]] = []
        for layer in self._open.get((item_id, lot_id, location_id), []):
            if remaining == 0:
                break
            layer_id, left, cost, seq = layer
            if left <= 0:
                continue
            take = min(left, remaining)
            layer[1] = left - take
            self._left[layer_id] = layer[1]
            taken.append((take, cost, seq))
            remaining -= take
        if remaining > 0:  # stock without layers (the ledger refuses the line if it is not there)
            taken.append((remaining, incoming_cost(self._conn, item_id, lot_id), None))
        return money(sum((q * c for q, c, _ in taken), Decimal(0))), taken

    def write(self) -> None:
        changes = [(left, layer_id) for layer_id, left in sorted(self._left.items())]
        update_rows(self._conn, "cost_layers", ("qty_left",), changes)


def take_layers(
    conn: Connection, item_id: int, lot_id: int | None, location_id: int, qty: Decimal
) -> tuple[Decimal, list[tuple[Decimal, Decimal, int | None]]]:
    """Take `qty` of an item (or lot) out of a location's oldest cost layers: what it was
    worth, and what it took as (qty, unit cost, place in the queue)."""
    order = func.coalesce(cost_layers.c.seq, cost_layers.c.id)
    query = (
        select(cost_layers.c.id, cost_layers.c.qty_left, cost_layers.c.unit_cost, order)
        .where(
            cost_layers.c.item_id == item_id,
            cost_layers.c.lot_id.is_(None) if lot_id is None else cost_layers.c.lot_id == lot_id,
            cost_layers.c.location_id == location_id,
            cost_layers.c.qty_left > 0,
        )
        .order_by(order, cost_layers.c.id)
    )
    if conn.dialect.name == "postgresql":  # concurrent takers wait, then see what is left
        query = query.with_for_update()
    remaining = qty
    taken: list[tuple[Decimal, Decimal, int | None]] = []
    changes = []
    for layer_id, left, cost, seq in conn.execute(query).all():
        take = min(left, remaining)
        changes.append({"layer": layer_id, "left": left - take})
        taken.append((take, cost, seq))
        remaining -= take
        if remaining == 0:
            break
    if changes:
        conn.execute(_SET_LEFT, changes)
    if remaining > 0:  # stock without layers (the ledger refuses the line if it is not there)
        taken.append((remaining, incoming_cost(conn, item_id, lot_id), None))
    return money(sum((q * c for q, c, _ in taken), Decimal(0))), taken


def incoming_cost(conn: Connection, item_id: int, lot_id: int | None) -> Decimal:
    """The unit cost of a lot or item coming in without one (a count that found more, a
    component back from an assembly): the lot's own cost, else that of its newest
    arrival from outside, else the standard cost."""
    lot = lot_by_id(conn, lot_id)
    if lot is not None and lot.unit_cost is not None:
        return lot.unit_cost
    newest = conn.execute(
        select(cost_layers.c.unit_cost)
        .where(
            cost_layers.c.item_id == item_id,
            cost_layers.c.lot_id.is_(None) if lot_id is None else cost_layers.c.lot_id == lot_id,
            cost_layers.c.seq.is_(None),  # not a transfer's copy of an older layer
        )
        .order_by(cost_layers.c.id.desc())
        .limit(1)
    ).scalar()
    if newest is not None:
        return newest
    return item_by_id(conn, item_id).standard_cost or Decimal(0)
