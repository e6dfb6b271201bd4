"""Receiving from a supplier: serials, a lot quantity, or a plain quantity."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from tracelot.domain.commands import Receive
from tracelot.domain.errors import AlreadyExists, InvalidInput, WrongKind
from tracelot.domain.status import OperationKind, Tracking
from tracelot.domain.values import (
    check_code,
    check_gs1_keys,
    normalize,
    parse_date,
    parse_money,
    parse_qty,
)
from tracelot.services import inspection, purchasing, uom
from tracelot.services.costing import money
from tracelot.services.inactive import refuse_inactive_lines
from tracelot.services.ledger import (
    Line,
    Progress,
    add_stock,
    apply_stock_deltas,
    new_operation,
    post,
)
from tracelot.services.lookup import item_by_id, party_by_code, virtual_location
from tracelot.services.resolver import item_named, location_named
from tracelot.services.results import OperationResult, OpLine
from tracelot.services.summary import result
from tracelot.store.bulk import existing_serials, insert_received_units, insert_rows
from tracelot.store.tables import lots, units

#: Serials listed one by one in an operation's result; more are summarised.
SHOWN_SERIALS = 1_000


def handle_receive(
    conn: Connection,
    command: Receive,
    *,
    user: str,
    at: dt.datetime | None = None,
    progress: Progress | None = None,
) -> OperationResult:
    """Receive (the command) of an item: see `receive`. A command with a `scan` is
    services.scan_batch's (`receive_scanned`)."""
    c = command
    if c.item is None:
        raise InvalidInput("name the ITEM, or give --scan")
    qty = c.qty
    if c.pack is not None and c.serials is not None:
        raise InvalidInput("--pack counts a quantity: serials are received one by one")
    if c.pack is not None:  # a count of packs (one without --qty), in base units
        qty = uom.to_base(conn, c.item, qty if qty is not None else Decimal(1), c.pack)
    return receive(conn, user=user, item=c.item, to=c.to, qty=qty, lot=c.lot,
                   serials=list(c.serials) if c.serials is not None else None,
                   expires=c.expires, made=c.made, supplier=c.supplier,
                   supplier_lot=c.supplier_lot, cost=c.cost, reference=c.reference,
                   note=c.note, at=at, po=c.po, progress=progress)  # fmt: skip


