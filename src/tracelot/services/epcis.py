"""EPCIS 2.0 export: tracelot's operations as a JSON-LD document of events.

Receipts, moves, shipments, returns, scraps, count corrections, holds and releases are
ObjectEvents; builds and repairs are TransformationEvents. Identifiers are GS1 Digital
Link URIs for items with a GTIN, tracelot URIs (`tracelot.domain.epc`) for the rest. The
document carries the master data its events name (items, lots, units, locations,
parties), so importing it (`epcis_import`) into an empty database reproduces them. Each
event's ID is its CBV 2.0 event hash (the epcis-event-hash-generator package).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Row, func, or_, select, union

from tracelot.domain.epc import (
    item_uri,
    location_uri,
    lot_uri,
    party_uri,
    un_cefact,
    unit_uri,
)
from tracelot.domain.status import LocationKind, OperationKind
from tracelot.services.costing import money
from tracelot.services.ledger import in_days, now
from tracelot.services.resolver import target_named
from tracelot.store.bulk import id_in
from tracelot.store.tables import (
    genealogy,
    holds,
    item_gtins,
    items,
    locations,
    lots,
    moves,
    operations,
    parties,
    units,
)

GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: tracelot's namespace, for its master data attributes and event fields
NAMESPACE = "urn:tracelot:epcis:"
CONTEXT: list[Any] = [GS1_CONTEXT, {"tracelot": NAMESPACE}]

VTYPE_CLASS = "urn:epcglobal:epcis:vtype:EPCClass"
VTYPE_LOCATION = "urn:epcglobal:epcis:vtype:BusinessLocation"
VTYPE_PARTY = "urn:epcglobal:epcis:vtype:SourceDest"
VTYPE_UNIT = "tracelot:Unit"  # a serialized unit's own attributes (expiry, lot, supplier)

EXPIRY = "cbvmda:itemExpirationDate"
LOT_NUMBER = "cbvmda:lotNumber"
NOTE = "tracelot:note"
REFERENCE = "tracelot:reference"  # the business transaction type of a reference
UNIT_COST = "tracelot:unitCost"  # on a receipt: what each object cost apiece
OPERATION = "tracelot:operation"  # the tracelot operation an event comes from

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


# -- export -----------------------------------------------------------------------------


class _Names:
    """The master data the exported events name, read once and described once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.items = {r.id: r for r in conn.execute(select(items))}
        # an item's own GTIN, else the first one added to it
        self.gtins = {r.item_id: r.gtin for r in conn.execute(
            select(item_gtins.c.item_id, func.min(item_gtins.c.gtin).label("gtin"))
            .group_by(item_gtins.c.item_id))}  # fmt: skip
        self.gtins.update({r.id: r.gtin for r in self.items.values() if r.gtin})
        self.locations = {r.id: r for r in conn.execute(select(locations))}
        self.parties = {r.id: r for r in conn.execute(select(parties))}
        self.lots: dict[int, Row] = {}
        self.units: dict[int, Row] = {}
        self.used_items: set[int] = set()
        self.used_locations: set[int] = set()
        self.used_parties: set[int] = set()

    def load(self, unit_ids: Iterable[int], lot_ids: Iterable[int]) -> None:
        unit_ids = [i for i in set(unit_ids) if i not in self.units]
        if unit_ids:
            query = select(units).where(id_in(self.conn, units.c.id, unit_ids))
            self.units.update({r.id: r for r in self.conn.execute(query)})
        lot_ids = {*lot_ids, *(u.lot_id for u in self.units.values() if u.lot_id)}
        lot_ids = [i for i in lot_ids if i not in self.lots]
        if lot_ids:
            query = select(lots).where(id_in(self.conn, lots.c.id, lot_ids))
            self.lots.update({r.id: r for r in self.conn.execute(query)})

    def obj(self, item_id: int, lot_id: int | None, unit_id: int | None) -> str:
        """The URI of a unit, a lot, or an item."""
        item = self.items[item_id]
        self.used_items.add(item_id)
        if unit_id is not None:
            unit = self.units[unit_id]
            self._party(unit.supplier_id)
            return unit_uri(item.code, self.gtins.get(item.id), unit.serial)
        if lot_id is not None:
            self._party(self.lots[lot_id].supplier_id)
            return lot_uri(item.code, self.gtins.get(item.id), self.lots[lot_id].code)
        return item_uri(item.code, self.gtins.get(item.id))

    def quantity(self, item_id: int, lot_id: int | None, qty: Decimal | None) -> dict[str, Any]:
        element: dict[str, Any] = {"epcClass": self.obj(item_id, lot_id, None)}
        if qty is not None:
            element["quantity"] = _number(qty)
            element["uom"] = un_cefact(self.items[item_id].uom)
        return element

    def location(self, location_id: int) -> str:
        loc = self.locations[location_id]
        while loc is not None and loc.id not in self.used_locations:
            self.used_locations.add(loc.id)
            loc = self.locations.get(loc.parent_id) if loc.parent_id else None
        loc = self.locations[location_id]
        return location_uri(loc.code, loc.gln)

    def party(self, party_id: int) -> str:
        self._party(party_id)
        return party_uri(self.parties[party_id].code)

    def _party(self, party_id: int | None) -> None:
        if party_id is not None:
            self.used_parties.add(party_id)

    def master_data(self) -> dict[str, Any]:
        classes = [self._item_element(self.items[i]) for i in sorted(self.used_items)]
        classes += [self._lot_element(lot) for lot in self.lots.values()]
        unit_elements = [e for u in self.units.values() if (e := self._unit_element(u))]
        places = [self._location_element(self.locations[i]) for i in sorted(self.used_locations)]
        people = [self._party_element(self.parties[i]) for i in sorted(self.used_parties)]
        vocabularies = [
            (VTYPE_CLASS, classes),
            (VTYPE_UNIT, unit_elements),
            (VTYPE_LOCATION, places),
            (VTYPE_PARTY, people),
        ]
        return {
            "vocabularyList": [
                {"type": vtype, "vocabularyElementList": elements}
                for vtype, elements in vocabularies
                if elements
            ]
        }

    def _item_element(self, item: Row) -> dict[str, Any]:
        return _element(
            item_uri(item.code, self.gtins.get(item.id)),
            code=item.code,
            name=item.name,
            tracking=item.tracking,
            uom=item.uom,
            gtin=self.gtins.get(item.id),
            shelfLifeDays=item.shelf_life_days,
        )

    def _lot_element(self, lot: Row) -> dict[str, Any]:
        item = self.items[lot.item_id]
        return _element(
            lot_uri(item.code, self.gtins.get(item.id), lot.code),
            **{LOT_NUMBER: lot.code, EXPIRY: lot.expires},
            made=lot.made,
            supplier=self._code(lot.supplier_id),
            supplierLot=lot.supplier_lot,
        )

    def _unit_element(self, unit: Row) -> dict[str, Any] | None:
        lot = self.lots[unit.lot_id].code if unit.lot_id else None
        attributes = {
            LOT_NUMBER: lot,
            EXPIRY: unit.expires,
            "made": unit.made,
            "supplier": self._code(unit.supplier_id),
            "supplierLot": unit.supplier_lot,
        }
        if not any(v is not None for v in attributes.values()):
            return None
        item = self.items[unit.item_id]
        return _element(unit_uri(item.code, self.gtins.get(item.id), unit.serial), **attributes)

    def _location_element(self, loc: Row) -> dict[str, Any]:
        parent = self.locations[loc.parent_id].code if loc.parent_id else None
        return _element(
            location_uri(loc.code, loc.gln),
            code=loc.code,
            name=loc.name,
            kind=loc.kind,
            parent=parent,
            gln=loc.gln,
        )

    def _party_element(self, party: Row) -> dict[str, Any]:
        return _element(party_uri(party.code), code=party.code, name=party.name, kind=party.kind)

    def _code(self, party_id: int | None) -> str | None:
        return self.parties[party_id].code if party_id is not None else None


