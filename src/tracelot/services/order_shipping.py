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

from sqlalchemy import Connection, Row, delete, func, insert, literal, select, update

from tracelot.domain.commands import Ship
from tracelot.domain.errors import InvalidInput, NotAvailable
from tracelot.domain.refs import parse_ref
from tracelot.domain.status import ON_HAND, LocationKind, OperationKind, status_at
from tracelot.domain.values import normalize
from tracelot.services import orders, packing
from tracelot.services.holds import any_open_holds
from tracelot.services.ledger import Line, new_operation, now, post
from tracelot.services.lookup import (
    Target,
    is_expired,
    item_by_id,
    location_by_id,
    lot_by_id,
    party_by_code,
    target_of,
    virtual_location,
)
from tracelot.services.picking import take_lines
from tracelot.services.reservations import checked_free, lock_balances_of
from tracelot.services.resolver import location_named, targets_named
from tracelot.services.results import OperationResult
from tracelot.services.summary import result
from tracelot.store.bulk import execute_rows, id_in, insert_rows, update_rows
from tracelot.store.engine import records
from tracelot.store.tables import (
    holds,
    locations,
    lots,
    reservations,
    sales_orders,
    so_lines,
    so_picks,
    stock,
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
    cases = packing.TakenOut()
    if c.refs:
        # cases and pallets named by their SSCC go whole: what they hold, each against its
        # line, and the cases follow (issue 20)
        named, refs, _ = packing.split_refs(conn, list(c.refs))
        cases = packing.take_out(conn, named, to_id=dest.id, today=today, for_use=True,
                                 from_location=source, so_id=order.id)  # fmt: skip
        split = [orders._split(text) for text in refs]
        targets = targets_named(conn, [t for t, _ in split])
        packing.refuse_named_twice(conn, cases, (t.unit.id for t in targets if t.unit),
                                   others=bool(targets), qty=c.qty)  # fmt: skip
        for ln in cases.lines:
            line = orders.line_for(lines_of, _target(conn, ln.item_id, ln.lot_id, ln.unit_id),
                                   left, order.id)  # fmt: skip
            _check_qty(order.id, line, left, ln.qty)
            taken.append((line, [ln]))
        seen: set[str] = set()
        for target, (_, own) in zip(targets, split, strict=True):
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
        sources = _sources(conn, order.id)
        packed = packing.cases_holding(conn, [p.unit_id for p in sources if p.unit_id])
        if packed:  # (a case goes whole: by its SSCC, with what it holds against the lines)
            raise NotAvailable(
                f"what is {'picked' if sources[0].pick else 'reserved'} for sales order "
                f"{order.id} is packed in SSCC {', '.join(packed)}: ship it against the order "
                f"by its SSCC (tracelot ship --so {order.id} {packed[0]}), or unpack it first"
            )
        by_id = {ln.id: ln for ln in lines_of}
        for p in sources:
            _check_qty(order.id, by_id[p.so_line_id], left, Decimal(p.qty))
        fast = _take_all(conn, order.id, sources, dest.id, today)
        if fast is not None:
            taken = [(by_id[p.so_line_id], [ln]) for p, ln in zip(sources, fast, strict=True)]
        else:  # something is amiss: one by one, so that the refusal names it
            taken = [(by_id[p.so_line_id], _take_one(conn, order.id, p, dest.id, today))
                     for p in sources]  # fmt: skip
        if sources and sources[0].pick:
            picks_used = [p.id for p in sources]
    if not taken:
        raise InvalidInput(f"nothing to ship for sales order {order.id}: nothing is picked or "
                           "reserved for it (name what to ship)")  # fmt: skip
    # the shipment names its order wherever shipments are listed (history, traces, a
    # recall's customers and notices), with the customer's reference or the one given
    extra = c.reference or order.reference
    reference = (f"SO {order.id} ({extra})" if extra else f"SO {order.id}")[:200]
    op_id = new_operation(conn, OperationKind.SHIP, user=user, at=at, reference=reference,
                          note=c.note, party_id=customer.id)  # fmt: skip
    packing.relocate(conn, cases, dest.id, customer.id, op_id)  # before: the ledger checks
    all_lines = [ln for _, got in taken for ln in got]
    posted = post(conn, op_id, all_lines, party_id=customer.id, own_reservations=True)
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


def _sources(conn: Connection, so_id: int) -> list[Row]:
    """What to ship without references: the picks not shipped yet, else the order's
    reservations (`pick` says which), each with its line, quantity and location."""
    picks = records(conn.execute(
        select(so_picks.c.id, so_picks.c.so_line_id, so_picks.c.item_id, so_picks.c.lot_id,
               so_picks.c.unit_id, so_picks.c.location_id, so_picks.c.qty,
               literal(True).label("pick"))
        .where(so_picks.c.so_id == so_id, so_picks.c.shipped_op_id.is_(None))
        .order_by(so_picks.c.id)
    ))  # fmt: skip
    if picks:
        return picks
    return records(conn.execute(
        select(reservations.c.id, reservations.c.so_line_id, reservations.c.item_id,
               reservations.c.lot_id, reservations.c.unit_id, reservations.c.location_id,
               reservations.c.qty, literal(False).label("pick"))
        .where(reservations.c.so_id == so_id).order_by(reservations.c.id)
    ))  # fmt: skip


def _take_one(conn: Connection, so_id: int, p: Row, to_id: int, today: dt.date) -> list[Line]:
    """The ledger lines that take one pick (or reservation), checked as any shipment is."""
    target = _target(conn, p.item_id, p.lot_id, p.unit_id)
    return take_lines(conn, target, None if target.unit is not None else Decimal(p.qty),
                      to_id=to_id, today=today, for_use=True,
                      from_location=location_by_id(conn, p.location_id), so_id=so_id)  # fmt: skip


def _take_all(
    conn: Connection, so_id: int, sources: list[Row], to_id: int, today: dt.date
) -> list[Line] | None:
    """The ledger lines that take every pick (or reservation) of an order, a line each,
    checked in a few statements however long the order: each balance holds what is
    taken of it beside what other orders reserve, each unit is still where it was
    picked, and none is held, expired, in quarantine or in transit. None at the first
    doubt: `_take_one` then says what is wrong."""
    item_ids = sorted({p.item_id for p in sources})
    lock_balances_of(conn, item_ids)
    wanted: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    for p in sources:
        if p.unit_id is None:
            wanted[(p.item_id, p.location_id, p.lot_id)] += Decimal(p.qty)
    unit_ids = sorted(p.unit_id for p in sources if p.unit_id is not None)
    held_lots: set[tuple[int, int | None]] = set()
    held_units: set[int] = set()
    if any_open_holds(conn):
        for start in range(0, len(item_ids), 500):
            for item_id, lot_id, unit_id in conn.execute(
                select(holds.c.item_id, holds.c.lot_id, holds.c.unit_id).where(
                    id_in(conn, holds.c.item_id, item_ids[start : start + 500]),
                    holds.c.released_op_id.is_(None))
            ).all():  # fmt: skip
                if unit_id is not None:
                    held_units.add(unit_id)
                else:
                    held_lots.add((item_id, lot_id))
    blocked = (LocationKind.QUARANTINE.value, LocationKind.TRANSIT.value)
    others: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    have: dict[tuple[int, int, int | None], Decimal] = {}
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start : start + 500]
        for r in records(conn.execute(
            select(stock.c.item_id, stock.c.location_id, stock.c.lot_id, stock.c.qty,
                   locations.c.kind, locations.c.virtual, lots.c.expires)
            .join(locations, locations.c.id == stock.c.location_id)
            .outerjoin(lots, lots.c.id == stock.c.lot_id)
            .where(id_in(conn, stock.c.item_id, chunk))
        )):  # fmt: skip
            key = (r.item_id, r.location_id, r.lot_id)
            if key not in wanted:
                continue
            if (r.virtual or r.kind in blocked or is_expired(r.expires, today)
                    or (r.item_id, r.lot_id) in held_lots):  # fmt: skip
                return None
            have[key] = Decimal(r.qty)
        for r in records(conn.execute(  # read afresh, not the transaction's memo of none at all
            select(reservations.c.item_id, reservations.c.location_id,
                   reservations.c.lot_id, reservations.c.qty)
            .where(id_in(conn, reservations.c.item_id, chunk), reservations.c.unit_id.is_(None),
                   reservations.c.so_id != so_id)
        )):  # fmt: skip
            others[(r.item_id, r.location_id, r.lot_id)] += Decimal(r.qty)
    for key, qty in wanted.items():
        if key not in have or have[key] - others.get(key, Decimal(0)) < qty:
            return None
    where: dict[int, int] = {}
    for start in range(0, len(unit_ids), 500):
        expires = func.coalesce(units.c.expires, lots.c.expires)
        for r in records(conn.execute(
            select(units.c.id, units.c.item_id, units.c.location_id, units.c.lot_id,
                   locations.c.kind,
                   expires.label("expires"), reservations.c.so_id.label("reserved_for"))
            .join(locations, locations.c.id == units.c.location_id)
            .outerjoin(lots, lots.c.id == units.c.lot_id)
            .outerjoin(reservations, reservations.c.unit_id == units.c.id)
            .where(id_in(conn, units.c.id, unit_ids[start : start + 500]))
        )):  # fmt: skip
            if (status_at(r.kind) not in ON_HAND or r.kind in blocked
                    or is_expired(r.expires, today) or r.id in held_units
                    or (r.item_id, r.lot_id) in held_lots
                    or (r.reserved_for is not None and r.reserved_for != so_id)):  # fmt: skip
                return None
            where[r.id] = r.location_id
    checked_free(conn, so_id=so_id, unit_ids=unit_ids, balances=list(wanted))
    lines = []
    for p in sources:
        if p.unit_id is not None:
            if where.get(p.unit_id) != p.location_id:
                return None
            lines.append(Line(p.item_id, p.location_id, to_id, Decimal(1), lot_id=p.lot_id,
                              unit_id=p.unit_id))  # fmt: skip
        else:
            lines.append(Line(p.item_id, p.location_id, to_id, Decimal(p.qty), lot_id=p.lot_id))
    return lines


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
    shipped = sorted(per_line.items())
    if execute_rows(conn, _SHIPPED, [(qty, line_id, qty) for line_id, qty in shipped]) != len(
        shipped
    ):  # a concurrent shipment took what was left
        raise NotAvailable(f"sales order {so_id} changed: retry")
    insert_rows(conn, "so_shipments", ("so_line_id", "operation_id", "qty"),
                [(line_id, op_id, qty) for line_id, qty in shipped])  # fmt: skip
    if picks_used:
        conn.execute(update(so_picks).where(id_in(conn, so_picks.c.id, picks_used))
                     .values(shipped_op_id=op_id))  # fmt: skip
    else:
        _trim_picks(conn, so_id)
    outstanding = conn.execute(
        select(func.count()).select_from(so_lines)
        .where(so_lines.c.so_id == so_id, so_lines.c.shipped < so_lines.c.qty)
    ).scalar_one()  # fmt: skip
    status = orders.SHIPPED if outstanding == 0 else orders.PARTLY_SHIPPED
    conn.execute(update(sales_orders).where(sales_orders.c.id == so_id).values(
        status=status, closed_at=now() if status == orders.SHIPPED else None))  # fmt: skip
    if status == orders.SHIPPED:  # nothing is left to ship: nothing stays held for it
        conn.execute(delete(reservations).where(reservations.c.so_id == so_id))
    else:
        _use_reservations(conn, so_id, took)
        orders.trim(conn, so_id)


