"""What stock costs: the value of each ledger line, first-in-first-out.

A serialized unit carries its own cost: the one it was received at (the item's
standard cost when none was given) or the cost of what it was built from. A lot and
an untracked item cost first-in-first-out: every line that brings some in from
outside (a receipt, a build's output, a return, a count that found more) adds a cost
layer, and every line that takes some out (a shipment, consumption, scrap, a count
that found less) takes the oldest layers first and is worth what it took. A lot is
costed on its own (its layers are its receipts); an untracked item's layers are
shared by all its locations. Moving a lot or an untracked item between two real
locations changes no value: such a line carries none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, insert, select, update

from tracelot.domain.errors import InvalidInput
from tracelot.services.lookup import item_by_id, location_ids_of_kind, lot_by_id
from tracelot.store.bulk import id_in
from tracelot.store.tables import cost_layers, units

if TYPE_CHECKING:
    from tracelot.services.ledger import Line

CENT = Decimal("0.000001")
#: NUMERIC(20, 6) holds values below this
_MAX_VALUE = Decimal(10) ** 14

_SET_LEFT = (
    update(cost_layers)
    .where(cost_layers.c.id == bindparam("layer"))
    .values(qty_left=bindparam("left"))
)


def money(value: Decimal) -> Decimal:
    """A value rounded to the six places the ledger keeps."""
    value = value.quantize(CENT)
    if abs(value) >= _MAX_VALUE:
        raise InvalidInput(f"a value of {value} is too large to keep")
    return value


def value_lines(conn: Connection, lines: Sequence[Line]) -> list[Line]:
    """`lines`, each that moves a unit or takes a lot or item out of stock valued (the
    latter takes its cost layers, oldest first). Lines already valued stay as they are."""
    virtual = location_ids_of_kind(conn, virtual=True)
    unit_ids = [ln.unit_id for ln in lines if ln.value is None and ln.unit_id is not None]
    unit_costs: dict[int, Decimal | None] = {}
    if unit_ids:
        query = select(units.c.id, units.c.unit_cost).where(id_in(conn, units.c.id, unit_ids))
        unit_costs = {uid: cost for uid, cost in conn.execute(query)}
    valued: list[Line] = []
    for ln in lines:
        if ln.value is None and ln.unit_id is not None:
            ln = dataclasses.replace(ln, value=money((unit_costs.get(ln.unit_id) or 0) * ln.qty))
        elif ln.value is None and ln.from_id not in virtual and ln.to_id in virtual:
            ln = dataclasses.replace(ln, value=take_layers(conn, ln.item_id, ln.lot_id, ln.qty))
        valued.append(ln)
    return valued


def take_layers(conn: Connection, item_id: int, lot_id: int | None, qty: Decimal) -> Decimal:
    """Take `qty` out of the oldest cost layers of an item (or lot); what it was worth."""
    query = (
        select(cost_layers.c.id, cost_layers.c.qty_left, cost_layers.c.unit_cost)
        .where(
            cost_layers.c.item_id == item_id,
            cost_layers.c.lot_id.is_(None) if lot_id is None else cost_layers.c.lot_id == lot_id,
            cost_layers.c.qty_left > 0,
        )
        .order_by(cost_layers.c.id)
    )
    if conn.dialect.name == "postgresql":  # concurrent takers wait, then see what is left
        query = query.with_for_update()
    value = Decimal(0)
    remaining = qty
    changes = []
    last_cost: Decimal | None = None
    for layer in conn.execute(query):
        take = min(layer.qty_left, remaining)
        changes.append({"layer": layer.id, "left": layer.qty_left - take})
        value += take * layer.unit_cost
        remaining -= take
        last_cost = layer.unit_cost
        if remaining == 0:
            break
    if changes:
        conn.execute(_SET_LEFT, changes)
    if remaining > 0:  # stock older than costing, or backdated: at the cost it has now
        cost = last_cost if last_cost is not None else incoming_cost(conn, item_id, lot_id)
        value += remaining * cost
    return money(value)


def incoming_cost(conn: Connection, item_id: int, lot_id: int | None) -> Decimal:
    """The unit cost of a lot or item coming in without one (a return, a count that
    found more): the lot's own cost, else the newest layer's, else the standard cost."""
    lot = lot_by_id(conn, lot_id)
    if lot is not None and lot.unit_cost is not None:
        return lot.unit_cost
    newest = conn.execute(
        select(cost_layers.c.unit_cost)
        .where(
            cost_layers.c.item_id == item_id,
            cost_layers.c.lot_id.is_(None) if lot_id is None else cost_layers.c.lot_id == lot_id,
        )
        .order_by(cost_layers.c.id.desc())
        .limit(1)
    ).scalar()
    if newest is not None:
        return newest
    return item_by_id(conn, item_id).standard_cost or Decimal(0)


def add_layers(conn: Connection, op_id: int, lines: Sequence[Line]) -> list[Line]:
    """Give each line that brings a lot or an untracked item in from outside its cost
    layer (valuing the line at the incoming cost when it has no value); `lines` valued."""
    virtual = location_ids_of_kind(conn, virtual=True)
    valued: list[Line] = []
    layers = []
    for ln in lines:
        if ln.unit_id is None and ln.from_id in virtual and ln.to_id not in virtual:
            if ln.value is None:
                cost = incoming_cost(conn, ln.item_id, ln.lot_id)
                ln = dataclasses.replace(ln, value=money(cost * ln.qty))
            layers.append(
                {
                    "item_id": ln.item_id,
                    "lot_id": ln.lot_id,
                    "operation_id": op_id,
                    "qty_in": ln.qty,
                    "qty_left": ln.qty,
                    "unit_cost": money(ln.value / ln.qty),
                }
            )
        valued.append(ln)
    if layers:
        conn.execute(insert(cost_layers), layers)
    return valued
