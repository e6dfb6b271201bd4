"""Holds: stock that may be neither shipped nor consumed until released."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from tracelot.domain.commands import Hold, Release
from tracelot.domain.errors import NotAvailable, NotFound, WrongKind
from tracelot.domain.status import OperationKind
from tracelot.services.ledger import new_operation
from tracelot.services.lookup import Target
from tracelot.services.resolver import target_named
from tracelot.store.bulk import id_in
from tracelot.store.engine import cache
from tracelot.store.tables import holds, inspections, items, lots, operations, recalls, units


def open_holds_of(conn: Connection, unit_id: int | None, lot_id: int | None) -> list[Row]:
    """Open holds on a unit (or on the lot it belongs to) or on a lot."""
    conditions = []
    if unit_id is not None:
        conditions.append(holds.c.unit_id == unit_id)
    if lot_id is not None:
        conditions.append((holds.c.lot_id == lot_id) & holds.c.unit_id.is_(None))
    if not conditions:
        return []
    return conn.execute(
        select(holds).where(or_(*conditions), holds.c.released_op_id.is_(None)).order_by(holds.c.id)
    ).all()


def open_holds(conn: Connection, target: Target) -> list[Row]:
    if not any_open_holds(conn):
        return []
    unit_id = target.unit.id if target.unit is not None else None
    lot_id = target.lot.id if target.lot is not None else None
    return open_holds_of(conn, unit_id, lot_id)


_ANY_HELD = select(holds.c.id).where(holds.c.released_op_id.is_(None)).limit(1)


def any_open_holds(conn: Connection) -> bool:
    """Whether anything is held at all, asked once per transaction (until holds change):
    most operations then skip the question for each of their units."""
    found = cache(conn)
    held = found.any_open_holds()
    if held is None:
        held = conn.execute(_ANY_HELD).first() is not None
        found.set_any_open_holds(held)
    return held


def holds_changed(conn: Connection) -> None:
    """Forget whether anything is held: call after placing or releasing holds."""
    cache(conn).set_any_open_holds(None)


def held_lot_ids(conn: Connection, item_id: int) -> set[int]:
    """The item's lots under an open hold (whole lots, not single units)."""
    return set(
        conn.execute(
            select(holds.c.lot_id).where(
                holds.c.item_id == item_id,
                holds.c.unit_id.is_(None),
                holds.c.released_op_id.is_(None),
            )
        ).scalars()
    )


def held_lots_of(conn: Connection, item_ids: list[int]) -> set[tuple[int, int | None]]:
    """(item, lot) of the lots of many items under an open hold (whole lots)."""
    if not item_ids or not any_open_holds(conn):
        return set()
    return {(item_id, lot_id) for item_id, lot_id in conn.execute(
        select(holds.c.item_id, holds.c.lot_id).where(
            id_in(conn, holds.c.item_id, sorted(set(item_ids))), holds.c.unit_id.is_(None),
            holds.c.released_op_id.is_(None))).all()}  # fmt: skip


def refuse_if_held(conn: Connection, target: Target, doing: str) -> None:
    """Held stock is never shipped or consumed: the refusal names the hold."""
    found = open_holds(conn, target)
    if found:
        h = found[0]
        raise NotAvailable(f"{target} is held and can not be {doing}: hold #{h.id}, {h.reason}")


def describe(rows: Iterable[Row]) -> list[dict[str, Any]]:
    return [{"hold": h.id, "reason": h.reason, "recall": h.recall_id} for h in rows]


def place_hold(
    conn: Connection,
    target: Target,
    *,
    reason: str,
    op_id: int,
    recall_id: int | None = None,
) -> int | None:
    """Hold a unit or lot; returns the hold's id, or None if this recall holds it already."""
    if target.unit is None and target.lot is None:
        raise WrongKind(f"hold a unit (ITEM:SERIAL) or a lot (ITEM@LOT), not {target}")
    if recall_id is not None and any(h.recall_id == recall_id for h in open_holds(conn, target)):
        return None
    holds_changed(conn)
    return conn.execute(
        insert(holds)
        .values(
            item_id=target.item.id,
            unit_id=target.unit.id if target.unit is not None else None,
            lot_id=target.lot.id if target.unit is None and target.lot is not None else None,
            reason=reason,
            recall_id=recall_id,
            placed_op_id=op_id,
        )
        .returning(holds.c.id)
    ).scalar_one()