#: a line's shipped quantity grows, never beyond what it orders
_SHIPPED = "UPDATE so_lines SET shipped = shipped + ? WHERE id = ? AND shipped + ? <= qty"


def _use_reservations(
    conn: Connection, so_id: int, took: dict[tuple[int, int, int | None, int | None], Decimal]
) -> None:
    """Release what the order's lines had reserved of the stock the shipment took (read
    once, written in a few statements: a long order is one question, not one a line)."""
    held: dict[tuple[int, int, int | None, int | None], list[list]] = defaultdict(list)
    for r in records(conn.execute(
        select(reservations.c.id, reservations.c.so_line_id, reservations.c.location_id,
               reservations.c.lot_id, reservations.c.unit_id, reservations.c.qty)
        .where(reservations.c.so_id == so_id).order_by(reservations.c.id)
    )):  # fmt: skip
        held[(r.so_line_id, r.location_id, r.lot_id, r.unit_id)].append([r.id, Decimal(r.qty)])
    gone: list[int] = []
    less: list[tuple[Decimal, int]] = []  # (what is left reserved, reservation)
    for key, qty in took.items():
        for entry in held.get(key, []):
            if qty <= 0:
                break
            if entry[1] <= qty:
                gone.append(entry[0])
                qty -= entry[1]
            else:
                less.append((entry[1] - qty, entry[0]))
                qty = Decimal(0)
    if gone:
        conn.execute(delete(reservations).where(id_in(conn, reservations.c.id, gone)))
    update_rows(conn, "reservations", ("qty",), less)


