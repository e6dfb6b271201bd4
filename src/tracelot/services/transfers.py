"""Transfers between sites, with the stock in transit.

A transfer sends units, or quantities of lots and untracked items, from one site (a
location and everything below it) to another: on the ledger they move from their bins to
the transit location (a real location of kind `transit`, made by the first transfer), so
they leave the source's available stock, stay counted in stock and valuation, and have
the status `in_transit`. Receiving at the destination moves them from transit into a
location of the destination site, all at once or in parts; completing a transfer books
what never arrived as a difference (transit -> ADJUSTMENT). Transfers are numbered like
recalls.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from tracelot.domain.commands import ReceiveTransfer, Transfer
from tracelot.domain.errors import (
    Conflict,
    InsufficientStock,
    InvalidInput,
    NotAvailable,
    NotFound,
    WrongKind,
)
from tracelot.domain.refs import split_consume
from tracelot.domain.scan import is_only_a_scan
from tracelot.domain.status import LocationKind, OperationKind, Status, Tracking
from tracelot.domain.values import normalize
from tracelot.services import inquiry
from tracelot.services.holds import held_lot_ids, refuse_if_held
from tracelot.services.inspection import age_hours
from tracelot.services.ledger import Line, new_operation, now, post
from tracelot.services.lookup import (
    Target,
    find_location,
    is_expired,
    location_by_id,
    virtual_location,
)
from tracelot.services.picking import check_unit_available, take_quantity
from tracelot.services.resolver import location_named, targets_named
from tracelot.services.summary import result
from tracelot.store.bulk import insert_rows
from tracelot.store.tables import (
    items,
    locations,
    lots,
    operations,
    stock,
    transfer_lines,
    transfer_receipts,
    transfers,
    units,
)

OPEN, RECEIVED = "open", "received"
TRANSIT_CODES = ("TRANSIT", "IN-TRANSIT")


# -- the transit location -------------------------------------------------------------------


def transit_location(conn: Connection) -> Row:
    """The location of stock in transit, made the first time it is needed."""
    found = conn.execute(
        select(locations.c.code)
        .where(locations.c.kind == LocationKind.TRANSIT.value)
        .order_by(locations.c.id)
        .limit(1)
    ).scalar()
    if found is None:
        for code in TRANSIT_CODES:
            if find_location(conn, code) is not None:
                continue
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(locations).values(
                            code=code, name="In transit", kind=LocationKind.TRANSIT.value,
                            path=code, virtual=False, created_at=now(),
                        )
                    )  # fmt: skip
            except IntegrityError:  # another transfer made it at the same moment
                pass
            found = conn.execute(
                select(locations.c.code).where(locations.c.kind == LocationKind.TRANSIT.value)
            ).scalar()
            break
    if found is None:
        raise NotFound(
            "no location for stock in transit can be made: TRANSIT and IN-TRANSIT are taken"
        )
    row = find_location(conn, found)
    assert row is not None
    return row


def _within(place: Row, site: Row) -> bool:
    return place.id == site.id or place.path.startswith(site.path + "/")


# -- sending --------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, Decimal | None]:
    """`REF=QTY` typed by hand (a scan keeps its own `=`)."""
    if not is_only_a_scan(text) and "=" in text:
        return split_consume(text)
    return text, None


def send(
    conn: Connection, command: Transfer, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Send stock from one site to another (see the module): one operation, and the
    transfer that it opens."""
    c = command
    source = location_named(conn, c.from_)
    dest = location_named(conn, c.to)
    if _within(source, dest) or _within(dest, source):
        raise InvalidInput(
            f"--from {source.code} and --to {dest.code} are the same site: move stock within "
            "a site with `move`"
        )
    transit = transit_location(conn)
    today = (at or now()).date()
    split = [_split(text) for text in c.refs]
    targets = targets_named(conn, [text for text, _ in split])
    lines: list[Line] = []
    seen: set[str] = set()
    for target, (_, own_qty) in zip(targets, split, strict=True):
        if str(target) in seen:
            raise InvalidInput(f"{target} is named twice")
        seen.add(str(target))
        refuse_if_held(conn, target, "sent")
        if target.unit is not None:
            if own_qty is not None and own_qty != 1:
                raise InvalidInput(f"{target} is a serialized unit: its quantity is 1")
            loc = check_unit_available(conn, target, today=today, for_use=True)
            if not _within(loc, source):
                raise NotAvailable(f"{target} is at {loc.path}, not at site {source.path}")
            unit = target.unit
            lines.append(Line(unit.item_id, loc.id, transit.id, Decimal(1), lot_id=unit.lot_id,
                              unit_id=unit.id))  # fmt: skip
            continue
        if target.item.tracking == Tracking.SERIAL:
            raise WrongKind(
                f"item {target.item.code} is serial-tracked: name its units "
                f"({target.item.code}:SERIAL)"
            )
        if target.item.tracking == Tracking.LOT and target.lot is None:
            raise WrongKind(f"item {target.item.code} is lot-tracked: name its lots (ITEM@LOT)")
        qty = own_qty if own_qty is not None else c.qty
        if qty is None:
            qty = _available(conn, target, source, today)
        takes = take_quantity(conn, target, qty, today=today, for_use=True, within=source)
        lines += [Line(target.item.id, t.location_id, transit.id, t.qty, lot_id=t.lot_id)
                  for t in takes]  # fmt: skip
    op_id = new_operation(conn, OperationKind.TRANSFER, user=user, at=at, reference=c.reference,
                          note=c.note)  # fmt: skip
    transfer_id = conn.execute(
        insert(transfers)
        .values(status=OPEN, from_location_id=source.id, to_location_id=dest.id,
                transit_location_id=transit.id, carrier=c.carrier, reference=c.reference,
                sent_op_id=op_id)
        .returning(transfers.c.id)
    ).scalar_one()  # fmt: skip
    carried: dict[tuple[int, int | None, int | None], Decimal] = defaultdict(Decimal)
    for ln in lines:
        carried[(ln.item_id, ln.lot_id, ln.unit_id)] += ln.qty
    insert_rows(conn, "transfer_lines", ("transfer_id", "item_id", "lot_id", "unit_id", "qty"),
                ((transfer_id, item_id, lot_id, unit_id, qty)
                 for (item_id, lot_id, unit_id), qty in carried.items()))  # fmt: skip
    posted = post(conn, op_id, lines)
    serials = {t.unit.id: t.unit.serial for t in targets if t.unit is not None}
    done = result(conn, op_id, posted, serials=serials).to_dict()
    return {**_header(conn, transfer_id), **done, "transfer": transfer_id}


