"""Purchase orders: what is ordered from a supplier, what has come in against it, and what
is still on order (which the reorder report counts).

A purchase order is a draft until it is opened (sent to the supplier: its order date,
from which lead times are learned), open while goods come in against it, and closed when
every line is received or someone closes it short. Receiving against an order refuses
an item it does not order and more than it still expects.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from tracelot.domain.errors import InvalidInput, NotAvailable, NotFound
from tracelot.domain.uom import is_pack_name
from tracelot.domain.values import normalize, parse_date, parse_money, parse_qty
from tracelot.services import uom
from tracelot.services.inactive import refuse_inactive_lines, refuse_inactive_operation
from tracelot.services.ledger import now
from tracelot.services.lookup import party_by_code
from tracelot.services.resolver import item_named
from tracelot.store.tables import (
    items,
    operations,
    parties,
    po_lines,
    po_receipts,
    purchase_orders,
)

STATUSES = ("draft", "open", "closed")


def parse_line(spec: str) -> tuple[str, Decimal, Decimal | None]:
    """`ITEM:QTY[:PRICE]` as (item, quantity, price)."""
    parts = spec.rsplit(":", 2) if spec.count(":") >= 2 else spec.rsplit(":", 1)
    if len(parts) < 2 or not parts[0].strip():
        raise InvalidInput(f"a purchase order line is ITEM:QTY[:PRICE], not {spec!r}")
    price = parse_money(parts[2], what="price") if len(parts) == 3 else None
    return parts[0].strip(), parse_qty(parts[1]), price


def parse_pack_line(spec: str) -> tuple[str, Decimal, Decimal | None, str | None]:
    """`ITEM:QTY[:PRICE][:PACK]` as (item, quantity, price, pack): with a pack (a word:
    case, box), the quantity counts packs and the price is of one pack (issue 20)."""
    head, _, last = spec.rpartition(":")
    if head and is_pack_name(last):
        code, qty, price = parse_line(head[:-1] if head.endswith(":") else head)  # ITEM:QTY::PACK
        return code, qty, price, last.strip()
    return (*parse_line(spec), None)


def create(
    conn: Connection,
    *,
    user: str,
    supplier: str,
    lines: list[Any],
    expected: dt.date | str | None = None,
    note: str | None = None,
    draft: bool = False,
    ordered: dt.date | str | None = None,
) -> dict[str, Any]:
    """A purchase order of `lines` (each `ITEM:QTY[:PRICE]`) from `supplier`: open (sent
    today, or on the `ordered` date of an order entered late) unless `draft`."""
    if draft and ordered is not None:
        raise InvalidInput("a draft is not ordered yet: give --draft or --ordered, not both")
    party = party_by_code(conn, supplier, "supplier")
    if not lines:
        raise InvalidInput("a purchase order orders something: give --line ITEM:QTY[:PRICE]")
    parsed = []
    packed: list[dict[str, Any]] = []  # what each line is in: a pack, or the base unit
    for spec in lines:
        code, qty, price, pack = (
            parse_pack_line(spec)
            if isinstance(spec, str)
            else (
                spec[0],
                parse_qty(spec[1]),
                parse_money(spec[2], what="price") if spec[2] is not None else None,
                spec[3] if len(spec) > 3 else None,
            )
        )
        item = item_named(conn, code)
        qty, price, in_pack = uom.ordered_in(conn, item, qty, price, pack)
        parsed.append((item, qty, price))
        packed.append(in_pack)
    # a purchase order is new business: not with an inactive supplier, item or user
    refuse_inactive_operation(conn, "purchase_order", user=user, party_id=party.id)
    refuse_inactive_lines(conn, "purchase_order", [row.id for row, _, _ in parsed], [])
    expected_date = parse_date(expected, what="expected date") if expected is not None else None
    moment = now()
    ordered_at = moment
    if ordered is not None:
        ordered_at = dt.datetime.combine(parse_date(ordered, what="order date"), dt.time(),
                                         tzinfo=dt.UTC)  # fmt: skip
        if ordered_at > moment:
            raise InvalidInput(f"the order date {ordered_at.date()} is in the future")
    po_id = conn.execute(
        insert(purchase_orders)
        .values(
            supplier_id=party.id,
            status="draft" if draft else "open",
            expected=expected_date,
            note=note,
            user_name=user,
            created_at=moment,
            ordered_at=None if draft else ordered_at,
        )
        .returning(purchase_orders.c.id)
    ).scalar_one()
    conn.execute(
        insert(po_lines),
        [
            {
                "po_id": po_id,
                "line_no": n,
                "item_id": item.id,
                "qty": qty,
                "price": price if price is not None else item.standard_cost,
                "received": 0,
                **in_pack,
            }
            for n, ((item, qty, price), in_pack) in enumerate(
                zip(parsed, packed, strict=True), start=1
            )
        ],
    )
    return show(conn, po_id)


def _order(conn: Connection, po_id: int) -> Any:
    row = conn.execute(
        select(purchase_orders, parties.c.code.label("supplier"))
        .join(parties, parties.c.id == purchase_orders.c.supplier_id)
        .where(purchase_orders.c.id == po_id)
    ).first()
    if row is None:
        raise NotFound(f"no purchase order {po_id}")
    return row


def show(conn: Connection, po_id: int) -> dict[str, Any]:
    po = _order(conn, po_id)
    line_rows = conn.execute(
        select(po_lines, items.c.code, items.c.name)
        .join(items, items.c.id == po_lines.c.item_id)
        .where(po_lines.c.po_id == po_id)
        .order_by(po_lines.c.line_no)
    ).all()
    receipts = conn.execute(
        select(
            po_lines.c.line_no,
            po_receipts.c.qty,
            operations.c.id.label("operation"),
            operations.c.occurred_at,
        )
        .join(po_lines, po_lines.c.id == po_receipts.c.po_line_id)
        .join(operations, operations.c.id == po_receipts.c.operation_id)
        .where(po_lines.c.po_id == po_id)
        .order_by(operations.c.id)
    ).all()
    lines = [
        {
            "line": r.line_no,
            "item": r.code,
            "item_name": r.name,
            "qty": r.qty,
            "price": r.price,
            "received": r.received,
            "open_qty": max(Decimal(0), r.qty - r.received) if po.status != "closed" else 0,
            "value": r.qty * r.price if r.price is not None else None,
            **uom.line_in_pack(r),  # its pack, the quantities in packs, the pack's price
        }
        for r in line_rows
    ]
    return {
        **_summary(po),
        "lines": lines,
        "receipts": [
            {
                "line": r.line_no,
                "qty": r.qty,
                "operation": r.operation,
                "occurred_at": r.occurred_at,
            }
            for r in receipts
        ],
    }


def _summary(po: Any) -> dict[str, Any]:
    return {
        "id": po.id,
        "supplier": po.supplier,
        "status": po.status,
        "expected": po.expected,
        "ordered_at": po.ordered_at,
        "closed_at": po.closed_at,
        "created_by": po.user_name,
        "note": po.note,
    }


def list_orders(conn: Connection, *, status: str | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    query = (
        select(
            purchase_orders,
            parties.c.code.label("supplier"),
            func.count(po_lines.c.id).label("lines"),
            func.sum(po_lines.c.qty).label("qty"),
            func.sum(po_lines.c.received).label("received"),
        )
        .join(parties, parties.c.id == purchase_orders.c.supplier_id)
        .outerjoin(po_lines, po_lines.c.po_id == purchase_orders.c.id)
        .group_by(purchase_orders.c.id, parties.c.code)
        .order_by(purchase_orders.c.id)
    )
    if status is not None:
        query = query.where(purchase_orders.c.status == status)
    return [
        {
            **_summary(r),
            "lines": r.lines,
            "qty": normalize(Decimal(str(r.qty or 0))),
            "received": normalize(Decimal(str(r.received or 0))),
        }
        for r in conn.execute(query)
    ]


def open_order(conn: Connection, *, po_id: int) -> dict[str, Any]:
    """Send a draft: it is on order from now (its order date)."""
    po = _order(conn, po_id)
    if po.status != "draft":
        raise NotAvailable(f"purchase order {po_id} is {po.status}, not a draft")
    conn.execute(
        update(purchase_orders)
        .where(purchase_orders.c.id == po_id)
        .values(status="open", ordered_at=now())
    )
    return show(conn, po_id)


def close(conn: Connection, *, po_id: int) -> dict[str, Any]:
    """Close an order (what it still expects is no longer on order)."""
    po = _order(conn, po_id)
    if po.status == "closed":
        raise NotAvailable(f"purchase order {po_id} is closed already")
    conn.execute(
        update(purchase_orders)
        .where(purchase_orders.c.id == po_id)
        .values(status="closed", closed_at=now())
    )
    return show(conn, po_id)


def check_receipt(conn: Connection, po_id: int, item_id: int, qty: Decimal) -> tuple[Any, Any]:
    """The open order and its line that a receipt of `qty` of an item goes against;
    refused for an order that is not open, an item it does not order, or too much."""
    po = _order(conn, po_id)
    if po.status != "open":
        hint = ": open it first (`tracelot po open`)" if po.status == "draft" else ""
        raise NotAvailable(f"purchase order {po_id} is {po.status}{hint}")
    lines = conn.execute(
        select(po_lines)
        .where(po_lines.c.po_id == po_id, po_lines.c.item_id == item_id)
        .order_by(po_lines.c.line_no)
    ).all()
    if not lines:
        code = conn.execute(select(items.c.code).where(items.c.id == item_id)).scalar_one()
        raise InvalidInput(f"purchase order {po_id} does not order {code}")
    for line in lines:
        if line.qty - line.received >= qty:
            return po, line
    left = sum((line.qty - line.received for line in lines), Decimal(0))
    raise InvalidInput(
        f"over-receipt: purchase order {po_id} expects {normalize(left)} more, not {normalize(qty)}"
    )


def record_receipt(conn: Connection, line: Any, op_id: int, qty: Decimal) -> None:
    """Count a receipt against its order line; an order received in full closes."""
    done = conn.execute(
        update(po_lines)
        .where(po_lines.c.id == line.id, po_lines.c.received + qty <= po_lines.c.qty)
        .values(received=po_lines.c.received + qty)
    )
    if done.rowcount != 1:  # a concurrent receipt took what was left
        raise NotAvailable(f"purchase order {line.po_id} line {line.line_no} changed: retry")
    conn.execute(insert(po_receipts).values(po_line_id=line.id, operation_id=op_id, qty=qty))
    outstanding = conn.execute(
        select(func.count())
        .select_from(po_lines)
        .where(po_lines.c.po_id == line.po_id, po_lines.c.received < po_lines.c.qty)
    ).scalar_one()
    if outstanding == 0:
        conn.execute(
            update(purchase_orders)
            .where(purchase_orders.c.id == line.po_id)
            .values(status="closed", closed_at=now())
        )


def on_order(conn: Connection) -> dict[int, Decimal]:
    """What each item still expects on draft and open orders."""
    query = (
        select(po_lines.c.item_id, func.sum(po_lines.c.qty - po_lines.c.received))
        .join(purchase_orders, purchase_orders.c.id == po_lines.c.po_id)
        .where(purchase_orders.c.status != "closed")
        .group_by(po_lines.c.item_id)
    )
    return {item_id: normalize(Decimal(str(q))) for item_id, q in conn.execute(query) if q}


def learned_lead_times(conn: Connection, *, enough: int = 3) -> dict[tuple[int, int], float]:
    """(item, supplier) -> the mean days from order to receipt, where at least `enough`
    receipts against orders tell."""
    query = (
        select(
            po_lines.c.item_id,
            purchase_orders.c.supplier_id,
            purchase_orders.c.ordered_at,
            operations.c.occurred_at,
        )
        .select_from(po_receipts)
        .join(po_lines, po_lines.c.id == po_receipts.c.po_line_id)
        .join(purchase_orders, purchase_orders.c.id == po_lines.c.po_id)
        .join(operations, operations.c.id == po_receipts.c.operation_id)
        .where(purchase_orders.c.ordered_at.is_not(None))
    )
    seen: dict[tuple[int, int], list[int]] = {}
    for item_id, supplier_id, ordered, received in conn.execute(query):
        days = (received.date() - ordered.date()).days
        seen.setdefault((item_id, supplier_id), []).append(max(days, 0))
    return {key: sum(v) / len(v) for key, v in seen.items() if len(v) >= enough}
