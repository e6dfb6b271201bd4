"""Choosing the stock an operation takes (see CONVENTIONS: where stock is taken from).

A unit is taken from wherever it is. A quantity of a lot or of an untracked item is
taken from `--from` if given; otherwise first from a preferred location (a build's
own), then first-expiry-first-out across the locations that hold it, ties broken by
location code, never from expired stock or from quarantine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, Row, and_, case, select

from tracelot.domain.errors import InsufficientStock, InvalidInput, NotAvailable, WrongKind
from tracelot.domain.status import ON_HAND, LocationKind, Status, Tracking, status_at
from tracelot.domain.values import normalize
from tracelot.services.holds import held_lot_ids, refuse_if_held
from tracelot.services.ledger import Line
from tracelot.services.lookup import Target, is_expired, location_by_id, lot_by_id
from tracelot.services.packed import packed_by_balance
from tracelot.services.reservations import (
    checked_free,
    lock_balances,
    reserved_balances,
    unit_reserved_for,
)
from tracelot.store.tables import genealogy, items, locations, lots, parties, stock, units


@dataclass(frozen=True)
class Take:
    location_id: int
    lot_id: int | None
    qty: Decimal


def take_quantity(
    conn: Connection,
    target: Target,
    qty: Decimal,
    *,
    today: dt.date,
    from_location: Row | None = None,
    prefer_location_id: int | None = None,
    allow_expired: bool = False,
    for_use: bool = False,
    not_from_id: int | None = None,
    within: Row | None = None,
    so_id: int | None = None,
) -> list[Take]:
    """The balances to take `qty` of a lot or untracked item from, in picking order.

    `for_use` (shipping, consuming) refuses a named lot that is held and passes over
    held lots when picking among them. `within`: only from that location and the ones
    below it (a transfer's source site). Stock reserved for a sales order is taken only
    for that order (`so_id`).
    """
    item = target.item
    if item.tracking == Tracking.SERIAL:
        raise WrongKind(f"item {item.code} is serial-tracked: name its units ({item.code}:SERIAL)")
    held: set[int] = set()
    if for_use:
        refuse_if_held(conn, target, "shipped or consumed")
        held = held_lot_ids(conn, item.id)
    conditions = [stock.c.item_id == item.id, stock.c.qty > 0, ~locations.c.virtual]
    if target.lot is not None:
        conditions.append(stock.c.lot_id == target.lot.id)
    if from_location is not None:
        conditions.append(stock.c.location_id == from_location.id)
    else:  # never from quarantine, nor from stock in transit (it is at no site)
        conditions.append(
            locations.c.kind.not_in((LocationKind.QUARANTINE.value, LocationKind.TRANSIT.value))
        )
    if within is not None:
        below = locations.c.path.startswith(within.path + "/", autoescape=True)
        conditions.append((stock.c.location_id == within.id) | below)
    if not_from_id is not None:  # a move never picks from where it goes
        conditions.append(stock.c.location_id != not_from_id)
    lock_balances(conn, item.id)
    reserved = reserved_balances(conn, item.id, except_so=so_id)
    packed = packed_by_balance(conn, item.id)  # goes only with its case (issue 20)
    prefer = case((stock.c.location_id == (prefer_location_id or 0), 0), else_=1)
    rows = conn.execute(
        select(stock.c.location_id, stock.c.lot_id, stock.c.qty, lots.c.expires, lots.c.code)
        .join(locations, locations.c.id == stock.c.location_id)
        .outerjoin(lots, lots.c.id == stock.c.lot_id)
        .where(and_(*conditions))
        .order_by(prefer, lots.c.expires.is_(None), lots.c.expires, locations.c.code, lots.c.code)
    ).all()
    takes: list[Take] = []
    remaining = qty
    expired_seen: list[str] = []
    for r in rows:
        if is_expired(r.expires, today) and not allow_expired:
            expired_seen.append(f"{item.code}@{r.code} expired {r.expires.isoformat()}")
            continue
        if r.lot_id in held:
            expired_seen.append(f"{item.code}@{r.code} held")
            continue
        others = reserved.get((r.location_id, r.lot_id), 0)
        if r.qty - others <= 0:
            expired_seen.append(f"{item.code}{'@' + r.code if r.code else ''} reserved")
            continue
        # what stays must cover other orders' reservations and what is packed in cases
        # (packed stock goes only with its case), whichever is more
        in_cases = packed.get((r.location_id, r.lot_id), 0)
        if in_cases > others:
            expired_seen.append(f"{item.code}{'@' + r.code if r.code else ''} packed in cases")
        free = r.qty - max(others, in_cases)
        if free <= 0:
            continue
        take = min(free, remaining)
        takes.append(Take(r.location_id, r.lot_id, take))
        remaining -= take
        if remaining == 0:
            checked_free(conn, so_id=so_id,
                         balances=[(item.id, t.location_id, t.lot_id) for t in takes])  # fmt: skip
            return takes
    place = from_location if from_location is not None else within
    where = f" at {place.path}" if place is not None else ""
    there = normalize(qty - remaining)
    message = f"not enough {target}{where}: {normalize(qty)} wanted, {there} available"
    if expired_seen:
        message += " (not counting " + ", ".join(sorted(set(expired_seen))) + ")"
    raise InsufficientStock(message)


def check_unit_available(
    conn: Connection,
    target: Target,
    *,
    today: dt.date,
    from_location: Row | None = None,
    for_use: bool = True,
    so_id: int | None = None,
) -> Row:
    """The location of a unit that is on hand (and neither expired nor held, for shipping
    and building), and not reserved for a sales order (but `so_id`)."""
    unit = target.unit
    assert unit is not None
    loc = location_by_id(conn, unit.location_id)
    status = status_at(loc.kind)
    if status not in ON_HAND:
        raise NotAvailable(f"{target} is {describe_gone(conn, unit, status)}")
    if from_location is not None and from_location.id != loc.id:
        raise NotAvailable(f"{target} is at {loc.path}, not at {from_location.path}")
    expires = unit_expiry(conn, unit)
    if for_use and is_expired(expires, today):
        raise NotAvailable(f"{target} expired on {expires}")
    if for_use:
        refuse_if_held(conn, target, "shipped or consumed")
    reserved_for = unit_reserved_for(conn, unit.id)
    if reserved_for is not None and reserved_for != so_id:
        raise NotAvailable(f"{target} is reserved for sales order {reserved_for}")
    checked_free(conn, so_id=so_id, unit_ids=[unit.id])  # asked again when it is posted
    return loc


def unit_expiry(conn: Connection, unit: Row) -> dt.date | None:
    if unit.expires is not None or unit.lot_id is None:
        return unit.expires
    lot = lot_by_id(conn, unit.lot_id)
    assert lot is not None
    return lot.expires


def describe_gone(conn: Connection, unit: Row, status: Status) -> str:
    """`already shipped to ACME`, `consumed in DEV:D7`, `scrapped`."""
    if status == Status.SHIPPED and unit.party_id is not None:
        customer = conn.execute(
            select(parties.c.code).where(parties.c.id == unit.party_id)
        ).scalar_one()
        return f"already shipped to {customer}"
    if status == Status.CONSUMED:
        assembly = assembly_of(conn, unit.id)
        return f"already consumed in {assembly}" if assembly else "already consumed"
    return f"already {status.value}"


def assembly_of(conn: Connection, unit_id: int) -> str | None:
    """The reference of the build output a unit went into, if it was consumed."""
    row = conn.execute(
        select(items.c.code, units.c.serial, lots.c.code.label("lot"))
        .select_from(genealogy)
        .join(items, items.c.id == genealogy.c.parent_item_id)
        .outerjoin(units, units.c.id == genealogy.c.parent_unit_id)
        .outerjoin(lots, lots.c.id == genealogy.c.parent_lot_id)
        .where(genealogy.c.child_unit_id == unit_id)
        .order_by(genealogy.c.id.desc())
    ).first()
    if row is None:
        return None
    if row.serial is not None:
        return f"{row.code}:{row.serial}"
    return f"{row.code}@{row.lot}" if row.lot else row.code


def take_lines(
    conn: Connection,
    target: Target,
    qty: Decimal | None,
    *,
    to_id: int,
    today: dt.date,
    for_use: bool,
    from_location: Row | None = None,
    prefer_location_id: int | None = None,
    default_qty: Decimal | None = None,
    so_id: int | None = None,
) -> list[Line]:
    """The ledger lines that take `target` (a unit, or `qty` of a lot or item) to `to_id`.

    `for_use` (shipping, consuming) refuses expired stock; moving and scrapping may take
    an expired lot when it is named. Without `qty`, a lot or item is taken whole from
    `--from` or from the one location that holds it, or `default_qty` is taken.
    """
    if target.unit is not None:
        if qty is not None and qty != 1:
            raise InvalidInput(
                f"{target} is a serialized unit: its quantity is 1, not {normalize(qty)}"
            )
        loc = check_unit_available(
            conn, target, today=today, from_location=from_location, for_use=for_use, so_id=so_id
        )
        unit = target.unit
        return [Line(unit.item_id, loc.id, to_id, Decimal(1), lot_id=unit.lot_id, unit_id=unit.id)]
    if qty is None:
        qty = default_qty if default_qty is not None else _whole(conn, target, from_location)
    takes = take_quantity(
        conn,
        target,
        qty,
        today=today,
        from_location=from_location,
        prefer_location_id=prefer_location_id,
        allow_expired=not for_use and target.lot is not None,
        for_use=for_use,
        not_from_id=to_id if not for_use else None,
        so_id=so_id,
    )
    return [Line(target.item.id, t.location_id, to_id, t.qty, lot_id=t.lot_id) for t in takes]


def _whole(conn: Connection, target: Target, from_location: Row | None) -> Decimal:
    """All of a lot or item at `--from`, or at the one location that holds it."""
    query = (
        select(locations.c.path, stock.c.qty)
        .join(locations, locations.c.id == stock.c.location_id)
        .where(stock.c.item_id == target.item.id, stock.c.qty > 0, ~locations.c.virtual)
        .order_by(locations.c.path)
    )
    if target.lot is not None:
        query = query.where(stock.c.lot_id == target.lot.id)
    if from_location is not None:
        query = query.where(stock.c.location_id == from_location.id)
    rows = conn.execute(query).all()
    if not rows:
        where = f" at {from_location.path}" if from_location is not None else ""
        raise InsufficientStock(f"no {target} on hand{where}")
    if len(rows) > 1:
        paths = ", ".join(r.path for r in rows)
        raise InvalidInput(f"{target} is at several locations ({paths}): give --from or --qty")
    return rows[0].qty