def _element(uri: str, **attributes: Any) -> dict[str, Any]:
    """A master data element; attributes without a prefix are tracelot's."""
    return {
        "id": uri,
        "attributes": [
            {"id": name if ":" in name else f"tracelot:{name}", "attribute": _json(value)}
            for name, value in attributes.items()
            if value is not None
        ],
    }


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _number(qty: Decimal) -> int | float:
    return int(qty) if qty == qty.to_integral_value() else float(qty)


def _timestamp(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    # milliseconds, as is usual, unless the moment has finer ones (kept: a round trip
    # gives the same times)
    spec = "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


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
    names = _Names(conn)
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
        if op.kind == OperationKind.BUILD:
            events += _build_events(names, op, lines[op.id], links[op.id])
        elif op.kind == OperationKind.REPLACE:
            events += _repair_events(names, op, lines[op.id], links[op.id], removed[op.id])
        else:
            events += _move_events(names, op, lines[op.id])
        events += _hold_events(names, op, placed[op.id], released=False)
        events += _hold_events(names, op, released[op.id], released=True)
    set_event_ids(events)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _timestamp(now()),
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
        "eventTime": _timestamp(op.occurred_at),
        "eventTimeZoneOffset": "+00:00",
        # two operations alike in the same millisecond are two events: the operation
        # they come from makes their hashes differ
        OPERATION: f"urn:tracelot:operation:{op.id}",
    }


def _what(names: _Names, rows: Iterable[Row]) -> dict[str, Any]:
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


def _unit_costs(names: _Names, rows: Iterable[Row]) -> dict[str, int | float]:
    """What each unit, lot or item received cost apiece (a tracelot extension: EPCIS
    carries no prices), so a database made from the document values stock alike."""
    costs = {}
    for r in rows:
        if r.value is not None and r.qty:
            costs[names.obj(r.item_id, r.lot_id, r.unit_id)] = _number(money(r.value / r.qty))
    return costs


