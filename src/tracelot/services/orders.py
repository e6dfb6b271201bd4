"""Sales orders and the stock reserved for them.

An order is a draft until it is confirmed; confirming reserves its stock, first-expiry-
first-out across the bins that hold it (never held, expired, quarantined, line-side or
in-transit stock), and what cannot be reserved yet stays unreserved until `so reserve N`
finds some. Named lots and units can be reserved instead (`so reserve N REF...`). No
other operation takes reserved stock (services/picking.py). Shipping against the order
(services/order_shipping.py) uses its reservations up; the order is then partly shipped
or shipped. Cancelling releases what is reserved. Orders are numbered like recalls.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from tracelot.domain.commands import (
    CancelSalesOrder,
    ConfirmSalesOrder,
    CreateSalesOrder,
    ReserveSalesOrder,
)
from tracelot.domain.errors import InvalidInput, NotAvailable, NotFound, WrongKind
from tracelot.domain.refs import split_consume
from tracelot.domain.scan import is_only_a_scan, looks_like_scan
from tracelot.domain.status import Tracking
from tracelot.domain.uom import is_pack_name
from tracelot.domain.values import normalize, parse_money, parse_qty
from tracelot.services import uom
from tracelot.services.holds import held_lots_of
from tracelot.services.inactive import refuse_inactive_lines, refuse_inactive_operation
from tracelot.services.ledger import now
from tracelot.services.lookup import (
    Target,
    codes_ahead,
    find_item,
    is_expired,
    lot_by_code,
    party_by_code,
)
from tracelot.services.picking import check_unit_available
from tracelot.services.reservations import (
    NOT_FOR_SALE,
    lock_balances,
    lock_balances_of,
    reservations_changed,
)
from tracelot.services.resolver import item_named, targets_named
from tracelot.store.bulk import id_in, insert_rows
from tracelot.store.engine import records
from tracelot.store.tables import (
    holds,
    items,
    locations,
    lots,
    operations,
    parties,
    reservations,
    sales_orders,
    so_lines,
    so_picks,
    so_shipments,
    stock,
    units,
)

DRAFT, OPEN, PARTLY_SHIPPED, SHIPPED, CANCELLED = (
    "draft", "open", "partly_shipped", "shipped", "cancelled",
)  # fmt: skip
STATUSES = (DRAFT, OPEN, PARTLY_SHIPPED, SHIPPED, CANCELLED)
#: orders whose stock is reserved and that can be picked and shipped
ACTIVE = (OPEN, PARTLY_SHIPPED)


def parse_line(spec: str) -> tuple[str, str | None, Decimal, Decimal | None, str | None]:
    """`ITEM[@LOT]:QTY[:PRICE][:PACK]` as (item, lot, quantity, price, pack): with a pack
    (a word: case, box), the quantity counts packs and the price is of one pack."""
    given = spec
    head, _, last = spec.rpartition(":")
    pack = None
    if head and is_pack_name(last):
        spec, pack = (head[:-1] if head.endswith(":") else head), last.strip()  # ITEM:QTY::PACK
    parts = spec.rsplit(":", 2) if spec.count(":") >= 2 else spec.rsplit(":", 1)
    if len(parts) < 2 or not parts[0].strip() or ":" in parts[0]:
        raise InvalidInput(f"a sales order line is ITEM:QTY[:PRICE][:PACK], not {given!r}")
    code, _, lot = parts[0].strip().partition("@")
    price = parse_money(parts[2], what="price") if len(parts) == 3 else None
    return code, lot or None, parse_qty(parts[1], what=f"quantity of {parts[0]}"), price, pack


# -- the order --------------------------------------------------------------------------------


def order_row(conn: Connection, so_id: int, *, lock: bool = False) -> Row:
    """The order with its customer's code; `lock`: held for this transaction (two
    operations on one order wait for each other)."""
    if lock:
        conn.execute(update(sales_orders).where(sales_orders.c.id == so_id)
                     .values(status=sales_orders.c.status))  # fmt: skip
    row = conn.execute(
        select(sales_orders, parties.c.code.label("customer"),
               parties.c.name.label("customer_name"))
        .join(parties, parties.c.id == sales_orders.c.customer_id)
        .where(sales_orders.c.id == so_id)
    ).first()  # fmt: skip
    if row is None:
        raise NotFound(f"no sales order {so_id}")
    return row


def order_lines(conn: Connection, so_id: int, item_ids: list[int] | None = None) -> list[Row]:
    """An order's lines (those of some items), in line order."""
    query = (
        select(so_lines, items.c.code.label("item"), items.c.name.label("item_name"),
               items.c.tracking, lots.c.code.label("lot"))
        .join(items, items.c.id == so_lines.c.item_id)
        .outerjoin(lots, lots.c.id == so_lines.c.lot_id)
        .where(so_lines.c.so_id == so_id)
        .order_by(so_lines.c.line_no)
    )  # fmt: skip
    if item_ids is not None:
        query = query.where(id_in(conn, so_lines.c.item_id, item_ids))
    return records(conn.execute(query))


