"""EPCIS 2.0 export: tracelot's operations as a JSON-LD document of events.

Receipts, moves, shipments, returns, scraps, count corrections, holds and releases are
ObjectEvents; builds and repairs are TransformationEvents; packing and unpacking, and the
cases and pallets of a shipment, are AggregationEvents (`aggregation`). Identifiers are GS1 Digital
Link URIs for items with a GTIN, tracelot URIs (`tracelot.domain.epc`) for the rest. The
document carries the master data its events name (items, lots, units, locations,
parties), so importing it (`epcis.write`) into an empty database reproduces them. Each
event's ID is its CBV 2.0 event hash (the epcis-event-hash-generator package).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Row, or_, select, union

from tracelot.domain.status import LocationKind, OperationKind
from tracelot.domain.values import qty_number
from tracelot.services import voids
from tracelot.services.costing import money
from tracelot.services.epcis.aggregation import Aggregations
from tracelot.services.epcis.hashes import set_event_ids
from tracelot.services.epcis.master_data import Names
from tracelot.services.epcis.vocabulary import (
    CONTEXT,
    EXPIRY,
    LOT_NUMBER,
    NOTE,
    OPERATION,
    REFERENCE,
    UNIT_COST,
    VOID_OPERATION,
    VOID_REASON,
    timestamp,
)
from tracelot.services.ledger import in_days, now
from tracelot.services.resolver import target_named
from tracelot.store.bulk import id_in
from tracelot.store.tables import genealogy, holds, moves, operations

# the business step, disposition and action of each kind of ledger line
RECEIVING = ("OBSERVE", "receiving", "in_progress")
RETURNING = ("OBSERVE", "receiving", "returned")
STORING = ("OBSERVE", "storing", "sellable_accessible")
SHIPPING = ("OBSERVE", "shipping", "in_transit")
DESTROYING = ("DELETE", "destroying", "destroyed")
COUNTED_IN = ("ADD", "cycle_counting", "sellable_accessible")
COUNTED_OUT = ("DELETE", "cycle_counting", "unknown")
HOLDING = ("OBSERVE", "holding", "non_sellable_other")
RECALLED = ("OBSERVE", "holding", "recalled")
RELEASED = ("OBSERVE", "inspecting", "sellable_accessible")


def export(
    conn: Connection,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    """The operations of a period (or those that touched one unit, lot or item) as an
    EPCIS 2.0 document, with the master data its events name."""
    query = select(operations).order_by(operations.c.occurred_at, operations.c.id)
    query = in_days(query, start, end)
    if ref is not None:
        query = query.where(operations.c.id.in_(_operations_of(conn, ref)))
    ops = list(conn.execute(query))
    # a void is written as an error declaration on the events of the operation it voids
    # (those events stated again if they are not in the document otherwise); a void's
    # own lines are no events: the declaration says the original did not occur
    declared = voids.voids_of(conn, [op.id for op in ops if op.kind == OperationKind.VOID])
    void_rows = {op.id: op for op in ops if op.id in declared}
    restated = set(declared.values()) - {op.id for op in ops}
    if restated:
        ops += conn.execute(select(operations).where(operations.c.id.in_(sorted(restated))))
        ops.sort(key=lambda op: (op.occurred_at, op.id))
    declarations = {orig: void_rows[void] for void, orig in declared.items()}
    names = Names(conn)
    op_ids = [op.id for op in ops]
    lines: dict[int, list[Row]] = defaultdict(list)
    links: dict[int, list[Row]] = defaultdict(list)
    removed: dict[int, list[Row]] = defaultdict(list)
    placed: dict[int, list[Row]] = defaultdict(list)
    released: dict[int, list[Row]] = defaultdict(list)
    wanted = set(op_ids)
    by_op = id_in(conn, moves.c.operation_id, op_ids)
    for row in conn.execute(select(moves).where(by_op).order_by(moves.c.id)):
        lines[row.operation_id].append(row)
    linked = or_(id_in(conn, genealogy.c.operation_id, op_ids),
                 id_in(conn, genealogy.c.removed_op_id, op_ids))  # fmt: skip
    for row in conn.execute(select(genealogy).where(linked).order_by(genealogy.c.id)):
        if row.operation_id in wanted:
            links[row.operation_id].append(row)
        if row.removed_op_id is not None:
            removed[row.removed_op_id].append(row)
    held = or_(id_in(conn, holds.c.placed_op_id, op_ids),
               id_in(conn, holds.c.released_op_id, op_ids))  # fmt: skip
    for row in conn.execute(select(holds).where(held).order_by(holds.c.id)):
        placed[row.placed_op_id].append(row)
        if row.released_op_id is not None:
            released[row.released_op_id].append(row)
    packs = Aggregations(conn, ops)  # packing, and the cases shipped (issue 20)
    packs.load(names)
    moved = [r for rows in (*lines.values(), *placed.values()) for r in rows]
    linked = [r for rows in links.values() for r in rows]
    names.load(
        [i for r in moved if (i := r.unit_id)]
        + [i for r in linked for i in (r.parent_unit_id, r.child_unit_id) if i],
        [i for r in moved if (i := r.lot_id)]
        + [i for r in linked for i in (r.parent_lot_id, r.child_lot_id) if i],
    )
    events: list[dict[str, Any]] = []
    for op in ops:
        if op.kind == OperationKind.VOID:
            continue
        first = len(events)
        if op.kind == OperationKind.BUILD:
            events += _build_events(names, op, lines[op.id], links[op.id])
        elif op.kind == OperationKind.REPLACE:
            events += _repair_events(names, op, lines[op.id], links[op.id], removed[op.id])
        else:
            events += _move_events(names, op, lines[op.id])
        events += packs.events(names, op, _base, _tail)
        events += _hold_events(names, op, placed[op.id], released=False)
        events += _hold_events(names, op, released[op.id], released=True)
        if op.id in declarations:
            for event in events[first:]:
                event["errorDeclaration"] = _declaration(declarations[op.id])
    set_event_ids(events)  # (the hash leaves an error declaration out: the same IDs)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": timestamp(now()),
        "epcisHeader": {"epcisMasterData": names.master_data()},
        "epcisBody": {"eventList": events},
    }
    return document


def _operations_of(conn: Connection, ref: str) -> Any:
    """The operations that moved, built, repaired or held a unit, lot or item (a query)."""
    target = target_named(conn, ref)
    if target.unit is not None:
        on_moves = moves.c.unit_id == target.unit.id
        on_links = or_(
            genealogy.c.parent_unit_id == target.unit.id,
            genealogy.c.child_unit_id == target.unit.id,
        )
        on_holds = holds.c.unit_id == target.unit.id
    elif target.lot is not None:
        on_moves = moves.c.lot_id == target.lot.id
        on_links = or_(
            genealogy.c.parent_lot_id == target.lot.id, genealogy.c.child_lot_id == target.lot.id
        )
        on_holds = holds.c.lot_id == target.lot.id
    else:
        on_moves = moves.c.item_id == target.item.id
        on_links = or_(
            genealogy.c.parent_item_id == target.item.id,
            genealogy.c.child_item_id == target.item.id,
        )
        on_holds = holds.c.item_id == target.item.id
    return union(
        select(moves.c.operation_id).where(on_moves),
        select(genealogy.c.operation_id).where(on_links),
        select(genealogy.c.removed_op_id).where(on_links, genealogy.c.removed_op_id.is_not(None)),
        select(holds.c.placed_op_id).where(on_holds),
        select(holds.c.released_op_id).where(on_holds, holds.c.released_op_id.is_not(None)),
    )


def _base(op: Row, event_type: str) -> dict[str, Any]:
    return {
        "type": event_type,
        "eventTime": timestamp(op.occurred_at),
        "eventTimeZoneOffset": "+00:00",
        # two operations alike in the same millisecond are two events: the operation
        # they come from makes their hashes differ
        OPERATION: f"urn:tracelot:operation:{op.id}",
    }


def _what(names: Names, rows: Iterable[Row]) -> dict[str, Any]:
    """epcList for units, quantityList for lots and untracked items (summed)."""
    epcs: list[str] = []
    amounts: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for r in rows:
        if r.unit_id is not None:
            epcs.append(names.obj(r.item_id, r.lot_id, r.unit_id))
        else:
            amounts[(r.item_id, r.lot_id)] += r.qty
    body: dict[str, Any] = {}
    if epcs or not amounts:
        body["epcList"] = epcs
    if amounts:
        body["quantityList"] = [names.quantity(i, lot, q) for (i, lot), q in amounts.items()]
    return body


def _unit_costs(names: Names, rows: Iterable[Row]) -> dict[str, int | float]:
    """What each unit, lot or item received cost apiece (a tracelot extension: EPCIS
    carries no prices), so a database made from the document values stock alike."""
    costs = {}
    for r in rows:
        if r.value is not None and r.qty:
            costs[names.obj(r.item_id, r.lot_id, r.unit_id)] = qty_number(money(r.value / r.qty))
    return costs


def _tail(names: Names, op: Row, event: dict[str, Any]) -> dict[str, Any]:
    """The operation's reference and note, the same on each of its events."""
    if op.reference:
        ref = f"urn:tracelot:reference:{quote(op.reference, safe='')}"
        event.setdefault("bizTransactionList", []).append(
            {"type": REFERENCE, "bizTransaction": ref}
        )
    if op.note:
        event[NOTE] = op.note
    return event


