"""Shipping against a sales order (`ship --so N`).

Each unit or lot shipped goes against a line of the order (its item, and its lot when
the line names one): more than a line still orders is refused, less leaves a backorder.
Without references, what was picked for the order is shipped (or, nothing picked, what
is reserved for it). The order's own reservations may be taken; others' may not. The
reservations used are released, and the order becomes partly shipped or shipped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from tracelot.domain.commands import Ship
from tracelot.domain.errors import InvalidInput, NotAvailable
from tracelot.domain.refs import parse_ref
from tracelot.domain.status import OperationKind
from tracelot.domain.values import normalize
from tracelot.services import orders
from tracelot.services.ledger import Line, new_operation, now, post
from tracelot.services.lookup import (
    Target,
    item_by_id,
    location_by_id,
    lot_by_id,
    party_by_code,
    target_of,
    virtual_location,
)
from tracelot.services.picking import take_lines
from tracelot.services.resolver import location_named, targets_named
from tracelot.services.results import OperationResult
from tracelot.services.summary import result
from tracelot.store.tables import (
    reservations,
    sales_orders,
    so_lines,
    so_picks,
    so_shipments,
    units,
)


def ship_order(
    conn: Connection, command: Ship, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """Ship against sales order `command.so` (see the module)."""
    c = command
    assert c.so is not None
    order = orders.order_row(conn, c.so, lock=True)
    if order.status not in orders.ACTIVE:
        hint = ": confirm it first (`tracelot so confirm`)" if order.status == "draft" else ""
        raise NotAvailable(f"sales order {order.id} is {order.status}{hint}")
    customer = party_by_code(conn, order.customer, "customer")
    if c.to is not None and party_by_code(conn, c.to, "customer").id != customer.id:
        raise InvalidInput(f"sales order {order.id} is {order.customer}'s, not {c.to}'s")
    dest = virtual_location(conn, "CUSTOMER")
    source = location_named(conn, c.from_) if c.from_ else None
    today = (at or now()).date()
    lines_of = orders.order_lines(conn, order.id)
    left = {ln.id: ln.qty - ln.shipped for ln in lines_of}
    taken: list[tuple[Row, list[Line]]] = []
    picks_used: list[int] = []
    if c.refs:
        split = [orders._split(text) for text in c.refs]
        seen: set[str] = set()
        for target, (_, own) in zip(targets_named(conn, [t for t, _ in split]), split,
                                    strict=True):  # fmt: skip
            if str(target) in seen:
                raise InvalidInput(f"{target} is named twice")
            seen.add(str(target))
            line = orders.line_for(lines_of, target, left, order.id)
            qty = None if target.unit is not None else (own or c.qty or left[line.id])
            _check_qty(order.id, line, left, Decimal(1) if qty is None else qty)
            got = take_lines(conn, target, qty, to_id=dest.id, today=today, for_use=True,
                             from_location=source, so_id=order.id)  # fmt: skip
            taken.append((line, got))
    else:
        for line, target, qty, loc_id, pick_id in _sources(conn, order.id, lines_of):
            _check_qty(order.id, line, left, qty)
            from_loc = location_by_id(conn, loc_id)
            got = take_lines(conn, target, None if target.unit is not None else qty,
                             to_id=dest.id, today=today, for_use=True, from_location=from_loc,
                             so_id=order.id)  # fmt: skip
            taken.append((line, got))
            if pick_id is not None:
                picks_used.append(pick_id)
    if not taken:
        raise InvalidInput(f"nothing to ship for sales order {order.id}: nothing is picked or "
                           "reserved for it (name what to ship)")  # fmt: skip
    # the shipment names its order wherever shipments are listed (history, traces, a
    # recall's customers and notices), with the customer's reference or the one given
    extra = c.reference or order.reference
    reference = (f"SO {order.id} ({extra})" if extra else f"SO {order.id}")[:200]
    op_id = new_operation(conn, OperationKind.SHIP, user=user, at=at, reference=reference,
                          note=c.note, party_id=customer.id)  # fmt: skip
    all_lines = [ln for _, got in taken for ln in got]
    posted = post(conn, op_id, all_lines, party_id=customer.id)
    _record(conn, order.id, op_id, taken, picks_used)
    done = result(conn, op_id, posted)
    done.order = order.id
    return done


def _check_qty(so_id: int, line: Row, left: dict[int, Decimal], qty: Decimal) -> None:
    if qty > left[line.id] or left[line.id] <= 0:
        raise InvalidInput(
            f"more than ordered: line {line.line_no} of sales order {so_id} orders "
            f"{normalize(line.qty)} {line.item}, {normalize(line.qty - left[line.id])} shipped "
            f"or shipping, not {normalize(qty)} more"
        )
    left[line.id] -= qty


def _target(conn: Connection, item_id: int, lot_id: int | None, unit_id: int | None) -> Target:
    item = item_by_id(conn, item_id)
    if unit_id is not None:
        serial = conn.execute(select(units.c.serial).where(units.c.id == unit_id)).scalar_one()
        return target_of(conn, parse_ref(f"{item.code}:{serial}"))
    if lot_id is not None:
        lot = lot_by_id(conn, lot_id)
        assert lot is not None
        return Target(parse_ref(f"{item.code}@{lot.code}"), item, lot)
    return Target(parse_ref(item.code), item)


def _sources(
    conn: Connection, so_id: int, lines_of: list[Row]
) -> list[tuple[Row, Target, Decimal, int, int | None]]:
    """What to ship without references: the picks not shipped yet, else the order's
    reservations; each with its line, quantity, location and pick."""
    by_id = {ln.id: ln for ln in lines_of}
    picks = conn.execute(
        select(so_picks).where(so_picks.c.so_id == so_id, so_picks.c.shipped_op_id.is_(None))
        .order_by(so_picks.c.id)
    ).all()  # fmt: skip
    if picks:
        return [(by_id[p.so_line_id], _target(conn, p.item_id, p.lot_id, p.unit_id),
                 Decimal(p.qty), p.location_id, p.id) for p in picks]  # fmt: skip
    held = conn.execute(
        select(reservations).where(reservations.c.so_id == so_id).order_by(reservations.c.id)
    ).all()
    return [(by_id[r.so_line_id], _target(conn, r.item_id, r.lot_id, r.unit_id),
             Decimal(r.qty), r.location_id, None) for r in held]  # fmt: skip


def _record(
    conn: Connection, so_id: int, op_id: int, taken: list[tuple[Row, list[Line]]],
    picks_used: list[int],
) -> None:  # fmt: skip
    """Count the shipment against its lines, use up the reservations and picks it took,
    and set the order's status."""
    per_line: dict[int, Decimal] = defaultdict(Decimal)
    took: dict[tuple[int, int, int | None, int | None], Decimal] = defaultdict(Decimal)
    for line, got in taken:
        for ln in got:
            per_line[line.id] += ln.qty
            took[(line.id, ln.from_id, ln.lot_id, ln.unit_id)] += ln.qty
            if not picks_used:
                _use_pick(conn, so_id, line.id, ln, op_id)
    _use_reservations(conn, so_id, took)
    for line_id, qty in sorted(per_line.items()):
        done = conn.execute(_SHIPPED, {"line": line_id, "more": qty})
        if done.rowcount != 1:  # a concurrent shipment took what was left
            raise NotAvailable(f"sales order {so_id} changed: retry")
    conn.execute(insert(so_shipments), [
        {"so_line_id": line_id, "operation_id": op_id, "qty": qty}
        for line_id, qty in sorted(per_line.items())
    ])  # fmt: skip
    for start in range(0, len(picks_used), 500):
        conn.execute(update(so_picks).where(so_picks.c.id.in_(picks_used[start : start + 500]))
                     .values(shipped_op_id=op_id))  # fmt: skip
    orders.trim(conn, so_id)
    outstanding = conn.execute(
        select(func.count()).select_from(so_lines)
        .where(so_lines.c.so_id == so_id, so_lines.c.shipped < so_lines.c.qty)
    ).scalar_one()  # fmt: skip
    status = orders.SHIPPED if outstanding == 0 else orders.PARTLY_SHIPPED
    conn.execute(update(sales_orders).where(sales_orders.c.id == so_id).values(
        status=status, closed_at=now() if status == orders.SHIPPED else None))  # fmt: skip
    if status == orders.SHIPPED:  # nothing is left to ship: nothing stays held for it
        conn.execute(delete(reservations).where(reservations.c.so_id == so_id))