def handle_create(
    conn: Connection, command: CreateSalesOrder, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """A sales order of the command's lines to its customer: a draft, or confirmed (its
    stock reserved) with `confirm`."""
    c = command
    party = party_by_code(conn, c.customer, "customer")
    refuse_inactive_operation(conn, "sales_order", user=user, party_id=party.id)
    parsed = []
    specs = [parse_line(spec) for spec in c.lines]
    codes_ahead(conn, [code for code, *_ in specs])  # a long order: its items at once
    for code, lot_code, qty, price, pack in specs:
        # an item's code as typed (read ahead); a scan, or what names no item, is resolved
        item = (None if looks_like_scan(code) else find_item(conn, code)) or item_named(conn, code)
        lot = None
        if lot_code is not None:
            if item.tracking == Tracking.NONE:
                raise WrongKind(f"item {item.code} has no lots: order it as {item.code}:QTY")
            lot = lot_by_code(conn, item, lot_code)
        if item.tracking == Tracking.SERIAL and qty != qty.to_integral_value():
            raise InvalidInput(f"{item.code} is serial-tracked: order whole units, not {qty}")
        qty, price, in_pack = uom.ordered_in(conn, item, qty, price, pack)
        parsed.append((item, lot, qty, price, in_pack))
    refuse_inactive_lines(conn, "sales_order", [item.id for item, *_ in parsed], [])
    moment = at or now()
    so_id = conn.execute(
        insert(sales_orders)
        .values(customer_id=party.id, status=DRAFT, ship_by=c.ship_by, reference=c.reference,
                note=c.note, user_name=user, created_at=moment)
        .returning(sales_orders.c.id)
    ).scalar_one()  # fmt: skip
    insert_rows(conn, "so_lines", ("so_id", "line_no", "item_id", "lot_id", "qty", "price",
                                   "shipped", "pack", "pack_qty", "pack_price"), [
        (so_id, n, item.id, lot.id if lot else None, qty, price, 0, in_pack["pack"],
         in_pack["pack_qty"], in_pack["pack_price"])
        for n, (item, lot, qty, price, in_pack) in enumerate(parsed, start=1)
    ])  # fmt: skip
    if c.confirm:
        _confirm(conn, order_row(conn, so_id, lock=True), moment)
    return show(conn, so_id)


def handle_confirm(
    conn: Connection, command: ConfirmSalesOrder, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Confirm a draft: it is open, and its stock reserved first-expiry-first-out."""
    order = order_row(conn, command.so_id, lock=True)
    if order.status != DRAFT:
        raise NotAvailable(f"sales order {order.id} is {order.status}, not a draft")
    _confirm(conn, order, at or now(), command.refs)
    return show(conn, order.id)


def _confirm(conn: Connection, order: Row, moment: dt.datetime, refs: tuple[str, ...] = ()) -> None:
    conn.execute(update(sales_orders).where(sales_orders.c.id == order.id)
                 .values(status=OPEN, confirmed_at=moment))  # fmt: skip
    if refs:
        _reserve_named(conn, order.id, refs, moment.date())
    reserve_fefo(conn, order.id, moment.date())


def handle_reserve(
    conn: Connection, command: ReserveSalesOrder, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Reserve named units and lots for an open order, or what its lines still need."""
    order = order_row(conn, command.so_id, lock=True)
    if order.status not in ACTIVE:
        hint = ": confirm it first (`tracelot so confirm`)" if order.status == DRAFT else ""
        raise NotAvailable(f"sales order {order.id} is {order.status}{hint}")
    today = (at or now()).date()
    if command.refs:
        _reserve_named(conn, order.id, command.refs, today)
    else:
        reserve_fefo(conn, order.id, today)
    return show(conn, order.id)


def handle_cancel(
    conn: Connection, command: CancelSalesOrder, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Cancel an order (what is still to ship of a partly shipped one): its reservations
    and the picks not shipped are released."""
    order = order_row(conn, command.so_id, lock=True)
    if order.status in (SHIPPED, CANCELLED):
        raise NotAvailable(f"sales order {order.id} is {order.status} already")
    conn.execute(delete(reservations).where(reservations.c.so_id == order.id))
    conn.execute(delete(so_picks).where(so_picks.c.so_id == order.id,
                                        so_picks.c.shipped_op_id.is_(None)))  # fmt: skip
    note = order.note
    if command.reason:
        note = f"{note}\n" if note else ""
        note += f"cancelled: {command.reason}"
    conn.execute(update(sales_orders).where(sales_orders.c.id == order.id)
                 .values(status=CANCELLED, closed_at=at or now(), note=note))  # fmt: skip
    return show(conn, order.id)


# -- reserving --------------------------------------------------------------------------------


def reserved_by_line(conn: Connection, so_id: int) -> dict[int, Decimal]:
    rows = conn.execute(
        select(reservations.c.so_line_id, func.sum(reservations.c.qty))
        .where(reservations.c.so_id == so_id)
        .group_by(reservations.c.so_line_id)
    )
    return {line_id: Decimal(q) for line_id, q in rows}


def reserve_fefo(conn: Connection, so_id: int, today: dt.date) -> None:
    """Reserve what each line still needs, first-expiry-first-out; a line short of stock
    keeps what it could get. The free stock of every line's item is read at once (a
    long order is a few statements, not some per line)."""
    reserved = reserved_by_line(conn, so_id)
    needs = []
    for line in order_lines(conn, so_id):
        need = line.qty - line.shipped - reserved.get(line.id, Decimal(0))
        if need > 0:
            needs.append((line, need))
    lock_balances_of(conn, [line.item_id for line, _ in needs])
    bulk = [(line, need) for line, need in needs if line.tracking != Tracking.SERIAL]
    free = free_balances_of(conn, [line.item_id for line, _ in bulk], today)
    rows: list[_Reservation] = []
    chosen: set[int] = set()  # units reserved here for an earlier line of the same item
    for line, need in needs:
        if line.tracking == Tracking.SERIAL:
            found = free_units(conn, line.item_id, line.lot_id, today,
                               limit=int(need) + len(chosen))  # fmt: skip
            for u in [u for u in found if u.id not in chosen][: int(need)]:
                chosen.add(u.id)
                rows.append(_row(so_id, line, u.location_id, u.lot_id, Decimal(1), u.id))
            continue
        for balance in free.get(line.item_id, []):
            location_id, lot_id, left = balance
            if left <= 0 or (line.lot_id is not None and lot_id != line.lot_id):
                continue
            take = min(left, need)
            balance[2] = left - take  # a second line of the item gets what is left
            rows.append(_row(so_id, line, location_id, lot_id, take))
            need -= take
            if need == 0:
                break
    _insert(conn, rows)


_Reservation = tuple[int, int, int, int, int | None, int | None, Decimal]
_RESERVATION_COLUMNS = ("so_id", "so_line_id", "item_id", "location_id", "lot_id", "unit_id",
                        "qty")  # fmt: skip


def _row(so_id: int, line: Row, location_id: int, lot_id: int | None, qty: Decimal,
         unit_id: int | None = None) -> _Reservation:  # fmt: skip
    return (so_id, line.id, line.item_id, location_id, lot_id, unit_id, qty)


def _insert(conn: Connection, rows: list[_Reservation]) -> None:
    if rows:
        insert_rows(conn, "reservations", _RESERVATION_COLUMNS, rows)
        reservations_changed(conn)


def _sellable() -> Any:
    return (~locations.c.virtual) & locations.c.kind.not_in(NOT_FOR_SALE)


def free_balances(
    conn: Connection, item_id: int, lot_id: int | None, today: dt.date
) -> list[tuple[int, int | None, Decimal]]:
    """(location, lot, free quantity) of an item (or one lot) that can be reserved, in
    first-expiry-first-out order (ties by location code): on hand in a sellable place,
    neither held nor expired, less what is reserved already."""
    return [(location, lot, qty) for location, lot, qty in free_balances_of(
        conn, [item_id], today).get(item_id, []) if lot_id is None or lot == lot_id]  # fmt: skip


def free_balances_of(
    conn: Connection, item_ids: list[int], today: dt.date
) -> dict[int, list[list]]:
    """`free_balances` of many items at once: item -> [location, lot, free] lists, in
    first-expiry-first-out order; a statement of each kind per 500 items."""
    ids = sorted(set(item_ids))
    out: dict[int, list[list]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        taken: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
        for item, loc, lot, qty in conn.execute(  # afresh: after the balances were locked
            select(reservations.c.item_id, reservations.c.location_id,
                   reservations.c.lot_id, reservations.c.qty)
            .where(id_in(conn, reservations.c.item_id, chunk))
        ).all():  # fmt: skip
            taken[(item, loc, lot)] += Decimal(qty)
        held = held_lots_of(conn, chunk)
        query = (
            select(stock.c.item_id, stock.c.location_id, stock.c.lot_id, stock.c.qty,
                   lots.c.expires)
            .join(locations, locations.c.id == stock.c.location_id)
            .outerjoin(lots, lots.c.id == stock.c.lot_id)
            .where(id_in(conn, stock.c.item_id, chunk), stock.c.qty > 0, _sellable())
            .order_by(stock.c.item_id, lots.c.expires.is_(None), lots.c.expires,
                      locations.c.code, lots.c.code)
        )  # fmt: skip
        for r in records(conn.execute(query)):
            if (r.item_id, r.lot_id) in held or is_expired(r.expires, today):
                continue
            free = Decimal(r.qty) - taken.get((r.item_id, r.location_id, r.lot_id), Decimal(0))
            if free > 0:
                out.setdefault(r.item_id, []).append([r.location_id, r.lot_id, free])
    return out


def free_units(
    conn: Connection, item_id: int, lot_id: int | None, today: dt.date, *, limit: int
) -> list[Row]:
    """Units of an item (or of one lot) that can be reserved, first-expiry-first-out."""
    expires = func.coalesce(units.c.expires, lots.c.expires)
    reserved = select(reservations.c.unit_id).where(reservations.c.unit_id == units.c.id)
    held_unit = select(holds.c.id).where(
        holds.c.released_op_id.is_(None),
        (holds.c.unit_id == units.c.id) | ((holds.c.lot_id == units.c.lot_id)
                                           & holds.c.unit_id.is_(None)),
    )  # fmt: skip
    query = (
        select(units.c.id, units.c.location_id, units.c.lot_id, expires.label("expires"))
        .join(locations, locations.c.id == units.c.location_id)
        .outerjoin(lots, lots.c.id == units.c.lot_id)
        .where(units.c.item_id == item_id, _sellable(), ~reserved.exists(), ~held_unit.exists(),
               (expires.is_(None)) | (expires >= today))
        .order_by(expires.is_(None), expires, locations.c.code, units.c.serial)
        .limit(limit)
    )  # fmt: skip
    if lot_id is not None:
        query = query.where(units.c.lot_id == lot_id)
    return list(conn.execute(query))


def _split(text: str) -> tuple[str, Decimal | None]:
    """`REF=QTY` typed by hand (a scan keeps its own `=`)."""
    if not is_only_a_scan(text) and "=" in text:
        return split_consume(text)
    return text, None


def lines_by_item(lines: list[Row]) -> dict[int, list[Row]]:
    """An order's lines by item (to find a scan's line at once in a long order)."""
    out: dict[int, list[Row]] = defaultdict(list)
    for ln in lines:
        out[ln.item_id].append(ln)
    return out


def line_for(lines: list[Row] | dict[int, list[Row]], target: Target,
             left: dict[int, Decimal], so_id: int) -> Row:  # fmt: skip
    """The order's line a unit or lot goes against: the first of its item (and lot, when a
    line names one) with something left; refused for an item or lot the order lacks.
    `lines`: the order's lines, or `lines_by_item` of them."""
    if isinstance(lines, dict):
        mine = lines.get(target.item.id, [])
    else:
        mine = [ln for ln in lines if ln.item_id == target.item.id]
    if not mine:
        raise WrongKind(f"wrong item: sales order {so_id} does not order {target.item.code}")
    lot_id = target.lot.id if target.lot is not None else None
    fitting = [ln for ln in mine if ln.lot_id is None or ln.lot_id == lot_id]
    if not fitting:
        wanted = ", ".join(sorted({f"{ln.item}@{ln.lot}" for ln in mine}))
        raise WrongKind(f"wrong lot: sales order {so_id} orders {wanted}, not {target}")
    for ln in fitting:
        if left[ln.id] > 0:
            return ln
    return fitting[0]


