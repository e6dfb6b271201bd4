"""Building assemblies: consume components, produce the output, link the genealogy."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from dataclasses import replace as dc_replace
from decimal import Decimal

from sqlalchemy import Connection, Row, insert, select, update

from tracelot.domain.commands import Build, BuildRun, Output, Replace
from tracelot.domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotAvailable,
    TracelotError,
    WrongKind,
)
from tracelot.domain.refs import split_consume
from tracelot.domain.status import OperationKind, Tracking
from tracelot.domain.values import check_code, check_gs1_keys, normalize, parse_date, parse_qty
from tracelot.services import voids
from tracelot.services.costing import cost_lines, money
from tracelot.services.ledger import Line, apply, new_operation, now, post
from tracelot.services.lookup import (
    Target,
    virtual_location,
)
from tracelot.services.picking import check_unit_available, take_lines
from tracelot.services.resolver import item_named, location_named, target_named, targets_named
from tracelot.services.results import OperationResult
from tracelot.services.summary import result
from tracelot.services.trace import Key, reached
from tracelot.store import reach
from tracelot.store.bulk import existing_serials, insert_rows
from tracelot.store.tables import genealogy, lots, units


def output_of(spec: Output | Mapping[str, object]) -> Output:
    """An `Output` from itself or from a mapping of its fields (a JSON object, a CSV row)."""
    if isinstance(spec, Output):
        return spec
    unknown = sorted(set(spec) - {f.name for f in fields(Output)})
    if unknown:
        raise InvalidInput(f"an output has no field {unknown[0]!r}")
    consume = spec.get("consume") or []
    if isinstance(consume, str):
        consume = consume.replace(";", " ").split()
    return Output(**{**spec, "consume": list(consume)})  # type: ignore[arg-type]


def read_plan(rows: Iterable[str]) -> list[Output]:
    """The outputs of a production run from CSV lines: a header naming `serial`, or `lot`
    and `qty`, optionally `expires`, and `consume` (the REF[=QTY] separated by spaces or
    semicolons); empty cells are left out."""
    reader = csv.DictReader(rows)
    if reader.fieldnames is None:
        raise InvalidInput("the plan is empty: give a header line and one line per output")
    outputs = []
    for number, row in enumerate(reader, start=2):
        spec = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            outputs.append(output_of({k: v for k, v in spec.items() if v}))
        except InvalidInput as exc:
            raise InvalidInput(f"plan line {number}: {exc}") from None
    return outputs


@dataclass
class _Plan:
    output: Output
    ref: str
    qty: Decimal
    expires: dt.date | None
    inputs: list[tuple[Target, list[Line]]] = field(default_factory=list)
    unit_id: int | None = None
    lot_id: int | None = None
    cost: Decimal = Decimal(0)  # per unit of output: what it consumed


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
    return _build_run(
        conn, user=user, item=item, to=to, outputs=[Output(consume, serial, lot, qty, expires)],
        reference=reference, note=note, at=at,
    )  # fmt: skip


def handle_build(
    conn: Connection, command: Build, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """Build (the command): see `build`."""
    c = command
    output = Output(list(c.consume), c.serial, c.lot, c.qty, c.expires)
    return _build_run(conn, user=user, item=c.item, to=c.to, outputs=[output],
                      reference=c.reference, note=c.note, at=at)  # fmt: skip


def handle_build_run(
    conn: Connection, command: BuildRun, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """A production run (the command): see `_build_run`."""
    c = command
    return _build_run(conn, user=user, item=c.item, to=c.to, outputs=c.outputs,
                      reference=c.reference, note=c.note, at=at)  # fmt: skip


def _build_run(
    conn: Connection,
    *,
    user: str,
    item: str,
    to: str,
    outputs: Sequence[Output | Mapping[str, object]],
    reference: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> OperationResult:
    """A production run: build many outputs of `item` at `to` in one operation.

    Each output consumes its own components, as `build` does; quantities of one lot or
    item wanted by several outputs are picked together and then shared out in order.
    The whole run is set-based (a few statements, however many outputs) and is kept
    whole or refused whole.
    """
    out_item = item_named(conn, item)
    dest = location_named(conn, to)
    production = virtual_location(conn, "PRODUCTION")
    today = (at or now()).date()
    if not outputs:
        raise InvalidInput("a production run builds something: give its outputs")
    plans = []
    for number, output in enumerate(outputs, start=1):
        try:
            plans.append(_plan(out_item, output_of(output), today))
        except TracelotError as exc:
            if len(outputs) == 1:
                raise
            raise type(exc)(f"output {number}: {exc}") from None
    _refuse_repeated_outputs(conn, out_item, plans)
    _take_components(conn, out_item, plans, production.id, dest.id, today)
    # the components' balances are locked before their cost layers are taken
    apply(conn, [ln for plan in plans for _, lines in plan.inputs for ln in lines])
    _value_inputs(conn, plans, out_item.standard_cost)

    op_id = new_operation(
        conn, OperationKind.BUILD, user=user, at=at, reference=reference, note=note
    )
    consumed = _consumption_lines(plans)
    post(conn, op_id, consumed, applied=True)
    _create_outputs(conn, out_item, plans, production.id, op_id, today)
    output_lines = [
        Line(out_item.id, production.id, dest.id, plan.qty, plan.lot_id, plan.unit_id,
             money(plan.cost * plan.qty))
        for plan in plans
    ]  # fmt: skip
    post(conn, op_id, output_lines)
    insert_rows(conn, "genealogy", _LINK_COLUMNS, (
        (op_id, out_item.id, plan.unit_id, plan.lot_id, target.item.id,
         target.unit.id if target.unit is not None else None, ln.lot_id, ln.qty)
        for plan in plans
        for target, lines in plan.inputs
        for ln in _merge_by_lot(lines)
    ))  # fmt: skip
    # a run's outputs may feed each other (more of lot M1, and M2 made of M1)
    reach.extend(conn, [op_id], may_chain=len(plans) > 1)
    return result(conn, op_id, [*consumed, *output_lines], outputs=[plan.ref for plan in plans])


_LINK_COLUMNS = ("operation_id", "parent_item_id", "parent_unit_id", "parent_lot_id",
                 "child_item_id", "child_unit_id", "child_lot_id", "qty")  # fmt: skip


def _plan(item: Row, output: Output, today: dt.date) -> _Plan:
    """Check one output's identity, quantity and expiry (no database needed)."""
    serial = check_code(output.serial, what="serial") if output.serial is not None else None
    lot = check_code(output.lot, what="lot code") if output.lot is not None else None
    if item.gtin:  # what is made goes into the item's GS1 barcodes
        check_gs1_keys([serial] if serial else [], what="serial", item=item.code)
        check_gs1_keys([lot] if lot else [], what="lot code", item=item.code)
    qty = _output_quantity(item, serial, lot, output.qty)
    expiry = parse_date(output.expires, what="expiry date") if output.expires is not None else None
    if expiry is None and item.shelf_life_days and item.tracking != Tracking.NONE:
        expiry = today + dt.timedelta(days=item.shelf_life_days)
    if not output.consume:
        raise InvalidInput("a build consumes something: give --consume REF[=QTY]")
    ref = f"{item.code}:{serial}" if serial else f"{item.code}@{lot}" if lot else item.code
    return _Plan(dc_replace(output, serial=serial, lot=lot), ref, qty, expiry)