def _available(conn: Connection, target: Target, site: Row, today: dt.date) -> Decimal:
    """All of a lot or item that can be sent from a site: on hand there, neither held,
    expired nor in quarantine (a lot or item named without a quantity goes whole)."""
    below = locations.c.path.startswith(site.path + "/", autoescape=True)
    query = (
        select(stock.c.lot_id, stock.c.qty, lots.c.expires)
        .join(locations, locations.c.id == stock.c.location_id)
        .outerjoin(lots, lots.c.id == stock.c.lot_id)
        .where(
            stock.c.item_id == target.item.id,
            stock.c.qty > 0,
            (stock.c.location_id == site.id) | below,
            locations.c.kind.not_in((LocationKind.QUARANTINE.value, LocationKind.TRANSIT.value)),
        )
    )
    if target.lot is not None:
        query = query.where(stock.c.lot_id == target.lot.id)
    held = held_lot_ids(conn, target.item.id)
    there = sum(
        (Decimal(r.qty) for r in conn.execute(query)
         if r.lot_id not in held and not is_expired(r.expires, today)),
        Decimal(0),
    )  # fmt: skip
    if there == 0:
        raise InsufficientStock(f"no {target} available to send at {site.path}")
    return there


# -- receiving ------------------------------------------------------------------------------


def _open_transfer(conn: Connection, transfer_id: int) -> Row:
    """The transfer, locked for this transaction (two receipts of it wait for each other)."""
    conn.execute(
        update(transfers).where(transfers.c.id == transfer_id).values(status=transfers.c.status)
    )
    row = conn.execute(select(transfers).where(transfers.c.id == transfer_id)).first()
    if row is None:
        raise NotFound(f"no transfer {transfer_id}")
    if row.status != OPEN:
        raise NotAvailable(f"transfer {transfer_id} was received already")
    return row