def _reserve_named(conn: Connection, so_id: int, refs: tuple[str, ...], today: dt.date) -> None:
    lines = order_lines(conn, so_id)
    reserved = reserved_by_line(conn, so_id)
    left = {ln.id: ln.qty - ln.shipped - reserved.get(ln.id, Decimal(0)) for ln in lines}
    split = [_split(text) for text in refs]
    rows: list[_Reservation] = []
    for target, (_, own) in zip(targets_named(conn, [t for t, _ in split]), split, strict=True):
        line = line_for(lines, target, left, so_id)
        lock_balances(conn, line.item_id, reserving=True)
        if target.unit is not None:
            unit = target.unit
            loc = check_unit_available(conn, target, today=today, so_id=so_id)
            if loc.kind in NOT_FOR_SALE:
                raise NotAvailable(f"{target} is at {loc.path} ({loc.kind}): not for sale")
            taken = conn.execute(select(reservations.c.so_id)
                                 .where(reservations.c.unit_id == unit.id)).scalar()  # fmt: skip
            if taken is not None:
                raise NotAvailable(f"{target} is reserved for sales order {taken} already")
            if left[line.id] < 1:
                raise InvalidInput(f"line {line.line_no} ({line.item}) of sales order {so_id} "
                                   "is reserved in full already")  # fmt: skip
            rows.append(_row(so_id, line, loc.id, unit.lot_id, Decimal(1), unit.id))
            left[line.id] -= 1
            _insert(conn, rows)
            rows = []
            continue
        if target.item.tracking == Tracking.SERIAL:
            raise WrongKind(f"item {target.item.code} is serial-tracked: name its units")
        lot_id = target.lot.id if target.lot is not None else None
        free = free_balances(conn, target.item.id, lot_id, today)
        wanted = own if own is not None else min(left[line.id], sum(f for *_, f in free))
        if wanted <= 0 or wanted > left[line.id]:
            raise InvalidInput(f"line {line.line_no} of sales order {so_id} needs "
                               f"{normalize(max(left[line.id], Decimal(0)))} more "
                               f"{line.item}, not {normalize(wanted)}")  # fmt: skip
        need = wanted
        for location_id, lot, qty in free:
            take = min(qty, need)
            rows.append(_row(so_id, line, location_id, lot, take))
            need -= take
            if need == 0:
                break
        if need > 0:
            raise NotAvailable(f"not enough {target} free to reserve: {normalize(wanted)} "
                               f"wanted, {normalize(wanted - need)} free")  # fmt: skip
        left[line.id] -= wanted
        _insert(conn, rows)
        rows = []