def _refuse_repeated_outputs(conn: Connection, item: Row, plans: list[_Plan]) -> None:
    repeated = [ref for ref, n in Counter(plan.ref for plan in plans).items() if n > 1]
    if repeated:
        raise InvalidInput(f"{repeated[0]} is built twice in one run")
    serials = [plan.output.serial for plan in plans if plan.output.serial is not None]
    taken = existing_serials(conn, item.id, serials) if serials else []
    if taken:  # but a voided build's units, which wait at PRODUCTION to be built again
        again = voids.voided_outputs(conn, item.id, taken)
        taken = [serial for serial in taken if serial not in again]
    if taken:
        raise AlreadyExists(f"item {item.code} already has serial {taken[0]}")


def _take_components(
    conn: Connection,
    out_item: Row,
    plans: list[_Plan],
    production_id: int,
    dest_id: int,
    today: dt.date,
) -> None:
    """Resolve every output's components at once and choose the stock each takes.

    A unit is taken by the one output that names it. The quantities of a lot or item
    are summed over the run, picked once, and shared out to the outputs in order.
    """
    specs = [[split_consume(spec) for spec in plan.output.consume] for plan in plans]
    targets = iter(targets_named(conn, [ref for group in specs for ref, _ in group]))
    used: dict[str, str] = {}  # unit -> the output consuming it
    shared: dict[str, tuple[Target, list[tuple[list[Line], Decimal]]]] = {}
    for plan, group in zip(plans, specs, strict=True):
        out = plan.output
        containers = _containers_of_lot(conn, out_item, out.lot) if out.serial is None else set()
        named: set[str] = set()
        for _, want in group:
            target = next(targets)
            _refuse_own_output(target, out_item, out.serial, out.lot)
            if _key(target) in containers:
                raise InvalidInput(f"{target} contains {plan.ref}: it can not go into it")
            if str(target) in named:
                raise InvalidInput(f"{target} is consumed twice in one build")
            named.add(str(target))
            if target.unit is None:  # filled in below, in the order the output names it
                slot: list[Line] = []
                plan.inputs.append((target, slot))
                shared.setdefault(str(target), (target, []))[1].append(
                    (slot, want if want is not None else Decimal(1))
                )
                continue
            if str(target) in used:
                raise InvalidInput(f"{target} is consumed twice: by {used[str(target)]} too")
            used[str(target)] = plan.ref
            lines = take_lines(conn, target, want, to_id=production_id, today=today, for_use=True)
            plan.inputs.append((target, lines))
    for target, wants in shared.values():
        lines = take_lines(
            conn,
            target,
            sum((want for _, want in wants), Decimal(0)),
            to_id=production_id,
            today=today,
            for_use=True,
            prefer_location_id=dest_id,
        )
        for (slot, _), part in zip(wants, _share(lines, [w for _, w in wants]), strict=True):
            slot.extend(part)