#: a line's shipped quantity grows, never beyond what it orders
_SHIPPED = (
    update(so_lines)
    .where(so_lines.c.id == bindparam("line"),
           so_lines.c.shipped + bindparam("more") <= so_lines.c.qty)
    .values(shipped=so_lines.c.shipped + bindparam("more"))
)  # fmt: skip


def _use_reservations(
    conn: Connection, so_id: int, took: dict[tuple[int, int, int | None, int | None], Decimal]
) -> None:
    """Release what the order's lines had reserved of the stock the shipment took (read
    once, written in a few statements: a long order is one question, not one a line)."""
    held: dict[tuple[int, int, int | None, int | None], list[list]] = defaultdict(list)
    for r in conn.execute(
        select(reservations.c.id, reservations.c.so_line_id, reservations.c.location_id,
               reservations.c.lot_id, reservations.c.unit_id, reservations.c.qty)
        .where(reservations.c.so_id == so_id).order_by(reservations.c.id)
    ):  # fmt: skip
        held[(r.so_line_id, r.location_id, r.lot_id, r.unit_id)].append([r.id, Decimal(r.qty)])
    gone: list[int] = []
    less: list[dict[str, Any]] = []
    for key, qty in took.items():
        for entry in held.get(key, []):
            if qty <= 0:
                break
            if entry[1] <= qty:
                gone.append(entry[0])
                qty -= entry[1]
            else:
                less.append({"rid": entry[0], "left": entry[1] - qty})
                qty = Decimal(0)
    for start in range(0, len(gone), 500):
        conn.execute(delete(reservations).where(reservations.c.id.in_(gone[start : start + 500])))
    for change in less:
        conn.execute(update(reservations).where(reservations.c.id == change["rid"])
                     .values(qty=change["left"]))  # fmt: skip


def _use_pick(conn: Connection, so_id: int, line_id: int, ln: Line, op_id: int) -> None:
    """Mark shipped the picks a shipment named by reference took (whole picks)."""
    query = select(so_picks.c.id, so_picks.c.qty).where(
        so_picks.c.so_line_id == line_id, so_picks.c.shipped_op_id.is_(None),
        so_picks.c.location_id == ln.from_id,
    )  # fmt: skip
    if ln.unit_id is not None:
        query = query.where(so_picks.c.unit_id == ln.unit_id)
    elif ln.lot_id is not None:
        query = query.where(so_picks.c.lot_id == ln.lot_id)
    left = ln.qty
    for pick_id, qty in conn.execute(query.order_by(so_picks.c.id)).all():
        if qty > left:
            break
        conn.execute(update(so_picks).where(so_picks.c.id == pick_id).values(shipped_op_id=op_id))
        left -= qty