def trim(conn: Connection, so_id: int) -> None:
    """Release what an order's lines hold beyond what they still need (after shipping
    from other stock than reserved), newest reservations first; those that back a pick
    not shipped yet go last, so that picks and reservations stay in step (`_trim_picks`
    in order_shipping lets go of the picks beyond the need first)."""
    reserved = reserved_by_line(conn, so_id)
    picked: dict[tuple[int, int, int | None, int | None], Decimal] = defaultdict(Decimal)
    for p in conn.execute(
        select(so_picks.c.so_line_id, so_picks.c.location_id, so_picks.c.lot_id,
               so_picks.c.unit_id, so_picks.c.qty)
        .where(so_picks.c.so_id == so_id, so_picks.c.shipped_op_id.is_(None))
    ):  # fmt: skip
        picked[(p.so_line_id, p.location_id, p.lot_id, p.unit_id)] += Decimal(p.qty)
    for line in order_lines(conn, so_id):
        extra = reserved.get(line.id, Decimal(0)) - (line.qty - line.shipped)
        if extra <= 0:
            continue
        rows = conn.execute(select(reservations).where(reservations.c.so_line_id == line.id)
                            .order_by(reservations.c.id.desc())).all()  # fmt: skip
        backing = dict(picked)  # the oldest reservations back the picks
        spare: dict[int, Decimal] = {}
        for r in reversed(rows):
            key = (line.id, r.location_id, r.lot_id, r.unit_id)
            kept = min(Decimal(r.qty), backing.get(key, Decimal(0)))
            backing[key] = backing.get(key, Decimal(0)) - kept
            spare[r.id] = Decimal(r.qty) - kept
        left = {r.id: Decimal(r.qty) for r in rows}
        for free_only in (True, False):
            for r in rows:
                if extra <= 0:
                    break
                take = min(extra, spare[r.id] if free_only else left[r.id])
                if take <= 0:
                    continue
                left[r.id] -= take
                spare[r.id] = min(spare[r.id], left[r.id])
                extra -= take
                if left[r.id] == 0:
                    conn.execute(delete(reservations).where(reservations.c.id == r.id))
                else:
                    conn.execute(update(reservations).where(reservations.c.id == r.id)
                                 .values(qty=left[r.id]))  # fmt: skip