def _use_pick(conn: Connection, so_id: int, line_id: int, ln: Line, op_id: int) -> None:
    """Mark shipped the picks a shipment named by reference took: whole picks, and of a
    pick bigger than what is left of the line, the part taken (the pick is split)."""
    query = select(so_picks).where(
        so_picks.c.so_line_id == line_id, so_picks.c.shipped_op_id.is_(None),
        so_picks.c.location_id == ln.from_id,
    )  # fmt: skip
    if ln.unit_id is not None:
        query = query.where(so_picks.c.unit_id == ln.unit_id)
    elif ln.lot_id is not None:
        query = query.where(so_picks.c.lot_id == ln.lot_id)
    left = ln.qty
    for pick in conn.execute(query.order_by(so_picks.c.id)).all():
        if left <= 0:
            break
        if pick.qty > left:
            conn.execute(update(so_picks).where(so_picks.c.id == pick.id)
                         .values(qty=pick.qty - left))  # fmt: skip
            part = {**pick._asdict(), "qty": left, "shipped_op_id": op_id}
            del part["id"]
            conn.execute(insert(so_picks), part)
            break
        conn.execute(update(so_picks).where(so_picks.c.id == pick.id).values(shipped_op_id=op_id))
        left -= pick.qty


def _trim_picks(conn: Connection, so_id: int) -> None:
    """After a shipment by reference, picks a line no longer needs (it shipped other
    stock than was picked) are let go, the newest first: `ship --so N` would otherwise
    ship more than the line orders and be refused."""
    picks = conn.execute(
        select(so_picks.c.id, so_picks.c.so_line_id, so_picks.c.qty,
               so_lines.c.qty.label("ordered"), so_lines.c.shipped)
        .join(so_lines, so_lines.c.id == so_picks.c.so_line_id)
        .where(so_picks.c.so_id == so_id, so_picks.c.shipped_op_id.is_(None))
        .order_by(so_picks.c.so_line_id, so_picks.c.id)
    ).all()  # fmt: skip
    by_line: dict[int, list[Any]] = defaultdict(list)
    for p in picks:
        by_line[p.so_line_id].append(p)
    for line_picks in by_line.values():
        need = line_picks[0].ordered - line_picks[0].shipped
        over = sum((p.qty for p in line_picks), Decimal(0)) - need
        for p in reversed(line_picks):
            if over <= 0:
                break
            if p.qty <= over:
                conn.execute(delete(so_picks).where(so_picks.c.id == p.id))
            else:
                conn.execute(update(so_picks).where(so_picks.c.id == p.id)
                             .values(qty=p.qty - over))  # fmt: skip
            over -= p.qty
