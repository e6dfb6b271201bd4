"""Advance shipping notices (what a partner's shipping events announced): found by
number or by a scan of the pallet's SSCC, shown, listed, and received."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from tracelot.domain.errors import Conflict, InvalidInput, NotAvailable, NotFound
from tracelot.domain.scan import parse_scan
from tracelot.services import packing, receiving
from tracelot.services.resolver import location_named
from tracelot.store.tables import asn_lines, asns, items, parties


def find_asn(conn: Connection, text: str | int) -> Row:
    """An ASN by its number, or by a scan of its pallet's SSCC."""
    value = str(text).strip()
    if value.isascii() and value.isdigit() and len(value) < 10:
        row = conn.execute(select(asns).where(asns.c.id == int(value))).first()
    else:
        sscc = value if value.isascii() and value.isdigit() and len(value) == 18 else None
        if sscc is None:
            try:
                sscc = parse_scan(value).sscc
            except InvalidInput as exc:
                raise InvalidInput(
                    f"{value!r} is neither an ASN number nor an SSCC: {exc}"
                ) from None
        if sscc is None:
            raise InvalidInput(f"{value!r} is neither an ASN number nor an SSCC")
        query = select(asns).where(asns.c.sscc == sscc).order_by(asns.c.id.desc())
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no advance shipping notice {value}")
    return row


def show_asn(conn: Connection, asn: str | int) -> dict[str, Any]:
    row = find_asn(conn, asn)
    supplier = conn.execute(select(parties.c.code).where(parties.c.id == row.supplier_id)).scalar()
    query = (
        select(asn_lines, items.c.code.label("item"))
        .join(items, items.c.id == asn_lines.c.item_id)
        .where(asn_lines.c.asn_id == row.id)
        .order_by(asn_lines.c.id)
    )
    lines = [
        {"item": r.item, "lot": r.lot, "serial": r.serial, "qty": r.qty, "expires": r.expires}
        for r in conn.execute(query)
    ]
    return {
        "asn": row.id,
        "status": row.status,
        "supplier": supplier,
        "sender": row.sender,
        "sscc": row.sscc,
        "shipped_at": row.shipped_at,
        "event_id": row.event_id,
        "received_op": row.received_op_id,
        "lines": lines,
    }


def list_asns(conn: Connection, status: str | None = None) -> list[dict[str, Any]]:
    counts = (
        select(
            asn_lines.c.asn_id, func.count().label("lines"), func.sum(asn_lines.c.qty).label("qty")
        )
        .group_by(asn_lines.c.asn_id)
        .subquery()
    )
    query = (
        select(asns, parties.c.code.label("supplier"), counts.c.lines, counts.c.qty)
        .outerjoin(parties, parties.c.id == asns.c.supplier_id)
        .join(counts, counts.c.asn_id == asns.c.id)
        .order_by(asns.c.id)
    )
    if status is not None:
        query = query.where(asns.c.status == status)
    return [
        {
            "asn": r.id,
            "status": r.status,
            "supplier": r.supplier,
            "sscc": r.sscc,
            "shipped_at": r.shipped_at,
            "lines": r.lines,
            "qty": r.qty,
        }
        for r in conn.execute(query)
    ]


def receive_asn(
    conn: Connection, *, user: str, asn: str | int, to: str, at: dt.datetime | None = None,
    keep_packed: bool = False,
) -> list[Any]:  # fmt: skip
    """Receive everything an ASN announced into `to`: one receipt per item and lot;
    `keep_packed`: its pallet stays whole, a logistic unit with its SSCC (issue 20)."""
    row = find_asn(conn, asn)
    if keep_packed and not row.sscc:
        raise InvalidInput(f"ASN {row.id} names no SSCC: there is no pallet to keep whole")
    if row.status != "open":
        raise NotAvailable(f"ASN {row.id} was received already (operation {row.received_op_id})")
    # claimed first: of two clerks receiving it at once, one does (the other is refused)
    claimed = conn.execute(
        update(asns).where(asns.c.id == row.id, asns.c.status == "open").values(status="received")
    )
    if claimed.rowcount != 1:
        raise Conflict(f"ASN {row.id} is being received by someone else: it was received already")
    supplier = conn.execute(select(parties).where(parties.c.id == row.supplier_id)).first()
    groups: dict[tuple, dict[str, Any]] = {}
    query = (
        select(asn_lines, items.c.code.label("item"))
        .join(items, items.c.id == asn_lines.c.item_id)
        .where(asn_lines.c.asn_id == row.id)
        .order_by(asn_lines.c.id)
    )
    for line in conn.execute(query):
        key = (line.item, line.lot, line.expires, line.made, line.serial is not None)
        group = groups.setdefault(
            key, {"item": line.item, "lot": line.lot, "expires": line.expires, "made": line.made}
        )
        if line.serial is not None:
            group.setdefault("serials", []).append(line.serial)
        else:
            group["qty"] = group.get("qty", Decimal(0)) + line.qty
    done = [
        receiving.receive(
            conn,
            user=user,
            to=to,
            ref=f"ASN {row.id}",
            at=at,
            supplier=supplier.code if supplier is not None else None,
            **group,
        )
        for group in groups.values()
    ]
    conn.execute(update(asns).where(asns.c.id == row.id).values(received_op_id=done[0].id))
    if keep_packed and row.sscc:  # the partner's pallet, a logistic unit here too
        refs = [f"{g['item']}:{s}" for g in groups.values() for s in g.get("serials", [])]
        refs += [f"{g['item']}@{g['lot']}={g['qty']}" if g["lot"] else f"{g['item']}={g['qty']}"
                 for g in groups.values() if "serials" not in g]  # fmt: skip
        packing.adopt_partner_case(conn, sscc=row.sscc, refs=refs, user=user, at=at,
                                   location_id=location_named(conn, to).id,
                                   reference=f"ASN {row.id}")  # fmt: skip
    return done