def unship(conn: Connection, op_id: int, void_id: int, today: dt.date) -> None:
    """A shipment against orders voided: its lines count it no more (a row of the void
    takes it back), each order is open again (partly shipped while other shipments
    stand), and what its lines need again is reserved first-expiry-first-out."""
    shipped = conn.execute(
        select(so_shipments.c.so_line_id, so_shipments.c.qty, so_lines.c.so_id)
        .join(so_lines, so_lines.c.id == so_shipments.c.so_line_id)
        .where(so_shipments.c.operation_id == op_id)
        .order_by(so_shipments.c.id)
    ).all()
    for line_id, qty, _ in shipped:
        conn.execute(update(so_lines).where(so_lines.c.id == line_id)
                     .values(shipped=so_lines.c.shipped - qty))  # fmt: skip
        conn.execute(insert(so_shipments).values(so_line_id=line_id, operation_id=void_id,
                                                 qty=-qty))  # fmt: skip
    conn.execute(update(so_picks).where(so_picks.c.shipped_op_id == op_id)
                 .values(shipped_op_id=None))  # fmt: skip
    for so_id in sorted({r.so_id for r in shipped}):
        any_shipped = conn.execute(
            select(func.count()).select_from(so_lines)
            .where(so_lines.c.so_id == so_id, so_lines.c.shipped > 0)
        ).scalar_one()  # fmt: skip
        conn.execute(update(sales_orders).where(sales_orders.c.id == so_id).values(
            status=PARTLY_SHIPPED if any_shipped else OPEN, closed_at=None))  # fmt: skip
        reserve_fefo(conn, so_id, today)


