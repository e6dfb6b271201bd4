"""A partner's events, at a place tracelot does not hold: a shipment becomes an advance
shipping notice to receive; a transformation extends the genealogy of what it made (the
partner's units and lots written down at the SUPPLIER), so a forward trace from a
partner's lot crosses into tracelot."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Connection, Row, insert, select

from tracelot.domain.epc import URN as URN_PREFIX
from tracelot.domain.errors import InvalidInput
from tracelot.domain.status import OperationKind, Tracking
from tracelot.services.epcis.document import Event, Facts, Knowledge, Obj
from tracelot.services.ledger import apply_stock_deltas, new_operation, now
from tracelot.services.lookup import item_by_code, virtual_location
from tracelot.store import reach
from tracelot.store.bulk import insert_received_units
from tracelot.store.tables import asn_lines, asns, genealogy, lots, parties, units

_PARTY_TYPES = ("owning_party", "possessing_party")


def party_of(conn: Connection, uris: Sequence[str]) -> Row | None:
    """The first tracelot party among source or destination identifiers."""
    for uri in uris:
        if uri.startswith(URN_PREFIX + "party:"):
            code = unquote(uri[len(URN_PREFIX + "party:") :])
            row = conn.execute(select(parties).where(parties.c.code == code)).first()
            if row is not None:
                return row
    return None


def party_uris(side: dict[str, list[str]]) -> list[str]:
    return [uri for kind in _PARTY_TYPES for uri in side.get(kind, [])]


def advance_notice(conn: Connection, know: Knowledge, event: Event) -> int:
    """A partner's shipment (to tracelot's site, say) as an ASN to receive."""
    lines: list[dict[str, Any]] = []
    sscc = None
    for obj in event.objects:
        held = [obj]
        if obj.ident.kind == "sscc":
            sscc = sscc or obj.ident.sscc
            held = _contents(know, str(obj.ident.sscc), frozenset())
        for part in held:
            lines.append(_asn_line(conn, know, part))
    if not lines:
        raise InvalidInput("the shipment names nothing shipped")
    senders = party_uris(event.sources)
    supplier = party_of(conn, senders)
    asn_id = conn.execute(
        insert(asns)
        .values(
            event_id=event.event_id,
            supplier_id=supplier.id if supplier is not None else None,
            sender=senders[0][:300] if senders else None,
            sscc=sscc,
            shipped_at=event.time,
            status="open",
            created_at=now(),
        )
        .returning(asns.c.id)
    ).scalar_one()
    conn.execute(insert(asn_lines), [{**line, "asn_id": asn_id} for line in lines])
    return asn_id


def _contents(know: Knowledge, sscc: str, outer: frozenset[str]) -> list[Obj]:
    """What a partner's case or pallet holds, the cases inside it opened to any depth."""
    held = know.contents.get(sscc, [])
    if not held:
        raise InvalidInput(f"SSCC {sscc}: what it holds is not in the document "
                           "(an AggregationEvent with it as parentID)")  # fmt: skip
    found: list[Obj] = []
    for part in held:
        if part.ident.kind != "sscc":
            found.append(part)
        elif str(part.ident.sscc) in outer | {sscc}:
            raise InvalidInput(f"SSCC {part.ident.sscc} is packed inside itself")
        else:
            found += _contents(know, str(part.ident.sscc), outer | {sscc})
    return found


def _asn_line(conn: Connection, know: Knowledge, obj: Obj) -> dict[str, Any]:
    item = item_by_code(conn, str(obj.item))
    facts = know.facts(obj)
    lot, expires = facts.lot, facts.expires
    if obj.ident.kind != "unit" and obj.qty is None:
        raise InvalidInput(f"{obj.ident.uri}: how many are shipped? (quantity)")
    if item.tracking == Tracking.SERIAL and obj.ident.kind != "unit":
        raise InvalidInput(f"item {item.code} is serial-tracked: the shipment names its units")
    if item.tracking == Tracking.LOT and lot is None:
        raise InvalidInput(f"item {item.code} is lot-tracked: the shipment names its lots")
    return {
        "item_id": item.id,
        "lot": lot,
        "serial": obj.ident.serial,
        "qty": Decimal(1) if obj.ident.kind == "unit" else obj.qty,
        "expires": expires,
        "made": facts.made,
    }


