"""Shipping to customers, taking returns back, and sending stock back to suppliers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Connection, Row

from tracelot.domain.commands import Return, ReturnToSupplier, Ship
from tracelot.domain.errors import InvalidInput, NotAvailable, WrongKind
from tracelot.domain.status import OperationKind, Status, Tracking
from tracelot.domain.values import normalize, parse_qty
from tracelot.services import packing, uom
from tracelot.services.costing import money
from tracelot.services.ledger import Line, held_by_party, new_operation, now, post
from tracelot.services.lookup import (
    party_by_code,
    unit_state,
    virtual_location,
)
from tracelot.services.order_shipping import ship_order
from tracelot.services.picking import take_lines
from tracelot.services.recalls import match_return
from tracelot.services.resolver import location_named, target_named, targets_named
from tracelot.services.results import OperationResult
from tracelot.services.summary import result


def handle_ship(
    conn: Connection, command: Ship, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """Ship (the command): see `ship`; with `so`, against that sales order."""
    c = command
    if c.so is not None:
        return ship_order(conn, c, user=user, at=at)
    assert c.to is not None
    qtys = uom.quantities(conn, c.refs, c.qty, c.pack)  # packs in base units (or None)
    return ship(conn, user=user, refs=c.refs, to=c.to, qty=c.qty, qtys=qtys, from_=c.from_,
                reference=c.reference, note=c.note, at=at)  # fmt: skip


def handle_return(
    conn: Connection, command: Return, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """Return (the command): see `return_`."""
    c = command
    return return_(conn, user=user, ref=c.ref, from_customer=c.from_, to=c.to, qty=c.qty,
                   reference=c.reference, note=c.note, at=at)  # fmt: skip


def handle_return_to_supplier(
    conn: Connection, command: ReturnToSupplier, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """ReturnToSupplier (the command): see `return_to_supplier`."""
    c = command
    return return_to_supplier(conn, user=user, refs=c.refs, to=c.to, qty=c.qty, from_=c.from_,
                              reason=c.reason, reference=c.reference, at=at)  # fmt: skip


def return_to_supplier(
    conn: Connection,
    *,
    user: str,
    refs: Sequence[str],
    to: str,
    qty: Decimal | str | int | None = None,
    from_: str | None = None,
    reason: str | None = None,
    reference: str | None = None,
    at: dt.datetime | None = None,
) -> OperationResult:
    """Send units, or a quantity of a lot or item, back to a supplier (bin -> SUPPLIER),
    their value leaving stock as a shipment's does. Held stock may go back (that is how
    a recall's stock is returned); expired stock too. A lot named without `qty` goes
    whole from the one location that holds it (or from `from_`)."""
    if not refs:
        raise InvalidInput("name what to return to the supplier")
    supplier = party_by_code(conn, to, "supplier")
    dest = virtual_location(conn, "SUPPLIER")
    source = location_named(conn, from_) if from_ else None
    quantity = parse_qty(qty) if qty is not None else None
    lines = _take_each(conn, refs, [quantity] * len(refs), to_id=dest.id, source=source,
                       today=(at or now()).date(), for_use=False, whole_lots=True,
                       what="go back")  # fmt: skip
    return _book(conn, OperationKind.RETURN_TO_SUPPLIER, lines, party_id=supplier.id,
                 user=user, at=at, reference=reference, note=reason)  # fmt: skip


def _take_each(
    conn: Connection,
    refs: Sequence[str],
    quantities: Sequence[Decimal | None],
    *,
    to_id: int,
    source: Row | None,
    today: dt.date,
    for_use: bool,
    whole_lots: bool,
    what: str,
) -> list[Line]:
    """The lines taking each reference (its own quantity beside it) to `to_id`: a unit
    whole, a lot or item by its quantity (with `whole_lots`, a lot without one whole)."""
    lines: list[Line] = []
    seen: set[str] = set()
    for target, quantity in zip(targets_named(conn, refs), quantities, strict=True):
        if str(target) in seen:
            raise InvalidInput(f"{target} is named twice")
        seen.add(str(target))
        if target.unit is None and quantity is None and not (whole_lots and target.lot):
            raise InvalidInput(f"give --qty: how many {target} {what}")
        lines += take_lines(conn, target, quantity if target.unit is None else None,
                            to_id=to_id, today=today, for_use=for_use,
                            from_location=source)  # fmt: skip
    return lines


def _book(
    conn: Connection, kind: OperationKind, lines: list[Line], *, party_id: int, user: str,
    at: dt.datetime | None, reference: str | None, note: str | None,
) -> OperationResult:  # fmt: skip
    """Post the lines as one operation of `kind` with the party they went to."""
    op_id = new_operation(conn, kind, user=user, at=at, reference=reference, note=note,
                          party_id=party_id)  # fmt: skip
    post(conn, op_id, lines, party_id=party_id)
    return result(conn, op_id, lines)


def ship(
    conn: Connection,
    *,
    user: str,
    refs: Sequence[str],
    to: str,
    qty: Decimal | str | int | None = None,
    qtys: Sequence[Decimal | None] | None = None,
    from_: str | None = None,
    reference: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> OperationResult:
    """Ship units, or a quantity of a lot or item, to a customer (bin -> CUSTOMER).
    `qtys`, beside `refs`, gives each lot or item its own quantity (a batch of scans)."""
    if not refs:
        raise InvalidInput("name what to ship")
    customer = party_by_code(conn, to, "customer")
    dest = virtual_location(conn, "CUSTOMER")
    source = location_named(conn, from_) if from_ else None
    quantity = parse_qty(qty) if qty is not None else None
    own = [q if q is not None else quantity for q in qtys] if qtys is not None else None
    today = (at or now()).date()
    # cases and pallets named by their SSCC go whole, with all they hold (issue 20)
    cases, refs, own = packing.split_refs(conn, refs, own)
    taken = packing.take_out(conn, cases, to_id=dest.id, today=today, for_use=True,
                             from_location=source)  # fmt: skip
    loose = _take_each(conn, refs, own or [quantity] * len(refs), to_id=dest.id,
                       source=source, today=today, for_use=True,
                       whole_lots=False, what="to ship")  # fmt: skip
    packing.refuse_named_twice(conn, taken, (ln.unit_id for ln in loose), others=bool(refs),
                               qty=quantity)  # fmt: skip
    lines = [*taken.lines, *loose]
    if not cases:
        return _book(conn, OperationKind.SHIP, lines, party_id=customer.id, user=user, at=at,
                     reference=reference, note=note)  # fmt: skip
    op_id = new_operation(conn, OperationKind.SHIP, user=user, at=at, reference=reference,
                          note=note, party_id=customer.id)  # fmt: skip
    packing.relocate(conn, taken, dest.id, customer.id, op_id)  # before: the ledger checks
    post(conn, op_id, lines, party_id=customer.id)
    return result(conn, op_id, lines, serials=taken.serials)


def return_(
    conn: Connection,
    *,
    user: str,
    ref: str,
    from_customer: str,
    to: str,
    qty: Decimal | str | int | None = None,
    reference: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> OperationResult:
    """Take back from a customer what was shipped to them (CUSTOMER -> `to`)."""
    customer = party_by_code(conn, from_customer, "customer")
    dest = location_named(conn, to)
    source = virtual_location(conn, "CUSTOMER")
    target = target_named(conn, ref)
    quantity = parse_qty(qty) if qty is not None else None
    if target.unit is not None:
        if quantity is not None and quantity != 1:
            raise InvalidInput(f"{target} is a serialized unit: its quantity is 1")
        _, status = unit_state(conn, target.unit)
        if status != Status.SHIPPED or target.unit.party_id != customer.id:
            raise NotAvailable(f"{target} is not at customer {customer.code}")
        unit = target.unit
        lines = [
            Line(unit.item_id, source.id, dest.id, Decimal(1), lot_id=unit.lot_id, unit_id=unit.id)
        ]
    else:
        if target.item.tracking == Tracking.SERIAL:
            raise WrongKind(f"item {target.item.code} is serial-tracked: name the units returned")
        if target.item.tracking == Tracking.LOT and target.lot is None:
            raise InvalidInput(f"item {target.item.code} is lot-tracked: name the lot returned")
        if quantity is None:
            raise InvalidInput(f"give --qty: how many {target} come back")
        with_customer, worth = held_by_party(
            conn, target.item.id, target.lot.id if target.lot else None, customer.id, source.id
        )
        if quantity > with_customer:
            raise NotAvailable(
                f"{customer.code} has {normalize(with_customer)} of {target}, "
                f"not {normalize(quantity)}"
            )
        lines = [
            Line(
                target.item.id,
                source.id,
                dest.id,
                quantity,
                lot_id=target.lot.id if target.lot else None,
                # back at what the customer's goods cost when they were shipped
                value=money(worth * quantity / with_customer),
            )
        ]
    op_id = new_operation(
        conn,
        OperationKind.RETURN,
        user=user,
        at=at,
        reference=reference,
        note=note,
        party_id=customer.id,
    )
    post(conn, op_id, lines)
    if target.unit is None:  # (a unit leaves its case as the ledger posts it)
        packing.out_of_shipped_cases(conn, op_id, customer.id, target.item.id,
                                     target.lot.id if target.lot else None, lines[0].qty,
                                     with_customer)  # fmt: skip
    match_return(conn, target, customer.id, op_id)
    return result(conn, op_id, lines)