# -- reading ----------------------------------------------------------------------------------


def _summary(o: Row) -> dict[str, Any]:
    return {
        "id": o.id,
        "order": o.id,
        "customer": o.customer,
        "customer_name": o.customer_name,
        "status": o.status,
        "ship_by": o.ship_by,
        "reference": o.reference,
        "note": o.note,
        "created_at": o.created_at,
        "created_by": o.user_name,
        "confirmed_at": o.confirmed_at,
        "closed_at": o.closed_at,
    }


def picked_by_line(conn: Connection, so_id: int) -> dict[int, Decimal]:
    rows = conn.execute(
        select(so_picks.c.so_line_id, func.sum(so_picks.c.qty))
        .where(so_picks.c.so_id == so_id, so_picks.c.shipped_op_id.is_(None))
        .group_by(so_picks.c.so_line_id)
    )
    return {line_id: Decimal(q) for line_id, q in rows}


def show(conn: Connection, so_id: int) -> dict[str, Any]:
    """An order, its lines (ordered, reserved, picked, shipped, backorder), what is
    reserved for it and its shipments."""
    order = order_row(conn, so_id)
    reserved = reserved_by_line(conn, so_id)
    picked = picked_by_line(conn, so_id)
    live = order.status != CANCELLED
    lines = [
        {
            "line": ln.line_no,
            "item": ln.item,
            "item_name": ln.item_name,
            "lot": ln.lot,
            "qty": ln.qty,
            "price": ln.price,
            "value": ln.qty * ln.price if ln.price is not None else None,
            **uom.line_in_pack(ln),  # its pack, the packs ordered, the pack's price
            "reserved": reserved.get(ln.id, Decimal(0)),
            "picked": picked.get(ln.id, Decimal(0)),
            "shipped": ln.shipped,
            "backorder": ln.qty - ln.shipped if live and order.status != DRAFT else Decimal(0),
        }
        for ln in order_lines(conn, so_id)
    ]
    held = records(conn.execute(
        select(so_lines.c.line_no, items.c.code.label("item"), lots.c.code.label("lot"),
               units.c.serial, locations.c.code.label("location"),
               locations.c.path.label("location_path"), reservations.c.qty)
        .join(so_lines, so_lines.c.id == reservations.c.so_line_id)
        .join(items, items.c.id == reservations.c.item_id)
        .join(locations, locations.c.id == reservations.c.location_id)
        .outerjoin(lots, lots.c.id == reservations.c.lot_id)
        .outerjoin(units, units.c.id == reservations.c.unit_id)
        .where(reservations.c.so_id == so_id)
        .order_by(so_lines.c.line_no, locations.c.code, lots.c.code, units.c.serial)
    ))  # fmt: skip
    shipments = conn.execute(
        select(so_lines.c.line_no, so_shipments.c.qty, operations.c.id.label("operation"),
               operations.c.occurred_at)
        .join(so_lines, so_lines.c.id == so_shipments.c.so_line_id)
        .join(operations, operations.c.id == so_shipments.c.operation_id)
        .where(so_lines.c.so_id == so_id)
        .order_by(operations.c.id, so_lines.c.line_no)
    ).all()  # fmt: skip
    return {
        **_summary(order),
        "lines": lines,
        "reservations": [
            {
                "line": r.line_no,
                "item": r.item,
                "lot": r.lot,
                "serial": r.serial,
                "location": r.location,
                "location_path": r.location_path,
                "qty": r.qty,
            }
            for r in held
        ],  # fmt: skip
        "shipments": [
            {
                "line": s.line_no,
                "qty": s.qty,
                "operation": s.operation,
                "occurred_at": s.occurred_at,
            }
            for s in shipments
        ],  # fmt: skip
    }