def receive(
    conn: Connection,
    *,
    user: str,
    item: str | Row,
    to: str,
    qty: Decimal | str | int | None = None,
    lot: str | None = None,
    serials: list[str] | None = None,
    expires: dt.date | str | None = None,
    made: dt.date | str | None = None,
    supplier: str | None = None,
    supplier_lot: str | None = None,
    cost: Decimal | str | None = None,
    reference: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
    po: int | None = None,
    progress: Progress | None = None,
    ref: str | None = None,
) -> OperationResult:
    """Receive stock from a supplier into a real location (SUPPLIER -> `to`); with `po`,
    against that purchase order (its supplier and price are the defaults). `ref` is the
    old name of `reference` (a business reference), kept for the callers not moved yet."""
    reference = reference if reference is not None else ref
    # a scan's receipt hands on the item its GTIN named (services.scan.receipt_of)
    item_row = item if isinstance(item, Row) else item_named(conn, item)
    dest = location_named(conn, to)
    refuse_inactive_lines(conn, "receive", [item_row.id], [dest.id])  # before any work
    source = virtual_location(conn, "SUPPLIER")
    party = party_by_code(conn, supplier, "supplier") if supplier else None
    quantity = parse_qty(qty) if qty is not None else None
    po_line = None
    if po is not None:
        _check_tracking(item_row, quantity, lot, serials)
        count = quantity if quantity is not None else Decimal(len(serials or []))
        order, po_line = purchasing.check_receipt(conn, po, item_row.id, count)
        if party is not None and party.id != order.supplier_id:
            raise InvalidInput(f"purchase order {po} is from {order.supplier}, not {party.code}")
        party = party or party_by_code(conn, order.supplier, "supplier")
        if cost is None and po_line.price is not None:
            cost = po_line.price
    made_date = parse_date(made, what="manufacture date") if made is not None else None
    expiry = parse_date(expires, what="expiry date") if expires is not None else None
    if expiry is None and item_row.shelf_life_days and item_row.tracking != Tracking.NONE:
        start = made_date or (at or dt.datetime.now(dt.UTC)).date()
        expiry = start + dt.timedelta(days=item_row.shelf_life_days)
    if made_date and expiry and expiry < made_date:
        raise InvalidInput(f"expiry {expiry} is before the manufacture date {made_date}")
    unit_cost = parse_money(cost) if cost is not None else item_row.standard_cost
    if supplier_lot is not None:
        supplier_lot = check_code(supplier_lot, what="supplier lot")

    _check_tracking(item_row, quantity, lot, serials)
    # an item that needs inspection waits for it, held, in its warehouse's quarantine
    inspect = inspection.needs_inspection(conn, item_row, party.id if party else None)
    if inspect:
        dest = inspection.quarantine_for(conn, dest, item_row)
    op_id = new_operation(
        conn,
        OperationKind.RECEIVE,
        user=user,
        at=at,
        reference=reference,
        note=note,
        party_id=party.id if party else None,
    )
    lot_row = (
        _lot_for_receipt(
            conn,
            item_row,
            lot,
            expiry,
            made_date,
            party,
            supplier_lot,
            unit_cost,
            op_id,
            expiry_given=expires is not None,
        )
        if lot
        else None
    )
    lot_id = lot_row.id if lot_row is not None else None
    if item_row.tracking == Tracking.SERIAL:
        assert serials is not None
        new = list(serials)

        def insert_new() -> None:
            insert_received_units(
                conn,
                new,
                op_id=op_id,
                item_id=item_row.id,
                lot_id=lot_id,
                from_id=source.id,
                to_id=dest.id,
                expires=None if lot_row is not None else expiry,
                made=None if lot_row is not None else made_date,
                supplier_id=party.id if party else None,
                supplier_lot=supplier_lot,
                unit_cost=unit_cost,
                progress=progress,
            )

        try:
            with conn.begin_nested():
                insert_new()
        except IntegrityError:
            # units a supplier's EPCIS events announced wait at SUPPLIER: they come in
            # as they are; any other serial the item has already is refused
            taken = existing_serials(conn, item_row.id, serials)
            announced = _announced(conn, item_row.id, taken, source.id)
            refused = [s for s in taken if s not in announced]
            if refused:
                shown = ", ".join(refused[:10]) + (
                    f" and {len(refused) - 10} more" if len(refused) > 10 else ""
                )
                raise AlreadyExists(f"item {item_row.code} already has serial {shown}") from None
            # they come in at this receipt's cost and supplier (and its dates, if it has
            # no lot); the lot the supplier's events gave them stays theirs
            found = {"unit_cost": unit_cost, "supplier_id": party.id if party else None,
                     "expires": None if lot_row is not None else expiry,
                     "made": None if lot_row is not None else made_date}  # fmt: skip
            changes = {k: v for k, v in found.items() if v is not None}
            ids = [u.id for u in announced.values()]
            if changes:
                for start in range(0, len(ids), 5_000):
                    chunk = ids[start : start + 5_000]
                    conn.execute(update(units).where(units.c.id.in_(chunk)).values(**changes))
            post(conn, op_id, [
                Line(item_row.id, source.id, dest.id, Decimal(1), lot_id=u.lot_id, unit_id=u.id)
                for u in announced.values()
            ])  # fmt: skip
            new = [s for s in serials if s not in announced]
            if new:
                insert_new()
        fresh = Decimal(len(new))
        apply_stock_deltas(
            conn, {(item_row.id, source.id, lot_id): -fresh, (item_row.id, dest.id, lot_id): fresh}
        )
        count = Decimal(len(serials))
        line = OpLine(item_row.code, lot, source.code, dest.path, count, _shown(serials))
    else:
        assert quantity is not None
        unit_value = quantity * unit_cost if unit_cost is not None else None
        post(
            conn,
            op_id,
            [
                Line(
                    item_row.id,
                    source.id,
                    dest.id,
                    quantity,
                    lot_id=lot_id,
                    value=money(unit_value) if unit_value is not None else None,
                )
            ],
        )
        line = OpLine(item_row.code, lot, source.code, dest.path, quantity)
    if po_line is not None:
        purchasing.record_receipt(conn, po_line, op_id, line.qty)
    if inspect:
        inspection.hold_received(conn, op_id=op_id, item=item_row, lot_id=lot_id, place=dest,
                                 supplier_id=party.id if party else None, qty=line.qty)  # fmt: skip
    return result(conn, op_id, summary=[line])


def refuse_taken_serials(conn: Connection, *, item: str, serials: Sequence[str]) -> None:
    """Refuse serials the item has already (as `receive` would), before a receipt in parts."""
    row = item_named(conn, item)
    taken = existing_serials(conn, row.id, list(serials))
    announced = _announced(conn, row.id, taken, virtual_location(conn, "SUPPLIER").id)
    taken = [s for s in taken if s not in announced]  # a supplier's EPCIS announced them
    if taken:
        shown = ", ".join(taken[:10]) + (f" and {len(taken) - 10} more" if len(taken) > 10 else "")
        raise AlreadyExists(f"item {row.code} already has serial {shown}")