def receive(
    conn: Connection, command: ReceiveTransfer, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Receive a transfer at its destination: what `refs` name, else all still in transit.
    `complete` makes it the last receipt (nothing named: nothing more came): the transfer
    closes (as it does once all has arrived), and what did not arrive is booked missing."""
    c = command
    row = _open_transfer(conn, c.transfer_id)
    site = location_by_id(conn, row.to_location_id)
    dest = location_named(conn, c.to) if c.to else site
    if not _within(dest, site):
        raise InvalidInput(
            f"transfer {row.id} goes to {site.path}: receive it there, not at {dest.path}"
        )
    carried = conn.execute(
        select(transfer_lines).where(transfer_lines.c.transfer_id == row.id)
        .order_by(transfer_lines.c.id)
    ).all()  # fmt: skip
    outstanding = {ln.id: Decimal(ln.qty) - Decimal(ln.received) - Decimal(ln.missing)
                   for ln in carried}  # fmt: skip
    wanted: dict[int, Decimal] = {}
    if c.refs:
        split = [_split(text) for text in c.refs]
        targets = targets_named(conn, [text for text, _ in split])
        for target, (_, own_qty) in zip(targets, split, strict=True):
            line = _line_of(carried, target, row.id)
            if line.id in wanted:
                raise InvalidInput(f"{target} is named twice")
            qty = Decimal(1) if target.unit is not None else (own_qty or c.qty)
            if target.unit is not None and own_qty not in (None, 1):
                raise InvalidInput(f"{target} is a serialized unit: its quantity is 1")
            left = outstanding[line.id]
            qty = left if qty is None else qty
            if qty > left:
                raise InvalidInput(
                    f"{target}: {normalize(qty)} received, but only {normalize(left)} of it is "
                    f"still in transit on transfer {row.id}"
                )
            if qty == 0:
                raise InvalidInput(f"{target} was received already on transfer {row.id}")
            wanted[line.id] = qty
    elif not c.complete:  # nothing named: all of it arrived
        wanted = {ln_id: left for ln_id, left in outstanding.items() if left > 0}
    if c.qty is not None and not c.refs:
        raise InvalidInput("--qty is the quantity of the lots or items named: name them")
    if not wanted and not c.complete:
        raise InvalidInput(f"nothing of transfer {row.id} is still in transit")
    by_id = {ln.id: ln for ln in carried}
    transit = location_by_id(conn, row.transit_location_id)
    lines = [
        Line(by_id[i].item_id, transit.id, dest.id, q, lot_id=by_id[i].lot_id,
             unit_id=by_id[i].unit_id)
        for i, q in wanted.items()
    ]  # fmt: skip
    left_after = {i: outstanding[i] - wanted.get(i, Decimal(0)) for i in outstanding}
    closing = c.complete or all(v == 0 for v in left_after.values())
    missing = {i: v for i, v in left_after.items() if v > 0} if closing else {}
    if missing:
        adjustment = virtual_location(conn, "ADJUSTMENT")
        lines += [
            Line(by_id[i].item_id, transit.id, adjustment.id, q, lot_id=by_id[i].lot_id,
                 unit_id=by_id[i].unit_id)
            for i, q in missing.items()
        ]  # fmt: skip
    op_id = new_operation(conn, OperationKind.TRANSFER_RECEIVE, user=user, at=at,
                          reference=row.reference, note=c.note)  # fmt: skip
    counted = [
        {"line": i, "got": wanted.get(i, Decimal(0)), "lost": missing.get(i, Decimal(0)),
         "both": wanted.get(i, Decimal(0)) + missing.get(i, Decimal(0))}
        for i in sorted(set(wanted) | set(missing))
    ]  # fmt: skip
    if counted and conn.execute(_COUNT_RECEIVED, counted).rowcount != len(counted):
        raise Conflict(f"transfer {row.id} was received at the same moment (conflict, retry)")
    conn.execute(insert(transfer_receipts).values(transfer_id=row.id, operation_id=op_id))
    if closing:
        conn.execute(
            update(transfers)
            .where(transfers.c.id == row.id, transfers.c.status == OPEN)
            .values(status=RECEIVED, closed_op_id=op_id)
        )
    posted = post(conn, op_id, lines)
    done_op = result(conn, op_id, posted).to_dict()
    shown = show(conn, row.id)
    differences = [ln for ln in shown["lines"] if ln["missing"] > 0] if closing else []
    return {
        **done_op,
        "transfer": row.id,
        "status": shown["status"],
        "from": shown["from"],
        "to": shown["to"],
        "differences": differences,
        "outstanding": [ln for ln in shown["lines"] if ln["outstanding"] > 0],
    }


_LEFT = transfer_lines.c.qty - transfer_lines.c.received - transfer_lines.c.missing
#: a line's receipt (and what is booked missing), only if that much is still in transit
_COUNT_RECEIVED = (
    update(transfer_lines)
    .where(transfer_lines.c.id == bindparam("line"), _LEFT >= bindparam("both"))
    .values(
        received=transfer_lines.c.received + bindparam("got"),
        missing=transfer_lines.c.missing + bindparam("lost"),
    )
)


def _line_of(carried: list[Row], target: Target, transfer_id: int) -> Row:
    """The line of a transfer that carries what a reference names."""
    for ln in carried:
        if target.unit is not None:
            if ln.unit_id == target.unit.id:
                return ln
        elif target.lot is not None:
            if ln.lot_id == target.lot.id and ln.unit_id is None:
                return ln
        elif ln.item_id == target.item.id and ln.lot_id is None and ln.unit_id is None:
            return ln
    if target.unit is None and target.lot is None and target.item.tracking != Tracking.NONE:
        raise WrongKind(f"name the lots or units of {target} that arrived")
    raise NotFound(f"{target} is not on transfer {transfer_id}")


# -- reading --------------------------------------------------------------------------------


def _header(conn: Connection, transfer_id: int, at: dt.datetime | None = None) -> dict[str, Any]:
    sent = operations.alias("sent")
    closed = operations.alias("closed")
    source = locations.alias("source")
    dest = locations.alias("dest")
    r = conn.execute(
        select(transfers, source.c.code.label("from_code"), dest.c.code.label("to_code"),
               sent.c.occurred_at.label("sent_at"), sent.c.user_name,
               closed.c.occurred_at.label("closed_at"))
        .join(source, source.c.id == transfers.c.from_location_id)
        .join(dest, dest.c.id == transfers.c.to_location_id)
        .join(sent, sent.c.id == transfers.c.sent_op_id)
        .outerjoin(closed, closed.c.id == transfers.c.closed_op_id)
        .where(transfers.c.id == transfer_id)
    ).first()  # fmt: skip
    if r is None:
        raise NotFound(f"no transfer {transfer_id}")
    return _header_row(r, at or now())


def _header_row(r: Row, at: dt.datetime) -> dict[str, Any]:
    return {
        "transfer": r.id,
        "status": r.status,
        "from": r.from_code,
        "to": r.to_code,
        "carrier": r.carrier,
        "reference": r.reference,
        "sent_at": r.sent_at,
        "sent_by": r.user_name,
        "sent_operation": r.sent_op_id,
        "age_hours": age_hours(r.sent_at, r.closed_at or at),
        "closed_at": r.closed_at,
        "closed_operation": r.closed_op_id,
    }


def list_transfers(conn: Connection, *, all_: bool = False) -> list[dict[str, Any]]:
    """Open transfers (with `all_`, every one), oldest first, with their age and totals."""
    sent = operations.alias("sent")
    closed = operations.alias("closed")
    source = locations.alias("source")
    dest = locations.alias("dest")
    query = (
        select(transfers, source.c.code.label("from_code"), dest.c.code.label("to_code"),
               sent.c.occurred_at.label("sent_at"), sent.c.user_name,
               closed.c.occurred_at.label("closed_at"))
        .join(source, source.c.id == transfers.c.from_location_id)
        .join(dest, dest.c.id == transfers.c.to_location_id)
        .join(sent, sent.c.id == transfers.c.sent_op_id)
        .outerjoin(closed, closed.c.id == transfers.c.closed_op_id)
        .order_by(transfers.c.id)
    )  # fmt: skip
    if not all_:
        query = query.where(transfers.c.status == OPEN)
    rows = conn.execute(query).all()
    totals: dict[int, list[Decimal]] = {}
    if rows:
        ids = [r.id for r in rows]
        for start in range(0, len(ids), 5_000):
            for ln in conn.execute(
                select(transfer_lines.c.transfer_id, transfer_lines.c.qty,
                       transfer_lines.c.received, transfer_lines.c.missing)
                .where(transfer_lines.c.transfer_id.in_(ids[start : start + 5_000]))
            ):  # fmt: skip
                t = totals.setdefault(ln.transfer_id, [Decimal(0)] * 4)
                t[0] += 1
                t[1] += Decimal(ln.qty)
                t[2] += Decimal(ln.received)
                t[3] += Decimal(ln.missing)
    at = now()
    out = []
    for r in rows:
        lines, qty, received, missing = totals.get(r.id, [Decimal(0)] * 4)
        out.append({**_header_row(r, at), "lines": int(lines), "qty": qty, "received": received,
                    "missing": missing, "in_transit": qty - received - missing})  # fmt: skip
    return out


def show(conn: Connection, transfer_id: int) -> dict[str, Any]:
    """A transfer: where from and to, what it carries (sent, received, missing, still in
    transit) and its receipts."""
    header = _header(conn, transfer_id)
    rows = conn.execute(
        select(transfer_lines, items.c.code.label("item"), items.c.name.label("item_name"),
               lots.c.code.label("lot"), units.c.serial)
        .join(items, items.c.id == transfer_lines.c.item_id)
        .outerjoin(lots, lots.c.id == transfer_lines.c.lot_id)
        .outerjoin(units, units.c.id == transfer_lines.c.unit_id)
        .where(transfer_lines.c.transfer_id == transfer_id)
        .order_by(items.c.code, lots.c.code, units.c.serial, transfer_lines.c.id)
    ).all()  # fmt: skip
    receipts = conn.execute(
        select(operations.c.id, operations.c.occurred_at, operations.c.user_name,
               operations.c.note)
        .join(transfer_receipts, transfer_receipts.c.operation_id == operations.c.id)
        .where(transfer_receipts.c.transfer_id == transfer_id)
        .order_by(operations.c.id)
    ).all()  # fmt: skip
    return {
        **header,
        "lines": [
            {
                "item": r.item,
                "item_name": r.item_name,
                "lot": r.lot,
                "serial": r.serial,
                "sent": r.qty,
                "received": r.received,
                "missing": r.missing,
                "outstanding": Decimal(r.qty) - Decimal(r.received) - Decimal(r.missing),
            }
            for r in rows
        ],
        "receipts": [
            {"operation": r.id, "at": r.occurred_at, "user": r.user_name, "note": r.note}
            for r in receipts
        ],
    }


def where(conn: Connection, ref: str) -> list[dict[str, Any]]:
    """`where`, with the transfer of what is in transit: its number, from, to and since
    (a lot's balance in transit is shown per transfer)."""
    rows = inquiry.where(conn, ref)
    if not any(r.get("status") == Status.IN_TRANSIT.value for r in rows):
        return rows
    out: list[dict[str, Any]] = []
    for r in rows:
        if r.get("status") != Status.IN_TRANSIT.value:
            out.append(r)
            continue
        for place in _in_transit(conn, r):
            out.append({**r, **place})
    return out


def _in_transit(conn: Connection, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The open transfers carrying what a `where` row in transit names."""
    item_id = conn.execute(select(items.c.id).where(items.c.code == row["item"])).scalar_one()
    condition = transfer_lines.c.item_id == item_id
    if row.get("serial"):
        unit_id = conn.execute(
            select(units.c.id).where(units.c.item_id == item_id, units.c.serial == row["serial"])
        ).scalar_one()
        condition = condition & (transfer_lines.c.unit_id == unit_id)
    elif row.get("lot"):
        lot_id = conn.execute(
            select(lots.c.id).where(lots.c.item_id == item_id, lots.c.code == row["lot"])
        ).scalar_one()
        condition = condition & (transfer_lines.c.lot_id == lot_id)
        condition = condition & transfer_lines.c.unit_id.is_(None)
    else:
        condition = condition & transfer_lines.c.lot_id.is_(None)
    lines = conn.execute(
        select(transfer_lines.c.transfer_id, transfer_lines.c.qty, transfer_lines.c.received,
               transfer_lines.c.missing)
        .join(transfers, transfers.c.id == transfer_lines.c.transfer_id)
        .where(condition, transfers.c.status == OPEN)
        .order_by(transfer_lines.c.transfer_id)
    ).all()  # fmt: skip
    found = []
    for ln in lines:
        left = Decimal(ln.qty) - Decimal(ln.received) - Decimal(ln.missing)
        if left <= 0:
            continue
        header = _header(conn, ln.transfer_id)
        found.append({"qty": left if not row.get("serial") else row["qty"],
                      "transfer": ln.transfer_id, "from": header["from"], "to": header["to"],
                      "since": header["sent_at"]})  # fmt: skip
    return found or [{"transfer": None, "from": None, "to": None, "since": None}]