def _move_events(names: Names, op: Row, rows: list[Row]) -> list[dict[str, Any]]:
    """One ObjectEvent per pair of locations the operation's lines go between."""
    groups: dict[tuple[int, int], list[Row]] = defaultdict(list)
    for r in rows:
        groups[(r.from_location_id, r.to_location_id)].append(r)
    events = []
    for (source_id, dest_id), group in groups.items():
        source, dest = names.locations[source_id], names.locations[dest_id]
        sources: list[dict[str, str]] = []
        destinations: list[dict[str, str]] = []
        if source.kind == LocationKind.SUPPLIER:
            (action, step, disposition), place = RECEIVING, dest_id
            if op.party_id is not None:
                sources.append({"type": "owning_party", "source": names.party(op.party_id)})
        elif source.kind == LocationKind.CUSTOMER:
            (action, step, disposition), place = RETURNING, dest_id
            if op.party_id is not None:
                sources.append({"type": "owning_party", "source": names.party(op.party_id)})
        elif dest.kind == LocationKind.CUSTOMER:
            (action, step, disposition), place = SHIPPING, source_id
            if op.party_id is not None:
                destinations.append(
                    {"type": "owning_party", "destination": names.party(op.party_id)}
                )
        elif dest.kind == LocationKind.SCRAP:
            (action, step, disposition), place = DESTROYING, source_id
        elif source.kind == LocationKind.ADJUSTMENT:
            (action, step, disposition), place = COUNTED_IN, dest_id
        elif dest.kind == LocationKind.ADJUSTMENT:
            (action, step, disposition), place = COUNTED_OUT, source_id
        else:
            (action, step, disposition), place = STORING, dest_id
            sources.append({"type": "location", "source": names.location(source_id)})
            destinations.append({"type": "location", "destination": names.location(dest_id)})
        event = _base(op, "ObjectEvent")
        event["action"] = action
        event.update(_what(names, group))
        if step == "receiving" and disposition != "returned":
            costs = _unit_costs(names, group)
            if costs:
                event[UNIT_COST] = costs
        event["bizStep"] = step
        event["disposition"] = disposition
        if not names.locations[place].virtual:
            here = names.location(place)
            event["readPoint"] = {"id": here}
            event["bizLocation"] = {"id": here}
        if sources:
            event["sourceList"] = sources
        if destinations:
            event["destinationList"] = destinations
        events.append(_tail(names, op, event))
    return events