def _share(lines: list[Line], wants: list[Decimal]) -> list[list[Line]]:
    """Split the lines picked for a run into each output's part, in order."""
    queue = deque(lines)
    parts: list[list[Line]] = []
    for want in wants:
        part: list[Line] = []
        while want > 0:
            ln = queue[0]
            take = min(ln.qty, want)
            part.append(ln._replace(qty=take))
            want -= take
            if take == ln.qty:
                queue.popleft()
            else:
                queue[0] = ln._replace(qty=ln.qty - take)
        parts.append(part)
    return parts


def _consumption_lines(plans: list[_Plan]) -> list[Line]:
    """The run's consumption on the ledger: one line per unit, and per lot and location."""
    merged: dict[tuple, Line] = {}
    for plan in plans:
        for _, lines in plan.inputs:
            for ln in lines:
                key = (ln.item_id, ln.lot_id, ln.unit_id, ln.from_id)
                prev = merged.get(key)
                merged[key] = (
                    ln
                    if prev is None
                    else prev._replace(qty=prev.qty + ln.qty, value=_plus(prev.value, ln.value))
                )
    return list(merged.values())


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


def _value_inputs(conn: Connection, plans: list[_Plan], standard: Decimal | None) -> None:
    """Value what each output consumes (in output order: first in, first out across the
    run) and set each output's unit cost: what it consumed, per unit of output; the
    item's standard cost when what it consumed had no cost."""
    slots = [lines for plan in plans for _, lines in plan.inputs]
    valued = iter(cost_lines(conn, [ln for lines in slots for ln in lines]))
    for lines in slots:
        lines[:] = [next(valued) for _ in lines]
    for plan in plans:
        total = sum((ln.value or 0 for _, lines in plan.inputs for ln in lines), Decimal(0))
        plan.cost = money(total / plan.qty) if total or standard is None else standard


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


