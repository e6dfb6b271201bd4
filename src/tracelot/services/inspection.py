"""Incoming inspection: what is received of an item that needs it is held ("awaiting
inspection") in the receiving warehouse's quarantine location until an inspector passes
it (its hold released, put away if asked) or fails it (it stays held, and goes back to
its supplier or is scrapped). Each result is kept per unit or lot receipt: who, when,
notes, reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, insert, literal, select, update

from tracelot.domain.commands import InspectFail, InspectPass
from tracelot.domain.errors import Conflict, InvalidInput, NotAvailable, NotFound, WrongKind
from tracelot.domain.status import (
    AWAITING_INSPECTION,
    ON_HAND,
    LocationKind,
    OperationKind,
    Tracking,
    status_at,
)
from tracelot.services import catalog
from tracelot.services.holds import holds_changed, release_holds
from tracelot.services.ledger import Line, new_operation, now, post
from tracelot.services.lookup import Target, location_by_id, party_by_code, virtual_location
from tracelot.services.picking import take_lines
from tracelot.services.resolver import item_named, location_named, targets_named
from tracelot.services.summary import result
from tracelot.store.tables import (
    holds,
    inspection_rules,
    inspections,
    items,
    locations,
    lots,
    moves,
    operations,
    parties,
    units,
)

WAITING, PASSED, FAILED = "waiting", "passed", "failed"


# -- the rules ------------------------------------------------------------------------------


def set_rule(
    conn: Connection, *, item: str, inspect: bool, supplier: str | None = None
) -> dict[str, Any]:
    """Say whether what is received of an item (from one supplier, or from every one)
    needs inspecting first."""
    row = item_named(conn, item)
    if inspect and row.tracking == Tracking.NONE:
        raise WrongKind(
            f"item {row.code} is not tracked by lot or serial: inspection on receipt holds "
            "the lots and units received, so track it by lot or serial first"
        )
    party = party_by_code(conn, supplier, "supplier") if supplier else None
    supplier_id = party.id if party is not None else None
    same = (
        inspection_rules.c.supplier_id == supplier_id
        if supplier_id is not None
        else inspection_rules.c.supplier_id.is_(None)
    )
    found = conn.execute(
        update(inspection_rules)
        .where(inspection_rules.c.item_id == row.id, same)
        .values(inspect=bool(inspect))
    )
    if found.rowcount == 0:
        conn.execute(
            insert(inspection_rules).values(
                item_id=row.id, supplier_id=supplier_id, inspect=bool(inspect)
            )
        )
    return {"item": row.code, **rules_of(conn, row.id)}


def rules_of(conn: Connection, item_id: int) -> dict[str, Any]:
    """An item's inspection on receipt: its own rule and its suppliers' (JSON fields)."""
    rows = conn.execute(
        select(inspection_rules.c.inspect, parties.c.code)
        .outerjoin(parties, parties.c.id == inspection_rules.c.supplier_id)
        .where(inspection_rules.c.item_id == item_id)
        .order_by(inspection_rules.c.id)
    ).all()
    own = [r.inspect for r in rows if r.code is None]
    return {
        "inspect_on_receipt": bool(own[-1]) if own else False,
        "inspect_on_receipt_from": {r.code: bool(r.inspect) for r in rows if r.code is not None},
    }


def needs_inspection(conn: Connection, item: Row, supplier_id: int | None) -> bool:
    """Whether a receipt of `item` from this supplier (None: unnamed) is to be inspected:
    the supplier's own rule if there is one, else the item's."""
    if item.tracking == Tracking.NONE:
        return False
    rows = conn.execute(
        select(inspection_rules.c.supplier_id, inspection_rules.c.inspect)
        .where(inspection_rules.c.item_id == item.id)
        .order_by(inspection_rules.c.id)
    ).all()
    if not rows:
        return False
    mine = [r.inspect for r in rows if supplier_id is not None and r.supplier_id == supplier_id]
    if mine:
        return bool(mine[-1])
    own = [r.inspect for r in rows if r.supplier_id is None]
    return bool(own[-1]) if own else False


def quarantine_for(conn: Connection, dest: Row, item: Row) -> Row:
    """Where a receipt into `dest` waits for inspection: `dest` if it is a quarantine
    location, else the quarantine location of its warehouse (the first by path)."""
    if dest.kind == LocationKind.QUARANTINE.value:
        return dest
    root = dest.path.split("/", 1)[0]
    branch = locations.c.path.startswith(root + "/", autoescape=True)
    found = conn.execute(
        select(locations.c.code)
        .where(locations.c.kind == LocationKind.QUARANTINE.value, branch)
        .order_by(locations.c.path)
        .limit(1)
    ).scalar()
    if found is None:
        raise NotFound(
            f"item {item.code} needs inspection on receipt, and warehouse {root} has no "
            f"quarantine location to hold it in: add one (location add CODE --parent {root} "
            "--kind quarantine)"
        )
    return location_named(conn, found)


def hold_received(
    conn: Connection, *, op_id: int, item: Row, lot_id: int | None, place: Row,
    supplier_id: int | None, qty: Decimal,
) -> None:  # fmt: skip
    """Hold what receipt `op_id` brought in of `item` for inspection: each unit (read
    from the receipt's lines, set-based), or the lot's quantity."""
    holds_changed(conn)
    if item.tracking == Tracking.SERIAL:
        conn.execute(
            insert(holds).from_select(
                ["item_id", "unit_id", "lot_id", "reason", "placed_op_id"],
                select(
                    moves.c.item_id, moves.c.unit_id, literal(None), literal(AWAITING_INSPECTION),
                    moves.c.operation_id,
                ).where(moves.c.operation_id == op_id, moves.c.unit_id.is_not(None))
                .order_by(moves.c.unit_id),
            )
        )  # fmt: skip
        conn.execute(
            insert(inspections).from_select(
                ["item_id", "unit_id", "lot_id", "qty", "location_id", "supplier_id", "hold_id",
                 "received_op_id", "status"],
                select(
                    holds.c.item_id, holds.c.unit_id, literal(lot_id), literal(1),
                    literal(place.id), literal(supplier_id), holds.c.id, holds.c.placed_op_id,
                    literal(WAITING),
                ).where(holds.c.placed_op_id == op_id, holds.c.unit_id.is_not(None))
                .order_by(holds.c.id),
            )
        )  # fmt: skip
        return
    assert lot_id is not None
    hold_id = conn.execute(
        insert(holds)
        .values(item_id=item.id, lot_id=lot_id, reason=AWAITING_INSPECTION, placed_op_id=op_id)
        .returning(holds.c.id)
    ).scalar_one()
    conn.execute(
        insert(inspections).values(
            item_id=item.id, lot_id=lot_id, qty=qty, location_id=place.id,
            supplier_id=supplier_id, hold_id=hold_id, received_op_id=op_id, status=WAITING,
        )
    )  # fmt: skip


# -- what waits -----------------------------------------------------------------------------


def _listing(where: Any) -> Any:
    received = operations.alias("received")
    decided = operations.alias("decided")
    place = locations.alias("place")
    return (
        select(
            inspections.c.id,
            inspections.c.status,
            inspections.c.qty,
            inspections.c.inspector,
            inspections.c.decided_at,
            inspections.c.note,
            inspections.c.reason,
            inspections.c.disposition,
            inspections.c.received_op_id,
            inspections.c.result_op_id,
            items.c.code.label("item"),
            items.c.name.label("item_name"),
            lots.c.code.label("lot"),
            units.c.serial,
            place.c.code.label("location"),
            place.c.path.label("location_path"),
            parties.c.code.label("supplier"),
            received.c.occurred_at.label("received_at"),
            received.c.user_name.label("received_by"),
        )
        .join(items, items.c.id == inspections.c.item_id)
        .outerjoin(lots, lots.c.id == inspections.c.lot_id)
        .outerjoin(units, units.c.id == inspections.c.unit_id)
        .join(place, place.c.id == inspections.c.location_id)
        .outerjoin(parties, parties.c.id == inspections.c.supplier_id)
        .join(received, received.c.id == inspections.c.received_op_id)
        .outerjoin(decided, decided.c.id == inspections.c.result_op_id)
        .where(where)
        .order_by(inspections.c.id)
    )


def age_hours(since: dt.datetime, at: dt.datetime | None = None) -> int:
    """Whole hours from `since` to now (or `at`)."""
    return max(0, int(((at or now()) - since).total_seconds() // 3600))


def _row(r: Row, at: dt.datetime) -> dict[str, Any]:
    ref = f"{r.item}:{r.serial}" if r.serial else f"{r.item}@{r.lot}"
    return {
        "inspection": r.id,
        "ref": ref,
        "item": r.item,
        "item_name": r.item_name,
        "lot": r.lot,
        "serial": r.serial,
        "qty": r.qty,
        "location": r.location,
        "location_path": r.location_path,
        "supplier": r.supplier,
        "received_at": r.received_at,
        "received_by": r.received_by,
        "receipt": r.received_op_id,
        "age_hours": age_hours(r.received_at, at),
        "status": r.status,
        "inspector": r.inspector,
        "decided_at": r.decided_at,
        "note": r.note,
        "reason": r.reason,
        "disposition": r.disposition,
        "operation": r.result_op_id,
    }


def list_inspections(conn: Connection, *, all_: bool = False) -> list[dict[str, Any]]:
    """What waits for inspection (oldest first), with its age; `all_` adds the results."""
    where = literal(True) if all_ else inspections.c.status == WAITING
    at = now()
    return [_row(r, at) for r in conn.execute(_listing(where))]


def _waiting_for(conn: Connection, targets: Sequence[Target]) -> list[tuple[Target, list[Row]]]:
    """The waiting inspections of each unit or lot named (a lot names its own receipt and
    its units'), refusing what waits for none."""
    found: list[tuple[Target, list[Row]]] = []
    seen: set[str] = set()
    for target in targets:
        if str(target) in seen:
            raise InvalidInput(f"{target} is named twice")
        seen.add(str(target))
        if target.unit is not None:
            condition = inspections.c.unit_id == target.unit.id
        elif target.lot is not None:
            condition = inspections.c.lot_id == target.lot.id
        else:
            raise WrongKind(f"inspect units (ITEM:SERIAL) or lots (ITEM@LOT), not {target}")
        rows = conn.execute(
            select(inspections)
            .where(condition, inspections.c.status == WAITING)
            .order_by(inspections.c.id)
        ).all()
        if not rows:
            raise NotFound(f"{target} is not awaiting inspection")
        found.append((target, rows))
    return found


def _lines(
    conn: Connection, found: list[tuple[Target, list[Row]]], to_id: int, today: dt.date
) -> list[Line]:
    """The lines taking what was inspected to `to_id`: each unit from where it is (read
    in one query per 5,000), each lot receipt's quantity from where it waits."""
    unit_ids = [r.unit_id for _, rows in found for r in rows if r.unit_id is not None]
    read: dict[int, Row] = {}
    for start in range(0, len(unit_ids), 5_000):
        chunk = unit_ids[start : start + 5_000]
        query = select(units.c.id, units.c.item_id, units.c.lot_id, units.c.serial,
                       units.c.location_id).where(units.c.id.in_(chunk))  # fmt: skip
        read.update((u.id, u) for u in conn.execute(query))
    lines: list[Line] = []
    for target, rows in found:
        for row in rows:
            if row.unit_id is None:
                place = location_by_id(conn, row.location_id)
                taken = take_lines(conn, target, Decimal(row.qty), to_id=to_id, today=today,
                                   for_use=False, from_location=place)  # fmt: skip
                lines += [ln for ln in taken if ln.from_id != to_id]
                continue
            unit = read[row.unit_id]
            status = status_at(location_by_id(conn, unit.location_id).kind)
            if status not in ON_HAND:
                raise NotAvailable(f"{target.item.code}:{unit.serial} is already {status.value}")
            if unit.location_id != to_id:
                lines.append(Line(unit.item_id, unit.location_id, to_id, Decimal(1),
                                  lot_id=unit.lot_id, unit_id=unit.id))  # fmt: skip
    return lines


def _decide(conn: Connection, rows: Sequence[Row], values: dict[str, Any]) -> None:
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 5_000):
        done = conn.execute(
            update(inspections)
            .where(
                inspections.c.id.in_(ids[start : start + 5_000]), inspections.c.status == WAITING
            )
            .values(**values)
        )
        if done.rowcount != len(ids[start : start + 5_000]):
            raise Conflict("conflict, retry: another inspector decided the same stock")


def _inspected(found: list[tuple[Target, list[Row]]], outcome: str) -> list[dict[str, Any]]:
    return [
        {
            "ref": str(t),
            "inspections": [r.id for r in rows],
            "qty": sum((Decimal(r.qty) for r in rows), Decimal(0)),
            "result": outcome,
        }
        for t, rows in found
    ]


def pass_(
    conn: Connection, command: InspectPass, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Pass the inspection of units or lots: their holds are released; with `to` they are
    put away there, in the same operation."""
    found = _waiting_for(conn, targets_named(conn, command.refs))
    dest = location_named(conn, command.to) if command.to else None
    today = (at or now()).date()
    lines = _lines(conn, found, dest.id, today) if dest is not None else []
    op_id = new_operation(conn, OperationKind.INSPECT, user=user, at=at, note=command.note)
    rows = [r for _, group in found for r in group]
    release_holds(conn, sorted({r.hold_id for r in rows}), op_id)
    _decide(conn, rows, {"status": PASSED, "result_op_id": op_id, "inspector": user,
                         "decided_at": at or now(), "note": command.note,
                         "disposition": "released"})  # fmt: skip
    post(conn, op_id, lines)
    done = result(conn, op_id, lines).to_dict()
    return {**done, "inspected": _inspected(found, PASSED)}


def fail(
    conn: Connection, command: InspectFail, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Fail the inspection of units or lots: they stay held, and go back to the supplier
    they came from or are scrapped, in one operation whose note is the reason."""
    found = _waiting_for(conn, targets_named(conn, command.refs))
    rows = [r for _, group in found for r in group]
    today = (at or now()).date()
    party_id = None
    if command.return_to_supplier:
        suppliers = {r.supplier_id for r in rows}
        if None in suppliers:
            unnamed = next(
                str(t) for t, group in found if any(r.supplier_id is None for r in group)
            )
            raise InvalidInput(
                f"{unnamed} was received without a supplier: scrap it (--scrap), or send it "
                "back with return-to-supplier --to SUPPLIER"
            )
        if len(suppliers) > 1:
            raise InvalidInput(
                "these came from several suppliers: fail them one supplier at a time"
            )
        (party_id,) = suppliers
        dest, kind, disposition = (
            virtual_location(conn, "SUPPLIER"),
            OperationKind.RETURN_TO_SUPPLIER,
            "returned_to_supplier",
        )  # noqa: E501
    else:
        dest, kind, disposition = virtual_location(conn, "SCRAP"), OperationKind.SCRAP, "scrapped"
    lines = _lines(conn, found, dest.id, today)
    op_id = new_operation(conn, kind, user=user, at=at, note=command.reason, party_id=party_id)
    _decide(conn, rows, {"status": FAILED, "result_op_id": op_id, "inspector": user,
                         "decided_at": at or now(), "reason": command.reason,
                         "disposition": disposition})  # fmt: skip
    post(conn, op_id, lines, party_id=party_id)
    done = result(conn, op_id, lines).to_dict()
    return {**done, "inspected": _inspected(found, FAILED)}


def show_item(conn: Connection, code: str) -> dict[str, Any]:
    """An item (catalog's), with its inspection on receipt."""
    shown = catalog.show_item(conn, code)
    row = item_named(conn, code)
    return {**shown, **rules_of(conn, row.id)}