def partner_transformation(conn: Connection, user: str, know: Knowledge, event: Event) -> int:
    """A partner made `outputs` from `inputs`: the units and lots are written down (the
    outputs at the SUPPLIER, to be received; the inputs consumed there) and linked, so a
    forward trace from a partner's lot reaches what tracelot received and built of it.
    The inputs are shared among the outputs in proportion to the outputs' quantities."""
    if not event.outputs or not event.inputs:
        raise InvalidInput("a partner's transformation names its inputs and its outputs")
    supplier = party_of(conn, party_uris(event.sources))
    op_id = new_operation(
        conn,
        OperationKind.BUILD,
        user=user,
        at=event.time,
        reference=(event.reference or event.event_id)[:200],
        note=event.note or f"made by a partner at {event.place or 'an unnamed place'} (EPCIS)",
        party_id=supplier.id if supplier is not None else None,
    )
    site = virtual_location(conn, "SUPPLIER").id
    consumed = virtual_location(conn, "PRODUCTION").id
    parents = [
        _partner_identity(conn, know, o, op_id, supplier, consumed, site) for o in event.outputs
    ]
    children = [
        _partner_identity(conn, know, o, op_id, supplier, site, consumed) for o in event.inputs
    ]
    # each input shared among the outputs in proportion to their quantities (a unit: 1)
    weights = [o.qty if o.qty is not None else Decimal(1) for o in event.outputs]
    total = sum(weights, Decimal(0))
    conn.execute(
        insert(genealogy),
        [
            {
                "operation_id": op_id,
                "parent_item_id": p[0],
                "parent_lot_id": p[1],
                "parent_unit_id": p[2],
                "child_item_id": c[0],
                "child_lot_id": c[1],
                "child_unit_id": c[2],
                "qty": _share((obj.qty or Decimal(1)) * weight / total),
            }
            for p, weight in zip(parents, weights, strict=True)
            for c, obj in zip(children, event.inputs, strict=True)
        ],
    )
    reach.extend(conn, [op_id], may_chain=True)  # a partner may name an output as an input
    return op_id


def _share(qty: Decimal) -> Decimal:
    """A share as the ledger keeps quantities (six places), never zero."""
    return max(qty.quantize(Decimal("0.000001")), Decimal("0.000001"))


def _partner_identity(
    conn: Connection,
    know: Knowledge,
    obj: Obj,
    op_id: int,
    supplier: Row | None,
    from_id: int,
    to_id: int,
) -> tuple[int, int | None, int | None]:
    """The (item, lot, unit) a partner's object is: found, or written down (a unit with
    its one line, `from_id` -> `to_id`, between virtual locations)."""
    item = item_by_code(conn, str(obj.item))
    facts = know.facts(obj)
    lot_id = None
    if facts.lot is not None:
        lot_facts = know.lots.get((obj.key[0], facts.lot), Facts())
        lot_id = _partner_lot(conn, item, facts.lot, lot_facts, op_id, supplier)
    if obj.ident.kind != "unit":
        return item.id, lot_id, None
    serial = str(obj.ident.serial)
    found = conn.execute(
        select(units.c.id).where(units.c.item_id == item.id, units.c.serial == serial)
    ).first()
    if found is None:
        insert_received_units(
            conn,
            [serial],
            op_id=op_id,
            item_id=item.id,
            lot_id=lot_id,
            from_id=from_id,
            to_id=to_id,
            expires=None if lot_id else facts.expires,
            made=facts.made,
            supplier_id=supplier.id if supplier else None,
            supplier_lot=None,
            unit_cost=item.standard_cost,
        )
        apply_stock_deltas(
            conn, {(item.id, from_id, lot_id): Decimal(-1), (item.id, to_id, lot_id): Decimal(1)}
        )
        found = conn.execute(
            select(units.c.id).where(units.c.item_id == item.id, units.c.serial == serial)
        ).one()
    return item.id, lot_id, found.id


def _partner_lot(
    conn: Connection, item: Row, code: str, facts: Facts, op_id: int, supplier: Row | None
) -> int:
    row = conn.execute(
        select(lots.c.id).where(lots.c.item_id == item.id, lots.c.code == code)
    ).first()
    if row is not None:
        return row.id
    return conn.execute(
        insert(lots)
        .values(
            item_id=item.id,
            code=code,
            expires=facts.expires,
            made=facts.made,
            supplier_id=supplier.id if supplier else None,
            supplier_lot=facts.supplier_lot or code,
            unit_cost=item.standard_cost,
            created_op_id=op_id,
        )
        .returning(lots.c.id)
    ).scalar_one()