def _announced(conn: Connection, item_id: int, serials: list[str], supplier_id: int) -> dict:
    """Which of an item's `serials` wait at the SUPPLIER location (announced by a
    supplier's EPCIS events, not received yet), by serial."""
    found = {}
    for start in range(0, len(serials), 5_000):
        query = select(units.c.id, units.c.serial, units.c.lot_id).where(
            units.c.item_id == item_id,
            units.c.location_id == supplier_id,
            units.c.serial.in_(serials[start : start + 5_000]),
        )
        found.update({row.serial: row for row in conn.execute(query)})
    return found


def _shown(serials: list[str]) -> list[str]:
    if len(serials) <= SHOWN_SERIALS:
        return list(serials)
    return [*serials[: SHOWN_SERIALS // 2], "...", *serials[-SHOWN_SERIALS // 2 :]]


def _check_tracking(
    item: Row, qty: Decimal | None, lot: str | None, serials: Iterable[str] | None
) -> None:
    if item.tracking == Tracking.SERIAL:
        if not serials:
            raise InvalidInput(f"item {item.code} is serial-tracked: give --serials")
        serials = list(serials)
        if qty is not None and qty != len(serials):
            raise InvalidInput(
                f"--qty {normalize(qty)} disagrees with the {len(serials)} serials given"
            )
        if item.gtin:
            check_gs1_keys(serials, what="serial", item=item.code)
        if lot is not None:
            check_code(lot, what="lot code")
        return
    if serials:
        raise WrongKind(f"item {item.code} is not serial-tracked: it takes no serials")
    if item.tracking == Tracking.LOT:
        if not lot:
            raise InvalidInput(f"item {item.code} is lot-tracked: give --lot")
        check_code(lot, what="lot code")
    elif lot:
        raise WrongKind(f"item {item.code} is not lot-tracked: it takes no --lot")
    if qty is None:
        raise InvalidInput(f"give --qty: how many {item.code} are received")


def _lot_for_receipt(
    conn: Connection,
    item: Row,
    code: str,
    expires: dt.date | None,
    made: dt.date | None,
    party: Row | None,
    supplier_lot: str | None,
    unit_cost: Decimal | None,
    op_id: int,
    *,
    expiry_given: bool = False,
) -> Row:
    """The lot received into: new, or an existing one whose dates agree. An expiry given
    for an existing lot must be its own: a lot without one does not get one by a later
    receipt (its stock would all expire with it), and a different one is refused."""
    existing = conn.execute(
        select(lots).where(lots.c.item_id == item.id, lots.c.code == code)
    ).first()
    if existing is not None:
        if expires is not None and existing.expires not in (None, expires):
            raise InvalidInput(f"lot {item.code}@{code} expires {existing.expires}, not {expires}")
        if expiry_given and existing.expires is None:
            raise InvalidInput(
                f"lot {item.code}@{code} has no expiry: a receipt into it can not give it one "
                f"({expires}); receive into a new lot"
            )
        return existing
    if item.gtin:
        check_gs1_keys([code], what="lot code", item=item.code)
    conn.execute(
        insert(lots).values(
            item_id=item.id,
            code=code,
            expires=expires,
            made=made,
            supplier_id=party.id if party else None,
            supplier_lot=supplier_lot,
            unit_cost=unit_cost,
            created_op_id=op_id,
        )
    )
    return conn.execute(select(lots).where(lots.c.item_id == item.id, lots.c.code == code)).one()


@dataclass
class Incoming:
    """One line of a bulk receipt: serials, or a quantity (of a lot), of an item. (Not
    frozen: an import's checked lines are these, made once a line; a frozen dataclass of
    ten fields costs 2.8 us to make, 7% of an import of 50,000 lots.)"""

    item: str
    to: str
    lot: str | None
    qty: Decimal
    serials: Sequence[str] = ()
    expires: dt.date | None = None
    made: dt.date | None = None
    cost: Decimal | None = None
    supplier: str | None = None
    supplier_lot: str | None = None


def receive_bulk(
    conn: Connection,
    incoming: Sequence[Incoming],
    *,
    user: str,
    reference: str | None = None,
    progress: Progress | None = None,
) -> list[int]:
    """Receive checked lines (an import's opening stock) set-based: one operation per
    supplier they name, new lots in one batched insert, units chunk by chunk, the lines
    of lots and quantities valued and posted together, the balances in one batched
    upsert. The same rules as `receive`; the lines are checked before (spreadsheets)."""
    source = virtual_location(conn, "SUPPLIER")
    item_of = _memo(lambda code: item_named(conn, code))
    place_of = _memo(lambda code: location_named(conn, code))
    by_supplier: dict[str | None, list[Incoming]] = defaultdict(list)
    for line in incoming:
        by_supplier[line.supplier].append(line)
    done, total, op_ids = 0, sum(len(ln.serials) or 1 for ln in incoming), []
    for supplier, lines in sorted(by_supplier.items(), key=lambda kv: kv[0] or ""):
        party = party_by_code(conn, supplier, "supplier") if supplier else None
        op_id = new_operation(conn, OperationKind.RECEIVE, user=user, reference=reference,
                              party_id=party.id if party else None)  # fmt: skip
        op_ids.append(op_id)
        today = dt.datetime.now(dt.UTC).date()
        lot_ids = _bulk_lots(conn, lines, party, op_id, today, item_of)
        deltas: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
        posted: list[Line] = []
        source_id = source.id
        for line in lines:
            item, dest = item_of(line.item), place_of(line.to)
            item_id = item.id
            lot_id = lot_ids.get((item_id, line.lot)) if line.lot else None
            cost = line.cost if line.cost is not None else item.standard_cost
            if line.serials:
                expires = None if lot_id else _expiry(item, line.expires, line.made, today)
                insert_received_units(
                    conn, line.serials, op_id=op_id, item_id=item_id, lot_id=lot_id,
                    from_id=source_id, to_id=dest.id, expires=expires,
                    made=None if lot_id else line.made, supplier_id=party.id if party else None,
                    supplier_lot=line.supplier_lot, unit_cost=cost,
                )  # fmt: skip
                count = Decimal(len(line.serials))
            else:
                count = line.qty
                value = money(count * cost) if cost is not None else None
                posted.append(Line(item_id, source_id, dest.id, count, lot_id, None, value))
            deltas[(item_id, source_id, lot_id)] -= count
            deltas[(item_id, dest.id, lot_id)] += count
            done += len(line.serials) or 1
            if progress is not None and (line.serials or done % 1_000 == 0):
                progress(done, total)
        add_stock(conn, deltas)
        post(conn, op_id, posted, applied=True)
    if progress is not None:
        progress(total, total)
    return op_ids


def _expiry(
    item: Row, expires: dt.date | None, made: dt.date | None, today: dt.date
) -> dt.date | None:
    """A new lot's or unit's expiry: as given, else from the item's shelf life."""
    if expires is None and item.shelf_life_days and item.tracking != Tracking.NONE:
        return (made or today) + dt.timedelta(days=item.shelf_life_days)
    return expires


def _memo(find: Callable[[str], Row]) -> Callable[[str], Row]:
    """`find`, each code looked up once (a file names a few items and places many times)."""
    found: dict[str, Row] = {}

    def lookup(code: str) -> Row:
        row = found.get(code)
        if row is None:
            row = found[code] = find(code)
        return row

    return lookup


def _bulk_lots(
    conn: Connection,
    lines: Sequence[Incoming],
    party: Row | None,
    op_id: int,
    today: dt.date,
    item_of: Callable[[str], Row],
) -> dict[tuple[int, str], int]:
    """The lots the lines go into, by (item id, code): the existing ones, and the new ones
    inserted in one batch."""
    wanted: dict[tuple[int, str], Incoming] = {}
    for line in lines:
        if line.lot:
            wanted.setdefault((item_of(line.item).id, line.lot), line)
    found = {}
    item_ids = sorted({item_id for item_id, _ in wanted})
    for start in range(0, len(item_ids), 5_000):
        chunk = item_ids[start : start + 5_000]
        for lot_id, item_id, code in conn.execute(
            select(lots.c.id, lots.c.item_id, lots.c.code).where(lots.c.item_id.in_(chunk))
        ):
            if (item_id, code) in wanted:
                found[(item_id, code)] = lot_id
    new = []
    for (item_id, code), ln in wanted.items():
        if (item_id, code) in found:
            continue
        item = item_by_id(conn, item_id)
        new.append((
            item_id, code, _expiry(item, ln.expires, ln.made, today), ln.made,
            party.id if party else None, ln.supplier_lot,
            ln.cost if ln.cost is not None else item.standard_cost, op_id,
        ))  # fmt: skip
    if new:
        insert_rows(conn, "lots", ("item_id", "code", "expires", "made", "supplier_id",
                                   "supplier_lot", "unit_cost", "created_op_id"), new)  # fmt: skip
        found.update(
            ((item_id, code), lot_id)
            for lot_id, item_id, code in conn.execute(
                select(lots.c.id, lots.c.item_id, lots.c.code).where(lots.c.created_op_id == op_id)
            )
        )
    return found
