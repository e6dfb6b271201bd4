"""Moving stock between locations, scrapping it, and correcting counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Connection, func, select

from tracelot.domain.commands import Adjust, Move, Scrap
from tracelot.domain.errors import InvalidInput, WrongKind
from tracelot.domain.status import OperationKind, Tracking
from tracelot.domain.values import parse_qty
from tracelot.services import packing, uom
from tracelot.services.ledger import Line, new_operation, now, post
from tracelot.services.lookup import (
    lot_by_code,
    virtual_location,
)
from tracelot.services.picking import take_lines
from tracelot.services.reservations import release_what_went
from tracelot.services.resolver import item_named, location_named, target_named, targets_named
from tracelot.services.results import OperationResult
from tracelot.services.summary import result
from tracelot.store.tables import locations, stock


def handle_move(
    conn: Connection, command: Move, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """Move (the command): see `move`."""
    c = command
    qtys = uom.quantities(conn, c.refs, c.qty, c.pack)  # packs in base units (or None)
    return move(conn, user=user, refs=c.refs, to=c.to, from_=c.from_, qty=c.qty, qtys=qtys,
                reference=c.reference, note=c.note, at=at)  # fmt: skip


def handle_scrap(
    conn: Connection, command: Scrap, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """Scrap (the command): see `scrap`."""
    c = command
    return scrap(conn, user=user, ref=c.ref, reason=c.reason, qty=c.qty, from_=c.from_,
                 reference=c.reference, at=at)  # fmt: skip


def handle_adjust(
    conn: Connection, command: Adjust, *, user: str, at: dt.datetime | None = None
) -> OperationResult | None:
    """Adjust (the command): see `adjust`."""
    c = command
    counted = c.counted
    if c.pack is not None or counted != counted.to_integral_value():
        counted = uom.to_base(conn, c.item, counted, c.pack)  # whole for an item in eaches
    return adjust(conn, user=user, item=c.item, at_location=c.at, counted=counted, lot=c.lot,
                  reference=c.reference, note=c.note, at=at, subtree=c.subtree)  # fmt: skip


def move(
    conn: Connection,
    *,
    user: str,
    refs: Sequence[str],
    to: str,
    from_: str | None = None,
    qty: Decimal | str | int | None = None,
    qtys: Sequence[Decimal | None] | None = None,
    reference: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> OperationResult:
    """Move units, or a quantity of lots or untracked items, to another location, in one
    operation (a put-away of a whole receipt). `qtys`, beside `refs`, gives each lot or
    item its own quantity (a batch of scans)."""
    if not refs:
        raise InvalidInput("name what to move")
    dest = location_named(conn, to)
    source = location_named(conn, from_) if from_ else None
    quantity = parse_qty(qty) if qty is not None else None
    today = (at or now()).date()
    # cases and pallets named by their SSCC go whole, with all they hold (issue 20)
    cases, refs, qtys = packing.split_refs(conn, refs, qtys)
    cases_out = packing.take_out(
        conn, cases, to_id=dest.id, today=today, for_use=False, from_location=source
    )
    lines: list[Line] = list(cases_out.lines)
    seen: set[str] = set()
    targets = targets_named(conn, refs)
    packing.refuse_named_twice(conn, cases_out, (t.unit.id for t in targets if t.unit),
                               others=bool(targets), qty=quantity)  # fmt: skip
    # --qty is for the lots and items named; named with units only, it is a unit's quantity
    units_only = all(t.unit is not None for t in targets)
    for i, target in enumerate(targets):
        if str(target) in seen:
            raise InvalidInput(f"{target} is named twice")
        seen.add(str(target))
        own = qtys[i] if qtys is not None and qtys[i] is not None else quantity
        taken = take_lines(
            conn,
            target,
            own if target.unit is None or units_only else None,
            to_id=dest.id,
            today=today,
            for_use=False,
            from_location=source,
        )
        taken = [ln for ln in taken if ln.from_id != dest.id]
        if not taken:
            raise InvalidInput(f"{target} is already at {dest.path}")
        lines += taken
    op_id = new_operation(
        conn, OperationKind.MOVE, user=user, at=at, reference=reference, note=note
    )
    packing.relocate(conn, cases_out, dest.id, None, op_id)
    post(conn, op_id, lines)
    serials = {t.unit.id: t.unit.serial for t in targets if t.unit is not None}
    return result(conn, op_id, lines, serials={**cases_out.serials, **serials})


def scrap(
    conn: Connection,
    *,
    user: str,
    ref: str,
    reason: str,
    qty: Decimal | str | int | None = None,
    from_: str | None = None,
    reference: str | None = None,
    at: dt.datetime | None = None,
) -> OperationResult:
    """Scrap a unit or a quantity (bin -> SCRAP); the reason is recorded as the note."""
    if not (reason or "").strip():
        raise InvalidInput("give a --reason for scrapping")
    target = target_named(conn, ref)
    source = location_named(conn, from_) if from_ else None
    quantity = parse_qty(qty) if qty is not None else None
    dest = virtual_location(conn, "SCRAP")
    lines = take_lines(
        conn,
        target,
        quantity,
        to_id=dest.id,
        today=(at or now()).date(),
        for_use=False,
        from_location=source,
    )
    op_id = new_operation(
        conn, OperationKind.SCRAP, user=user, at=at, reference=reference, note=reason.strip()
    )
    post(conn, op_id, lines)
    return result(conn, op_id, lines)


def adjust(
    conn: Connection,
    *,
    user: str,
    item: str,
    at_location: str,
    counted: Decimal | str | int,
    lot: str | None = None,
    reference: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
    subtree: bool = False,
) -> OperationResult | None:
    """Correct the balance at a location to a counted quantity, against ADJUSTMENT.

    A location with locations below it (a warehouse and its bins) is refused, since a
    count there would miss what lies in them; with `subtree` the count is of all of it:
    more than the books is added at the location itself, less is taken from the location
    first, then from the ones below it in path order.
    Returns None when the count matches the books (nothing to record).
    """
    item_row = item_named(conn, item)
    if item_row.tracking == Tracking.SERIAL:
        raise WrongKind(
            f"item {item_row.code} is serial-tracked: count units by scanning them, "
            "and scrap or receive the difference"
        )
    if item_row.tracking == Tracking.LOT and not lot:
        raise InvalidInput(f"item {item_row.code} is lot-tracked: give --lot")
    lot_row = lot_by_code(conn, item_row, lot) if lot else None
    loc = location_named(conn, at_location)
    target_qty = parse_qty(counted, what="counted quantity", allow_zero=True)
    lot_id = lot_row.id if lot_row is not None else None
    below = conn.execute(
        select(locations.c.path).where(locations.c.parent_id == loc.id).limit(1)
    ).scalar()
    if below is not None and not subtree:
        raise WrongKind(
            f"location {loc.code} has locations below it ({below} ...): count a bin, or give "
            f"--subtree to count {loc.code} with everything below it"
        )
    places = [loc.id]
    if subtree:
        branch = locations.c.path.startswith(loc.path + "/", autoescape=True)
        places = list(conn.execute(
            select(locations.c.id)
            .where((locations.c.id == loc.id) | branch)
            .order_by(locations.c.id != loc.id, locations.c.path)
        ).scalars())  # fmt: skip
    balances = dict(conn.execute(
        select(stock.c.location_id, stock.c.qty).where(
            stock.c.item_id == item_row.id,
            stock.c.location_id.in_(places),
            func.coalesce(stock.c.lot_id, 0) == (lot_id or 0),
            stock.c.qty > 0,
        )
    ).all())  # fmt: skip
    diff = target_qty - sum((Decimal(q) for q in balances.values()), Decimal(0))
    if diff == 0:
        return None
    adjustment = virtual_location(conn, "ADJUSTMENT")
    if diff > 0:
        lines = [Line(item_row.id, adjustment.id, loc.id, diff, lot_id=lot_id)]
    else:
        lines, short = [], -diff
        for place in places:  # the location itself first, then its branches in path order
            take = min(short, Decimal(balances.get(place, 0)))
            if take > 0:
                lines.append(Line(item_row.id, place, adjustment.id, take, lot_id=lot_id))
                short -= take
    op_id = new_operation(
        conn, OperationKind.ADJUST, user=user, at=at, reference=reference, note=note
    )
    post(conn, op_id, lines)
    release_what_went(conn, lines)  # what is no longer there is reserved no more
    return result(conn, op_id, lines)