def list_orders(
    conn: Connection, *, status: str | None = None, customer: str | None = None
) -> list[dict[str, Any]]:
    """Every order (of a status, of a customer), in number order, with its totals."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    query = (
        select(sales_orders, parties.c.code.label("customer"),
               parties.c.name.label("customer_name"),
               func.count(so_lines.c.id).label("lines"), func.sum(so_lines.c.qty).label("qty"),
               func.sum(so_lines.c.shipped).label("shipped"))
        .join(parties, parties.c.id == sales_orders.c.customer_id)
        .outerjoin(so_lines, so_lines.c.so_id == sales_orders.c.id)
        .group_by(sales_orders.c.id, parties.c.code, parties.c.name)
        .order_by(sales_orders.c.id)
    )  # fmt: skip
    if status is not None:
        query = query.where(sales_orders.c.status == status)
    if customer is not None:
        query = query.where(
            sales_orders.c.customer_id == party_by_code(conn, customer, "customer").id
        )
    reserved = dict(conn.execute(
        select(reservations.c.so_id, func.sum(reservations.c.qty))
        .group_by(reservations.c.so_id)
    ).all())  # fmt: skip
    return [
        {
            **_summary(r),
            "lines": r.lines,
            "qty": normalize(Decimal(str(r.qty or 0))),
            "reserved": normalize(Decimal(str(reserved.get(r.id) or 0))),
            "shipped": normalize(Decimal(str(r.shipped or 0))),
        }
        for r in conn.execute(query).all()
    ]


def orders_of_operations(conn: Connection, op_ids: list[int]) -> dict[int, int]:
    """The sales order each of these shipments went against (those that did)."""
    if not op_ids:
        return {}
    rows = conn.execute(
        select(so_shipments.c.operation_id, so_lines.c.so_id)
        .join(so_lines, so_lines.c.id == so_shipments.c.so_line_id)
        .where(so_shipments.c.operation_id.in_(sorted(set(op_ids))))
    )
    return {op: so for op, so in rows}