def _tail(names: _Names, op: Row, event: dict[str, Any]) -> dict[str, Any]:
    """The operation's reference and note, the same on each of its events."""
    if op.reference:
        ref = f"urn:tracelot:reference:{quote(op.reference, safe='')}"
        event.setdefault("bizTransactionList", []).append(
            {"type": REFERENCE, "bizTransaction": ref}
        )
    if op.note:
        event[NOTE] = op.note
    return event


def _move_events(names: _Names, op: Row, rows: list[Row]) -> list[dict[str, Any]]:
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


def _build_events(
    names: _Names, op: Row, rows: list[Row], links: list[Row]
) -> list[dict[str, Any]]:
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


def _ilmd(names: _Names, out: Row) -> dict[str, Any]:
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
    names: _Names, op: Row, rows: list[Row], links: list[Row], removed: list[Row]
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


def _hold_events(
    names: _Names, op: Row, rows: list[Row], *, released: bool
) -> list[dict[str, Any]]:
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


# the JSON-LD contexts the hash generator ships, by URL: nothing is fetched from the network
_CONTEXT_FILES = {
    GS1_CONTEXT: "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": (
        "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld"
    ),
}
LOCAL_CONTEXTS = tuple(_CONTEXT_FILES)


@cache
def _context(url: str) -> str:
    name = _CONTEXT_FILES.get(url)
    if name is None:
        raise ValueError(f"tracelot fetches no JSON-LD context from the network ({url})")
    return resources.files("epcis_event_hash_generator").joinpath(name).read_text()


def _load_context(url: str, options: Any = None) -> dict[str, Any]:
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(_context(url))}  # fmt: skip


def set_event_ids(events: list[dict[str, Any]]) -> None:
    """Give each event its CBV 2.0 event hash as its ID."""
    for event, event_id in zip(events, event_hashes(events), strict=True):
        event["eventID"] = event_id


def _to_millisecond(text: Any) -> Any:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return text  # the generator says what is wrong with it
    if moment.tzinfo is None:
        return text
    micro = round(moment.microsecond, -3)  # as the generator rounds, with the carry
    moment = moment.replace(microsecond=0) + dt.timedelta(microseconds=micro)
    return _timestamp(moment)


def event_hashes(events: list[dict[str, Any]], context: list[Any] = CONTEXT) -> list[str]:
    """The CBV 2.0 event hash of each event (as the hash generator computes it)."""
    from epcis_event_hash_generator import hash_generator, json_to_py
    from pyld import jsonld

    if not events:
        return []
    jsonld.set_document_loader(_load_context)  # after the package set its own (online) one
    # the hash is of the time in milliseconds; the generator's own rounding fails on a
    # time within half a millisecond of the next second, so it gets it rounded already
    events = [{**e, "eventTime": _to_millisecond(e["eventTime"])} for e in events]
    document = {"@context": context, "epcisBody": {"eventList": events}}
    parsed = json_to_py.event_list_from_epcis_document_json(json.loads(json.dumps(document)))
    prehashes = hash_generator.derive_prehashes_from_events(parsed)
    if len(prehashes) != len(events):  # the generator skips an event it cannot read
        raise RuntimeError("the event hash generator could not read every event")
    return hash_generator.calculate_hashes_from_pre_hashes(prehashes)


_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_CLASS_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def query(
    conn: Connection,
    *,
    event_types: Sequence[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    biz_steps: Sequence[str] = (),
    dispositions: Sequence[str] = (),
    biz_locations: Sequence[str] = (),
    any_epc: Sequence[str] = (),
    any_class: Sequence[str] = (),
) -> dict[str, Any]:
    """The events a simple event query selects (eventType, GE_eventTime, LT_eventTime,
    EQ_bizStep, EQ_disposition, EQ_bizLocation, MATCH_anyEPC, MATCH_anyEPCClass; each a
    list of values any of which matches), as an EPCIS query document (which, by the
    schema, carries no master data: `export` does)."""
    document = export(
        conn,
        start=since.astimezone(dt.UTC).date() if since else None,
        end=until.astimezone(dt.UTC).date() if until else None,
    )
    selected = []
    for event in document["epcisBody"]["eventList"]:
        moment = dt.datetime.fromisoformat(event["eventTime"])
        epcs = {e for name in _EPC_LISTS for e in event.get(name, [])}
        classes = {q["epcClass"] for name in _CLASS_LISTS for q in event.get(name, [])}
        if (
            (not event_types or event["type"] in event_types)
            and (since is None or moment >= since)
            and (until is None or moment < until)
            and (not biz_steps or event.get("bizStep") in biz_steps)
            and (not dispositions or event.get("disposition") in dispositions)
            and (not biz_locations or event.get("bizLocation", {}).get("id") in biz_locations)
            and (not any_epc or epcs & set(any_epc))
            and (not any_class or classes & set(any_class))
        ):
            selected.append(event)
    return {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": document["creationDate"],
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": selected},
            }
        },
    }
