"""Building assemblies: consume components, produce the output, link the genealogy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Connection, Row, insert, select, update

from tracelot.domain.errors import AlreadyExists, InvalidInput, NotAvailable, WrongKind
from tracelot.domain.refs import parse_consume
from tracelot.domain.status import OperationKind, Tracking
from tracelot.domain.values import check_code, normalize, parse_date, parse_qty
from tracelot.services.ledger import Line, new_operation, now, post
from tracelot.services.lookup import (
    Target,
    item_by_code,
    location_by_code,
    resolve,
    resolve_many,
    virtual_location,
)
from tracelot.services.picking import check_unit_available, take_lines
from tracelot.services.results import OperationResult
from tracelot.services.summary import result
from tracelot.services.trace import Key, reached
from tracelot.store.tables import genealogy, lots, units


def build(
    conn: Connection,
    *,
    user: str,
    item: str,
    to: str,
    consume: Sequence[str],
    serial: str | None = None,
    lot: str | None = None,
    qty: Decimal | str | int | None = None,
    expires: dt.date | str | None = None,
    reference: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> OperationResult:
    """Produce `item` at `to` from the components in `consume` (each `REF[=QTY]`).

    Components are taken from `to` first, then first-expiry-first-out elsewhere; the
    output gets genealogy links to every unit, lot and item it consumed.
    """
    out_item = item_by_code(conn, item)
    dest = location_by_code(conn, to)
    production = virtual_location(conn, "PRODUCTION")
    today = (at or now()).date()
    out_qty = _output_quantity(out_item, serial, lot, qty)
    expiry = parse_date(expires, what="expiry date") if expires is not None else None
    if expiry is None and out_item.shelf_life_days and out_item.tracking != Tracking.NONE:
        expiry = today + dt.timedelta(days=out_item.shelf_life_days)
    if serial is not None:
        serial = check_code(serial, what="serial")
        taken = conn.execute(
            select(units.c.id).where(units.c.item_id == out_item.id, units.c.serial == serial)
        ).first()
        if taken:
            raise AlreadyExists(f"item {out_item.code} already has serial {serial}")
    if lot is not None:
        lot = check_code(lot, what="lot code")
    if not consume:
        raise InvalidInput("a build consumes something: give --consume REF[=QTY]")

    inputs: list[tuple[Target, list[Line]]] = []
    seen: set[str] = set()
    containers = _containers_of_lot(conn, out_item, lot) if serial is None else set()
    specs = [parse_consume(spec) for spec in consume]
    for target, (_, want) in zip(resolve_many(conn, [r for r, _ in specs]), specs, strict=True):
        _refuse_own_output(target, out_item, serial, lot)
        if _key(target) in containers:
            raise InvalidInput(f"{target} contains {out_item.code}@{lot}: it can not go into it")
        if str(target) in seen:
            raise InvalidInput(f"{target} is consumed twice in one build")
        seen.add(str(target))
        lines = take_lines(
            conn,
            target,
            want,
            to_id=production.id,
            today=today,
            for_use=True,
            prefer_location_id=dest.id,
            default_qty=Decimal(1),
        )
        inputs.append((target, lines))

    op_id = new_operation(
        conn, OperationKind.BUILD, user=user, at=at, reference=reference, note=note
    )
    consumed = [ln for _, lines in inputs for ln in lines]
    post(conn, op_id, consumed)
    cost = _rolled_up_cost(conn, inputs, out_qty) or out_item.standard_cost
    unit_id, lot_id = _create_output(
        conn, out_item, serial, lot, expiry, cost, production.id, op_id, today
    )
    output_line = Line(out_item.id, production.id, dest.id, out_qty, lot_id=lot_id, unit_id=unit_id)
    post(conn, op_id, [output_line])
    conn.execute(
        insert(genealogy),
        [
            {
                "operation_id": op_id,
                "parent_item_id": out_item.id,
                "parent_unit_id": unit_id,
                "parent_lot_id": lot_id,
                "child_item_id": target.item.id,
                "child_unit_id": target.unit.id if target.unit is not None else None,
                "child_lot_id": ln.lot_id,
                "qty": ln.qty,
            }
            for target, lines in inputs
            for ln in _merge_by_lot(lines)
        ],
    )
    output_ref = (
        f"{out_item.code}:{serial}"
        if serial
        else f"{out_item.code}@{lot}"
        if lot
        else out_item.code
    )
    return result(conn, op_id, [*consumed, output_line], outputs=[output_ref])


def _output_quantity(item: Row, serial: str | None, lot: str | None, qty: object) -> Decimal:
    quantity = parse_qty(qty) if qty is not None else None
    if item.tracking == Tracking.SERIAL:
        if serial is None:
            raise InvalidInput(f"item {item.code} is serial-tracked: give the output's --serial")
        if quantity is not None and quantity != 1:
            raise InvalidInput(f"a serialized unit's quantity is 1, not {normalize(quantity)}")
        return Decimal(1)
    if serial is not None:
        raise WrongKind(f"item {item.code} is not serial-tracked: it takes no --serial")
    if item.tracking == Tracking.LOT and lot is None:
        raise InvalidInput(f"item {item.code} is lot-tracked: give the output's --lot and --qty")
    if item.tracking == Tracking.NONE and lot is not None:
        raise WrongKind(f"item {item.code} is not lot-tracked: it takes no --lot")
    if quantity is None:
        raise InvalidInput(f"give --qty: how many {item.code} are built")
    return quantity


def _refuse_own_output(target: Target, out_item: Row, serial: str | None, lot: str | None) -> None:
    if target.item.id != out_item.id:
        return
    if (target.unit is not None and target.unit.serial == serial) or (
        target.lot is not None and target.lot.code == lot
    ):
        raise InvalidInput(f"a build can not consume its own output {target}")


def _containers_of_lot(conn: Connection, item: Row, lot: str | None) -> set[Key]:
    """What an existing output lot already went into: consuming one of them makes a cycle."""
    lot_id = conn.execute(
        select(lots.c.id).where(lots.c.item_id == item.id, lots.c.code == lot)
    ).scalar()
    return reached(conn, "forward", ("lot", lot_id)) if lot_id is not None else set()


def _key(target: Target) -> Key | None:
    if target.unit is not None:
        return ("unit", target.unit.id)
    return ("lot", target.lot.id) if target.lot is not None else None


def _merge_by_lot(lines: list[Line]) -> list[Line]:
    """One genealogy link per lot taken from, however many locations gave it."""
    merged: dict[tuple[int | None, int | None], Line] = {}
    for ln in lines:
        key = (ln.unit_id, ln.lot_id)
        prev = merged.get(key)
        merged[key] = (
            ln
            if prev is None
            else Line(ln.item_id, ln.from_id, ln.to_id, prev.qty + ln.qty, ln.lot_id, ln.unit_id)
        )
    return list(merged.values())


def _rolled_up_cost(
    conn: Connection, inputs: list[tuple[Target, list[Line]]], out_qty: Decimal
) -> Decimal | None:
    """The output's unit cost: the cost of what it consumed, per unit of output."""
    total = Decimal(0)
    known = False
    for target, lines in inputs:
        for ln in lines:
            cost = None
            if target.unit is not None:
                cost = target.unit.unit_cost
            if cost is None and ln.lot_id is not None:
                cost = conn.execute(
                    select(lots.c.unit_cost).where(lots.c.id == ln.lot_id)
                ).scalar_one()
            if cost is None:
                cost = target.item.standard_cost
            if cost is not None:
                total += cost * ln.qty
                known = True
    return (total / out_qty).quantize(Decimal("0.000001")) if known else None