def handle_hold(
    conn: Connection, command: Hold, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Put a unit or lot on hold, with a reason."""
    reason = command.reason
    target = target_named(conn, command.ref)
    op_id = new_operation(conn, OperationKind.HOLD, user=user, at=at, note=reason)
    hold_id = place_hold(conn, target, reason=reason, op_id=op_id)
    return {"hold": hold_id, "ref": str(target), "reason": reason, "operation": op_id}


def handle_release(
    conn: Connection, command: Release, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Release the open holds on a unit or lot (holds of an open recall stay)."""
    note = command.note
    target = target_named(conn, command.ref)
    found = open_holds(conn, target)
    if not found:
        raise NotFound(f"{target} is not on hold")
    mine = [h for h in found if h.recall_id is None or _recall_closed(conn, h.recall_id)]
    waiting = _awaiting_inspection(conn, [h.id for h in mine])
    if waiting and len(waiting) == len(mine):
        raise NotAvailable(
            f"{target} awaits inspection: pass it with `inspect pass {target}` (or fail it)"
        )
    mine = [h for h in mine if h.id not in waiting]
    if not mine:
        raise NotAvailable(
            f"{target} is held by recall {found[0].recall_id}: it is released when the recall "
            "marks it cleared or closes"
        )
    op_id = new_operation(conn, OperationKind.RELEASE, user=user, at=at, note=note)
    release_holds(conn, [h.id for h in mine], op_id)
    return {"released": [h.id for h in mine], "ref": str(target), "operation": op_id}


def hold(
    conn: Connection, *, user: str, ref: str, reason: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """`handle_hold` by keywords (the EPCIS replay's, until it makes commands)."""
    return handle_hold(conn, Hold(ref=ref, reason=reason), user=user, at=at)


def release(
    conn: Connection, *, user: str, ref: str, note: str | None = None, at: dt.datetime | None = None
) -> dict[str, Any]:
    """`handle_release` by keywords (the EPCIS replay's, until it makes commands)."""
    return handle_release(conn, Release(ref=ref, note=note), user=user, at=at)


def release_holds(conn: Connection, hold_ids: list[int], op_id: int) -> None:
    holds_changed(conn)
    if hold_ids:
        conn.execute(
            update(holds)
            .where(holds.c.id.in_(hold_ids), holds.c.released_op_id.is_(None))
            .values(released_op_id=op_id)
        )


def _recall_closed(conn: Connection, recall_id: int) -> bool:
    status = conn.execute(select(recalls.c.status).where(recalls.c.id == recall_id)).scalar_one()
    return status == "closed"


def list_holds(conn: Connection) -> list[dict[str, Any]]:
    """Every open hold, with what it holds."""
    query = (
        select(
            holds.c.id,
            holds.c.reason,
            holds.c.recall_id,
            items.c.code.label("item"),
            units.c.serial,
            lots.c.code.label("lot"),
            operations.c.occurred_at,
            operations.c.user_name,
        )
        .join(items, items.c.id == holds.c.item_id)
        .outerjoin(units, units.c.id == holds.c.unit_id)
        .outerjoin(lots, lots.c.id == holds.c.lot_id)
        .join(operations, operations.c.id == holds.c.placed_op_id)
        .where(holds.c.released_op_id.is_(None))
        .order_by(holds.c.id)
    )
    return [
        {
            "hold": r.id,
            "item": r.item,
            "serial": r.serial,
            "lot": r.lot,
            "reason": r.reason,
            "recall": r.recall_id,
            "at": r.occurred_at,
            "user": r.user_name,
        }
        for r in conn.execute(query).all()
    ]


def _awaiting_inspection(conn: Connection, hold_ids: list[int]) -> set[int]:
    """Which of these holds are an inspection's that still waits: `inspect pass` releases
    them, not `release`."""
    if not hold_ids:
        return set()
    query = select(inspections.c.hold_id).where(
        inspections.c.hold_id.in_(hold_ids), inspections.c.status == "waiting"
    )
    return set(conn.execute(query).scalars())