def _create_outputs(
    conn: Connection,
    item: Row,
    plans: list[_Plan],
    production_id: int,
    op_id: int,
    today: dt.date,
) -> None:
    """Create the output units and lots at PRODUCTION (the output lines then move them
    to `to`): new lots one by one, the units of the whole run in one statement."""
    costs = [plan.cost for plan in plans]
    for plan, cost in zip(plans, costs, strict=True):
        lot = plan.output.lot
        if lot is None:
            continue
        plan.lot_id = conn.execute(
            select(lots.c.id).where(lots.c.item_id == item.id, lots.c.code == lot)
        ).scalar()
        if plan.lot_id is None:
            plan.lot_id = conn.execute(
                insert(lots)
                .values(
                    item_id=item.id,
                    code=lot,
                    expires=plan.expires,
                    made=today,
                    unit_cost=cost,
                    created_op_id=op_id,
                )  # fmt: skip
                .returning(lots.c.id)
            ).scalar_one()
    serialized = [
        (plan, cost) for plan, cost in zip(plans, costs, strict=True) if plan.output.serial
    ]
    if not serialized:
        return
    again = voids.voided_outputs(conn, item.id, [plan.output.serial for plan, _ in serialized])
    for plan, cost in serialized:  # a voided build's unit, built again: its row is reused
        if plan.output.serial in again:
            plan.unit_id = again[plan.output.serial]
            conn.execute(
                update(units)
                .where(units.c.id == plan.unit_id)
                .values(lot_id=plan.lot_id, expires=plan.expires if plan.lot_id is None else None,
                        made=today, unit_cost=cost, created_op_id=op_id)
            )  # fmt: skip
    serialized = [(plan, cost) for plan, cost in serialized if plan.output.serial not in again]
    if not serialized:
        return
    ids = conn.execute(
        insert(units).returning(units.c.id, sort_by_parameter_order=True),
        [
            {
                "item_id": item.id,
                "serial": plan.output.serial,
                "lot_id": plan.lot_id,
                "location_id": production_id,
                "expires": plan.expires if plan.lot_id is None else None,
                "made": today,
                "unit_cost": cost,
                "created_op_id": op_id,
            }
            for plan, cost in serialized
        ],
    ).scalars()
    for (plan, _), unit_id in zip(serialized, ids, strict=True):
        plan.unit_id = unit_id


def _revalue(
    conn: Connection, op_id: int, assembly: Row, location_id: int, valued: list[Line]
) -> None:
    """A repaired unit is worth what it was, less the component taken out, plus the one
    put in: the difference is booked as the unit going out to ADJUSTMENT at its old cost
    and back at its new one (no issue, no change of place), and its cost is updated."""
    removed, *installed = valued
    old = assembly.unit_cost or Decimal(0)
    new = old - (removed.value or 0) + sum((ln.value or 0 for ln in installed), Decimal(0))
    if new == old or new < 0:
        return
    adjustment = virtual_location(conn, "ADJUSTMENT").id
    item, lot, unit = assembly.item_id, assembly.lot_id, assembly.id
    post(conn, op_id, [
        Line(item, location_id, adjustment, Decimal(1), lot, unit, money(old)),
        Line(item, adjustment, location_id, Decimal(1), lot, unit, money(new)),
    ])  # fmt: skip
    conn.execute(update(units).where(units.c.id == unit).values(unit_cost=money(new)))


def handle_replace(
    conn: Connection, command: Replace, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """Replace (the command): see `replace`."""
    c = command
    return replace(conn, user=user, assembly=c.assembly, remove=c.remove, install=c.install,
                   to=c.to, scrap=c.scrap, reference=c.reference, note=c.note, at=at)  # fmt: skip


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
    target = target_named(conn, assembly)
    if target.unit is None:
        raise WrongKind(f"replace works on a built unit (ITEM:SERIAL), not {target}")
    today = (at or now()).date()
    production = virtual_location(conn, "PRODUCTION")
    assembly_loc = check_unit_available(conn, target, today=today, for_use=False)
    old, new = target_named(conn, remove), target_named(conn, install)
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
        else (location_named(conn, to) if to else assembly_loc)
    )
    removed = Line(old.item.id, production.id, dest.id, Decimal(1), old.unit.lot_id, old.unit.id)
    op_id = new_operation(
        conn, OperationKind.REPLACE, user=user, at=at, reference=reference,
        note=note or f"{target}: {old} replaced by {new}",
    )  # fmt: skip
    valued = post(conn, op_id, [removed, *install_lines])
    _revalue(conn, op_id, target.unit, assembly_loc.id, valued)
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
    reach.extend(conn, [op_id])
    return result(conn, op_id, [removed, *install_lines])