def _create_output(
    conn: Connection,
    item: Row,
    serial: str | None,
    lot: str | None,
    expiry: dt.date | None,
    cost: Decimal | None,
    production_id: int,
    op_id: int,
    today: dt.date,
) -> tuple[int | None, int | None]:
    """Create the output unit or lot at PRODUCTION; the output line then moves it to `to`."""
    lot_id = None
    if lot is not None:
        row = conn.execute(
            select(lots).where(lots.c.item_id == item.id, lots.c.code == lot)
        ).first()
        if row is None:
            lot_id = conn.execute(
                insert(lots)
                .values(
                    item_id=item.id,
                    code=lot,
                    expires=expiry,
                    made=today,
                    unit_cost=cost,
                    created_op_id=op_id,
                )
                .returning(lots.c.id)
            ).scalar_one()
        else:
            lot_id = row.id
    unit_id = None
    if serial is not None:
        unit_id = conn.execute(
            insert(units)
            .values(
                item_id=item.id,
                serial=serial,
                lot_id=lot_id,
                location_id=production_id,
                expires=expiry if lot_id is None else None,
                made=today,
                unit_cost=cost,
                created_op_id=op_id,
            )
            .returning(units.c.id)
        ).scalar_one()
    return unit_id, lot_id


def replace(
    conn: Connection,
    *,
    user: str,
    assembly: str,
    remove: str,
    install: str,
    to: str | None = None,
    scrap: bool = False,
    reference: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> OperationResult:
    """Repair: take a component unit out of a built unit and put another in.

    The removed unit goes to `to` (default: where the assembly is) or to SCRAP; the
    genealogy keeps both links, the old one marked with this repair.
    """
    if scrap and to:
        raise InvalidInput("give --to or --scrap, not both")
    target = resolve(conn, assembly)
    if target.unit is None:
        raise WrongKind(f"replace works on a built unit (ITEM:SERIAL), not {target}")
    today = (at or now()).date()
    production = virtual_location(conn, "PRODUCTION")
    assembly_loc = check_unit_available(conn, target, today=today, for_use=False)
    old, new = resolve(conn, remove), resolve(conn, install)
    if old.unit is None or new.unit is None:
        raise WrongKind("replace swaps units: give --remove ITEM:SERIAL and --install ITEM:SERIAL")
    link = conn.execute(
        select(genealogy).where(
            genealogy.c.parent_unit_id == target.unit.id,
            genealogy.c.child_unit_id == old.unit.id,
            genealogy.c.removed_op_id.is_(None),
        )
    ).first()
    if link is None:
        raise NotAvailable(f"{old} is not a component of {target}")
    if new.unit.id == target.unit.id:
        raise InvalidInput(f"a unit can not be installed into itself: {new}")
    install_lines = take_lines(conn, new, None, to_id=production.id, today=today, for_use=True)
    dest = (
        virtual_location(conn, "SCRAP")
        if scrap
        else (location_by_code(conn, to) if to else assembly_loc)
    )
    removed = Line(old.item.id, production.id, dest.id, Decimal(1), old.unit.lot_id, old.unit.id)
    op_id = new_operation(
        conn, OperationKind.REPLACE, user=user, at=at, reference=reference,
        note=note or f"{target}: {old} replaced by {new}",
    )  # fmt: skip
    post(conn, op_id, [removed, *install_lines])
    conn.execute(
        update(genealogy)
        .where(genealogy.c.id == link.id, genealogy.c.removed_op_id.is_(None))
        .values(removed_op_id=op_id)
    )
    conn.execute(
        insert(genealogy).values(
            operation_id=op_id, parent_item_id=target.item.id, parent_unit_id=target.unit.id,
            parent_lot_id=target.unit.lot_id, child_item_id=new.item.id,
            child_unit_id=new.unit.id, child_lot_id=new.unit.lot_id, qty=Decimal(1),
        )
    )  # fmt: skip
    return result(conn, op_id, [removed, *install_lines])