def _build_events(names: Names, op: Row, rows: list[Row], links: list[Row]) -> list[dict[str, Any]]:
    """One TransformationEvent per output: what it consumed in, itself out."""
    outputs: dict[tuple[int, int | None, int | None], Row] = {}
    for r in rows:
        if names.locations[r.from_location_id].kind == LocationKind.ASSEMBLY:
            outputs[(r.item_id, r.lot_id, r.unit_id)] = r
    inputs: dict[tuple[int, int | None, int | None], list[Row]] = defaultdict(list)
    for link in links:
        inputs[(link.parent_item_id, link.parent_lot_id, link.parent_unit_id)].append(link)
    events = []
    for key, out in outputs.items():
        consumed = inputs.get(key) or inputs.get((key[0], None, key[2])) or []
        event = _base(op, "TransformationEvent")
        in_epcs = [
            names.obj(c.child_item_id, c.child_lot_id, c.child_unit_id)
            for c in consumed
            if c.child_unit_id is not None
        ]
        in_amounts = [
            names.quantity(c.child_item_id, c.child_lot_id, c.qty)
            for c in consumed
            if c.child_unit_id is None
        ]
        if in_epcs:
            event["inputEPCList"] = in_epcs
        if in_amounts:
            event["inputQuantityList"] = in_amounts
        if out.unit_id is not None:
            event["outputEPCList"] = [names.obj(out.item_id, out.lot_id, out.unit_id)]
        else:
            event["outputQuantityList"] = [names.quantity(out.item_id, out.lot_id, out.qty)]
        event["bizStep"] = "commissioning"
        event["disposition"] = "active"
        dest = names.locations[out.to_location_id]
        if not dest.virtual:
            here = names.location(dest.id)
            event["readPoint"] = {"id": here}
            event["bizLocation"] = {"id": here}
        if op.party_id is not None:  # made by a partner (an imported transformation)
            event["sourceList"] = [{"type": "owning_party", "source": names.party(op.party_id)}]
        ilmd = _ilmd(names, out)
        if ilmd:
            event["ilmd"] = ilmd
        events.append(_tail(names, op, event))
    return events


