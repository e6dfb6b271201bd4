"""Expiry: what expires soon (and what has), where, how much and the value at risk; holding
every expired lot and unit; and which lots and bins to pick, first-expiry-first-out.

A lot's expiry is the lot's; a unit's is its own, else its lot's. Expired stock is still on
hand (it counts in stock and shows here) but cannot be shipped, consumed or picked, whether
or not `expire` has held it yet (see CONVENTIONS: statuses).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, select

from tracelot.domain.errors import InsufficientStock, InvalidInput
from tracelot.domain.status import LocationKind, OperationKind, Tracking
from tracelot.domain.values import normalize, parse_qty
from tracelot.services.holds import place_hold
from tracelot.services.inquiry import held_sets
from tracelot.services.ledger import new_operation
from tracelot.services.lookup import (
    location_by_id,
    lot_by_id,
)
from tracelot.services.picking import take_quantity
from tracelot.services.resolver import location_named, target_named, targets_named
from tracelot.store.engine import serialize
from tracelot.store.tables import holds, items, locations, lots, stock, units

EXPIRED_REASON = "expired"  # the reason of the holds `expire` places, then the date


def expiring(conn: Connection, *, within_days: int, today: dt.date) -> dict[str, Any]:
    """Every lot balance and unit on hand that expires within `within_days` of `today`
    (or has expired), soonest first, with its value (its own cost, else the item's)."""
    if within_days < 0:
        raise InvalidInput(f"--within must be zero days or more, not {within_days}")
    horizon = today + dt.timedelta(days=within_days)
    on_hand = ~locations.c.virtual
    common = (
        items.c.code.label("item"),
        items.c.name.label("item_name"),
        items.c.uom,
        items.c.standard_cost,
        locations.c.code.label("location"),
        locations.c.path.label("location_path"),
        lots.c.code.label("lot"),
        lots.c.id.label("lot_id"),
    )
    unit_expires = func.coalesce(units.c.expires, lots.c.expires)
    unit_rows = conn.execute(
        select(
            *common,
            units.c.id.label("unit_id"),
            units.c.serial,
            unit_expires.label("expires"),
            units.c.expires.label("own_expires"),
            func.coalesce(units.c.unit_cost, lots.c.unit_cost).label("unit_cost"),
        )
        .select_from(units)
        .join(items, items.c.id == units.c.item_id)
        .join(locations, locations.c.id == units.c.location_id)
        .outerjoin(lots, lots.c.id == units.c.lot_id)
        .where(on_hand, unit_expires <= horizon)
    ).all()
    lot_rows = conn.execute(
        select(
            *common,
            stock.c.qty,
            lots.c.expires,
            lots.c.unit_cost,
        )
        .select_from(stock)
        .join(items, items.c.id == stock.c.item_id)
        .join(locations, locations.c.id == stock.c.location_id)
        .join(lots, lots.c.id == stock.c.lot_id)
        .where(
            on_hand,
            stock.c.qty > 0,
            items.c.tracking != Tracking.SERIAL.value,
            lots.c.expires <= horizon,
        )
    ).all()
    held_units, held_lots = held_sets(conn)
    rows = []
    for r in [*unit_rows, *lot_rows]:
        unit_id = getattr(r, "unit_id", None)
        qty = getattr(r, "qty", Decimal(1))
        cost = r.unit_cost if r.unit_cost is not None else r.standard_cost
        rows.append(
            {
                "item": r.item,
                "item_name": r.item_name,
                "lot": r.lot,
                "serial": getattr(r, "serial", None),
                "location": r.location,
                "location_path": r.location_path,
                "qty": normalize(Decimal(qty)),
                "uom": r.uom,
                "expires": r.expires,
                # where the date comes from: a unit's own, or its lot's (what `expire` holds)
                "expiry_of": "unit" if getattr(r, "own_expires", None) is not None else "lot",
                "days_left": (r.expires - today).days,
                "expired": r.expires < today,
                "held": unit_id in held_units or r.lot_id in held_lots,
                "unit_cost": cost,
                "value": normalize(cost * qty) if cost is not None else None,
            }
        )
    rows.sort(key=lambda r: (r["expires"], r["item"], r["location_path"], r["lot"] or "",
                             r["serial"] or ""))  # fmt: skip
    valued = [r["value"] for r in rows if r["value"] is not None]
    return {
        "today": today,
        "within_days": within_days,
        "until": horizon,
        "rows": rows,
        "expired_rows": sum(r["expired"] for r in rows),
        "value": normalize(sum(valued, Decimal(0))),
        "unvalued_rows": len(rows) - len(valued),
    }


def expire(conn: Connection, *, user: str, today: dt.date) -> dict[str, Any]:
    """Hold every expired lot and unit on hand that no `expire` hold holds yet: one
    operation for all of them; nothing at all when there is nothing new (safe to run
    daily). A lot is held whole; a unit with an expiry of its own is held alone."""
    serialize(conn, "expire")  # two runs at once (cron and a click) hold nothing twice
    expired = [r for r in expiring(conn, within_days=0, today=today)["rows"] if r["expired"]]
    already = {
        ("unit", r.unit_id) if r.unit_id is not None else ("lot", r.lot_id)
        for r in conn.execute(
            select(holds.c.unit_id, holds.c.lot_id).where(
                holds.c.released_op_id.is_(None), holds.c.reason.like(f"{EXPIRED_REASON} %")
            )
        )
    }
    dates = {
        f"{r['item']}:{r['serial']}" if r["expiry_of"] == "unit" else f"{r['item']}@{r['lot']}":
        r["expires"]
        for r in expired
    }  # fmt: skip
    new = []
    refs = sorted(dates)
    for ref, target in zip(refs, targets_named(conn, refs), strict=True):
        key = ("unit", target.unit.id) if target.unit is not None else ("lot", target.lot.id)
        if key not in already:
            new.append((ref, target))
    if not new:
        return {"operation": None, "held": []}
    op_id = new_operation(conn, OperationKind.HOLD, user=user, note="expired stock")
    for ref, target in new:
        place_hold(conn, target, reason=f"{EXPIRED_REASON} {dates[ref].isoformat()}", op_id=op_id)
    return {"operation": op_id, "held": [{"ref": ref, "expires": dates[ref]} for ref, _ in new]}


def pick(
    conn: Connection,
    *,
    item: str,
    qty: Decimal | str | int,
    today: dt.date,
    lot: str | None = None,
    from_location: str | None = None,
) -> dict[str, Any]:
    """Which lots and bins (or units) to take `qty` of an item from: first-expiry-first-out,
    passing over held, expired and quarantined stock, as ship and build would take it.
    Nothing is changed: it is the picking list."""
    amount = parse_qty(qty)
    target = target_named(conn, f"{item}@{lot}" if lot else item)
    where = location_named(conn, from_location) if from_location else None
    if target.item.tracking == Tracking.SERIAL:
        lines = _pick_units(conn, target.item, amount, today, target.lot, where)
    else:
        takes = take_quantity(conn, target, amount, today=today, from_location=where,
                              for_use=True)  # fmt: skip
        lines = [_take_line(conn, target.item, t) for t in takes]
    return {"item": target.item.code, "qty": normalize(amount), "lines": lines}


def _take_line(conn: Connection, item: Any, take: Any) -> dict[str, Any]:
    loc = location_by_id(conn, take.location_id)
    lot = lot_by_id(conn, take.lot_id)
    return {
        "item": item.code,
        "lot": lot.code if lot is not None else None,
        "serial": None,
        "location": loc.code,
        "location_path": loc.path,
        "qty": normalize(take.qty),
        "expires": lot.expires if lot is not None else None,
    }


def _pick_units(
    conn: Connection, item: Any, qty: Decimal, today: dt.date, lot: Any, where: Any
) -> list[dict[str, Any]]:
    if qty != qty.to_integral_value():
        raise InvalidInput(f"{item.code} is serial-tracked: pick a whole number of units")
    expires = func.coalesce(units.c.expires, lots.c.expires)
    conditions = [units.c.item_id == item.id, ~locations.c.virtual]
    if lot is not None:
        conditions.append(units.c.lot_id == lot.id)
    if where is not None:
        conditions.append(units.c.location_id == where.id)
    else:  # nor from stock in transit
        conditions.append(
            locations.c.kind.not_in((LocationKind.QUARANTINE.value, LocationKind.TRANSIT.value))
        )
    rows = conn.execute(
        select(units.c.id, units.c.serial, units.c.lot_id, lots.c.code.label("lot"),
               locations.c.code.label("location"), locations.c.path, expires.label("expires"))
        .join(locations, locations.c.id == units.c.location_id)
        .outerjoin(lots, lots.c.id == units.c.lot_id)
        .where(and_(*conditions))
        .order_by(expires.is_(None), expires, locations.c.code, units.c.serial)
    ).all()  # fmt: skip
    held_units, held_lots = held_sets(conn)
    chosen = [
        r
        for r in rows
        if r.id not in held_units
        and r.lot_id not in held_lots
        and (r.expires is None or r.expires >= today)
    ][: int(qty)]
    if len(chosen) < qty:
        raise InsufficientStock(
            f"not enough {item.code}: {normalize(qty)} wanted, {len(chosen)} units available"
            f" (of {len(rows)} on hand, not counting held, expired or quarantined)"
        )
    return [
        {"item": item.code, "lot": r.lot, "serial": r.serial, "location": r.location,
         "location_path": r.path, "qty": Decimal(1), "expires": r.expires}
        for r in chosen
    ]  # fmt: skip