def _ilmd(names: Names, out: Row) -> dict[str, Any]:
    if out.unit_id is not None:
        unit = names.units[out.unit_id]
        lot = names.lots[unit.lot_id] if unit.lot_id else None
        expires = unit.expires or (lot.expires if lot else None)
    elif out.lot_id is not None:
        lot = names.lots[out.lot_id]
        expires = lot.expires
    else:
        return {}
    ilmd: dict[str, Any] = {}
    if lot is not None:
        ilmd[LOT_NUMBER] = lot.code
    if expires is not None:
        ilmd[EXPIRY] = expires.isoformat()
    return ilmd


def _repair_events(
    names: Names, op: Row, rows: list[Row], links: list[Row], removed: list[Row]
) -> list[dict[str, Any]]:
    """A repair: the assembly and the part put in go in; the assembly and the part taken
    out come out, the part to where the repair put it (a location, or scrap)."""
    new = links[0]
    old = removed[0]
    assembly = names.obj(new.parent_item_id, new.parent_lot_id, new.parent_unit_id)
    event = _base(op, "TransformationEvent")
    event["inputEPCList"] = [
        assembly,
        names.obj(new.child_item_id, new.child_lot_id, new.child_unit_id),
    ]
    event["outputEPCList"] = [
        assembly,
        names.obj(old.child_item_id, old.child_lot_id, old.child_unit_id),
    ]
    event["bizStep"] = "repairing"
    event["disposition"] = "active"
    out = next(r for r in rows if r.unit_id == old.child_unit_id)
    # where the assembly was when it was repaired: its last line up to the repair
    assembly_at = names.conn.execute(
        select(moves.c.to_location_id)
        .where(moves.c.unit_id == new.parent_unit_id, moves.c.operation_id <= op.id)
        .order_by(moves.c.id.desc())
        .limit(1)
    ).scalar_one()
    here = names.location(assembly_at)
    event["readPoint"] = {"id": here}
    event["bizLocation"] = {"id": here}
    event["destinationList"] = [
        {"type": "location", "destination": names.location(out.to_location_id)}
    ]
    return [_tail(names, op, event)]


def _hold_events(names: Names, op: Row, rows: list[Row], *, released: bool) -> list[dict[str, Any]]:
    """Holds placed (or released) by the operation, one event per reason."""
    by_reason: dict[tuple[str, bool], list[Row]] = defaultdict(list)
    for h in rows:
        by_reason[(h.reason, h.recall_id is not None)].append(h)
    events = []
    for (reason, recalled), group in by_reason.items():
        event = _base(op, "ObjectEvent")
        event["action"] = "OBSERVE"
        epcs = [names.obj(h.item_id, None, h.unit_id) for h in group if h.unit_id is not None]
        classes = [names.quantity(h.item_id, h.lot_id, None) for h in group if h.unit_id is None]
        event["epcList"] = epcs
        if classes:
            event["quantityList"] = classes
        _, event["bizStep"], event["disposition"] = (
            RELEASED if released else RECALLED if recalled else HOLDING
        )
        if op.reference:
            _tail(names, op, event)
        event[NOTE] = op.note if released and op.note else reason
        events.append(event)
    return events


def _declaration(void: Row) -> dict[str, Any]:
    """EPCIS 2.0's error declaration of an event a void reversed: when, the CBV reason
    (it did not occur: nothing is to be applied in its place, so no corrective events),
    and the void's reason and operation (tracelot's extensions)."""
    return {
        "declarationTime": timestamp(void.occurred_at),
        "reason": "did_not_occur",
        "correctiveEventIDs": [],
        VOID_REASON: void.note or "",
        VOID_OPERATION: f"urn:tracelot:operation:{void.id}",
    }
