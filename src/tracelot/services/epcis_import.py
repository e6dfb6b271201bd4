"""EPCIS 2.0 import: a partner's events (or tracelot's own, exported from another
database) read, checked as a whole, and written as what tracelot keeps of them.

Events at a location of tracelot's become the operations they describe (receipts,
moves, builds, shipments, returns, scraps, count corrections, holds, releases, repairs).
A partner's events, at a place tracelot does not hold, become what tracelot can keep of
them: a shipping event is an advance shipping notice to receive (`receive_asn`, or a scan
of the pallet's SSCC); a transformation extends the genealogy of what it made, so a
forward trace from a partner's lot crosses into tracelot; others are noted. An event
imported once (the same event ID, or the same CBV event hash) is skipped the next time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Connection, Row, func, insert, select, update

from tracelot.domain.epc import COUNT_CODES, Ident, parse_uri, un_cefact
from tracelot.domain.epc import URN as URN_PREFIX
from tracelot.domain.errors import Conflict, InvalidInput, NotAvailable, NotFound, TracelotError
from tracelot.domain.scan import parse_scan
from tracelot.domain.status import OperationKind, Tracking
from tracelot.domain.values import check_code, normalize, parse_date, parse_money, parse_qty
from tracelot.services import catalog, movement, production, receiving, shipping
from tracelot.services import holds as holds_service
from tracelot.services.epcis import (
    GS1_CONTEXT,
    LOCAL_CONTEXTS,
    NAMESPACE,
    NOTE,
    UNIT_COST,
    event_hashes,
)
from tracelot.services.ledger import apply_stock_deltas, new_operation, now
from tracelot.services.lookup import (
    item_by_code,
    item_by_gtin,
    location_by_code,
    lot_by_code,
    virtual_location,
)
from tracelot.store.bulk import insert_received_units
from tracelot.store.tables import (
    asn_lines,
    asns,
    epcis_events,
    genealogy,
    items,
    locations,
    lots,
    parties,
    stock,
    units,
)

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
ACTIONS = ("OBSERVE", "ADD", "DELETE")
_PARTY_TYPES = ("owning_party", "possessing_party")


#: tracelot's own attributes, and the CBV's master data ones, however they are written;
#: a partner's attributes in other namespaces are not tracelot's and are left alone
_OWN = ("tracelot:", NAMESPACE)
_CBV = ("cbvmda:", "urn:epcglobal:cbv:mda:", "urn:epcglobal:cbv:mda#", "https://ref.gs1.org/cbv/")
#: problems listed at most (a document of nonsense is not listed whole)
MAX_PROBLEMS = 1_000


def _local(name: Any) -> str:
    """The local name of a vocabulary term, however it is written (bare word, CURIE,
    URN or web URI): `cbvmda:lotNumber`, `urn:epcglobal:cbv:mda#lotNumber` -> lotNumber."""
    text = str(name).rstrip("/")
    return re.split(r"[#:/]", text)[-1].removeprefix("BizStep-").removeprefix("Disp-")


def _attribute(name: Any) -> str | None:
    """The local name of a tracelot or CBV attribute; None for anyone else's."""
    text = str(name)
    return _local(text).removeprefix("cbvmda-") if text.startswith(_OWN + _CBV) else None


def read_document(data: bytes | str) -> dict[str, Any]:
    """Parse a JSON-LD document (refused with the parser's reason if it is not JSON)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput(f"not a JSON document: {str(exc)[:200]}") from None
    if not isinstance(doc, dict):
        raise InvalidInput("an EPCIS document is a JSON object")
    return doc


@dataclass
class Obj:
    """One object an event names: a unit (EPC), or a quantity of a lot or an item."""

    ident: Ident
    item: str | None = None  # the tracelot item code, once resolved
    qty: Decimal | None = None  # a class's quantity (None: an EPC, or a class named alone)

    @property
    def ref(self) -> str:
        if self.ident.serial is not None:
            return f"{self.item}:{self.ident.serial}"
        if self.ident.lot is not None:
            return f"{self.item}@{self.ident.lot}"
        return str(self.item)

    @property
    def key(self) -> tuple[str, str]:
        return (self.ident.gtin or self.ident.code or "", self.ident.serial or self.ident.lot or "")


@dataclass
class Facts:
    """What is known of a unit or lot from the master data and ILMD: its lot (a unit's),
    expiry, manufacture date and the supplier's lot code."""

    lot: str | None = None
    expires: dt.date | None = None
    made: dt.date | None = None
    supplier_lot: str | None = None

    def learn(self, other: Facts) -> None:
        """Take what `other` knows and this does not."""
        for name in ("lot", "expires", "made", "supplier_lot"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))


@dataclass
class Event:
    """An event of the document, read and checked."""

    index: int  # its place in the document, from 1
    type: str
    event_id: str
    time: dt.datetime
    action: str | None
    step: str | None
    disposition: str | None
    location: str | None  # the tracelot location it happened at (None: a partner's place)
    place: str | None  # its bizLocation (or readPoint) as given
    objects: list[Obj] = field(default_factory=list)
    inputs: list[Obj] = field(default_factory=list)
    outputs: list[Obj] = field(default_factory=list)
    parent: Ident | None = None
    sources: dict[str, list[str]] = field(default_factory=dict)
    destinations: dict[str, list[str]] = field(default_factory=dict)
    reference: str | None = None
    note: str | None = None
    costs: dict[str, Decimal] = field(default_factory=dict)  # URI -> cost apiece (a receipt's)
    skip: str | None = None  # why it is skipped (imported before, twice in the document)

    @property
    def label(self) -> str:
        return f"event {self.index}, {self.type}" + (f" {self.step}" if self.step else "")


@dataclass
class Knowledge:
    """What the document's master data and ILMD say about items, lots, units, places and
    parties, and what its aggregations put in which logistic unit."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> attributes
    gtins: dict[str, str] = field(default_factory=dict)  # GTIN -> code
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    glns: dict[str, str] = field(default_factory=dict)
    parties: dict[str, dict[str, Any]] = field(default_factory=dict)
    lots: dict[tuple[str, str], Facts] = field(default_factory=dict)
    units: dict[tuple[str, str], Facts] = field(default_factory=dict)
    contents: dict[str, list[Obj]] = field(default_factory=dict)  # SSCC -> what it holds

    def facts(self, obj: Obj) -> Facts:
        """What is known of an object: a unit's own facts, then its lot's."""
        if obj.ident.kind == "unit":
            found = Facts()
            found.learn(self.units.get(obj.key, Facts()))
            lot = obj.ident.lot or found.lot
            if lot is not None:
                found.lot = lot
                found.learn(self.lots.get((obj.key[0], lot), Facts()))
            return found
        found = Facts(lot=obj.ident.lot)
        found.learn(self.lots.get(obj.key, Facts()))
        return found


@dataclass
class Checked:
    """A document read and checked: its problems (nothing is written if there are any),
    or its events, ready to write."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    know: Knowledge = field(default_factory=Knowledge)

    def problem(self, event: int | None, where: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"event": event, "field": where, "reason": reason})
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append({"event": None, "field": "", "reason": "and more problems"})

    @property
    def full(self) -> bool:
        return len(self.problems) > MAX_PROBLEMS

    def summary(self, *, written: bool, effects: list[dict[str, Any]] | None = None) -> dict:
        skipped = [e for e in self.events if e.skip]
        return {
            "events": len(self.events),
            "skipped": len(skipped),
            "written": written,
            "problems": self.problems,
            "effects": effects or [],
        }


def _dicts(checked: Checked, index: int | None, where: str, value: Any) -> list[dict[str, Any]]:
    """A list of JSON objects, as the schema wants it (else a problem, and none)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        checked.problem(index, where, f"{where} is a list of objects")
        return []
    return value


def _texts(checked: Checked, index: int | None, where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        checked.problem(index, where, f"{where} is a list of identifiers (strings)")
        return []
    return value


def _text(checked: Checked, index: int | None, where: str, value: Any, size: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > size:
        checked.problem(index, where, f"{where} is a string of at most {size} characters")
        return None
    return value


def check(conn: Connection, doc: dict[str, Any]) -> Checked:
    """Read a document's master data and events and check every one of them: each
    problem is listed with its event and field, and a document with any writes nothing."""
    checked = Checked()
    if doc.get("type") not in ("EPCISDocument", "EPCISQueryDocument"):
        checked.problem(
            None, "type", "an EPCIS document has type EPCISDocument or EPCISQueryDocument"
        )
        return checked
    body = doc.get("epcisBody")
    if doc["type"] == "EPCISQueryDocument" and isinstance(body, dict):
        results = body.get("queryResults")
        body = results.get("resultsBody") if isinstance(results, dict) else None
    raw = body.get("eventList") if isinstance(body, dict) else None
    if not isinstance(raw, list):
        checked.problem(None, "epcisBody.eventList", "the document has no event list")
        return checked
    header = doc.get("epcisHeader")
    master = header.get("epcisMasterData") if isinstance(header, dict) else None
    if isinstance(master, dict):
        _read_master_data(checked, master)
    unknown: dict[str, list[int]] = defaultdict(list)
    for index, data in enumerate(raw, start=1):
        if checked.full:
            break
        try:
            event = _read_event(conn, checked, index, data, unknown)
        except (TypeError, AttributeError, ValueError, OverflowError) as exc:
            checked.problem(index, "", f"the event cannot be read: {str(exc)[:200]}")
            continue
        if event is not None:
            checked.events.append(event)
    for name, found in unknown.items():
        where = list(dict.fromkeys(found))
        shown = ", ".join(str(i) for i in where[:10]) + (" ..." if len(where) > 10 else "")
        checked.problem(
            where[0],
            "item",
            f"{name} is neither in the database nor in the document's master data (events {shown})",
        )
    if not checked.problems:
        _event_ids(conn, checked, doc, raw)
    return checked


def _read_master_data(checked: Checked, master: dict[str, Any]) -> None:
    know = checked.know
    for vocabulary in _dicts(checked, None, "vocabularyList", master.get("vocabularyList")):
        vtype = _local(vocabulary.get("type", ""))
        elements = vocabulary.get("vocabularyElementList")
        for element in _dicts(checked, None, "vocabularyElementList", elements):
            uri = element.get("id")
            if not isinstance(uri, str):
                checked.problem(None, "epcisMasterData", "a vocabulary element has an id")
                continue
            attrs = {}
            for a in _dicts(checked, None, "attributes", element.get("attributes")):
                name = _attribute(a.get("id", ""))
                if name is not None and isinstance(a.get("attribute"), str | int | float):
                    attrs[name] = a["attribute"]
            try:
                ident = parse_uri(uri)
            except InvalidInput as exc:
                if vtype in ("EPCClass", "Unit"):
                    checked.problem(None, "epcisMasterData", str(exc))
                continue
            if vtype == "EPCClass" and ident.kind == "item" and attrs.get("code"):
                _master_item(checked, ident, attrs)
            elif vtype == "EPCClass" and ident.kind == "lot":
                know.lots[Obj(ident).key] = _facts_of(checked, None, uri, attrs)
            elif vtype == "Unit" and ident.kind == "unit":
                know.units[Obj(ident).key] = _facts_of(checked, None, uri, attrs)
            elif vtype == "BusinessLocation" and attrs.get("code"):
                code = _code(checked, None, "location code", attrs["code"])
                if code is not None:
                    know.locations[code] = attrs
                    if ident.gln:
                        know.glns[ident.gln] = code
            elif vtype in ("SourceDest", "Party") and attrs.get("code") and attrs.get("kind"):
                code = _code(checked, None, "party code", attrs["code"])
                if code is not None:
                    know.parties[code] = attrs


def _master_item(checked: Checked, ident: Ident, attrs: dict[str, Any]) -> None:
    code = _code(checked, None, "item code", attrs["code"])
    if code is None:
        return
    if attrs.get("tracking") not in (t.value for t in Tracking):
        checked.problem(None, "epcisMasterData", f"item {code}: tracking must be none, lot or "
                        f"serial, not {attrs.get('tracking')!r}")  # fmt: skip
    shelf = attrs.get("shelfLifeDays")
    if shelf is not None and (not isinstance(shelf, int) or shelf <= 0):
        checked.problem(None, "epcisMasterData", f"item {code}: shelfLifeDays is a positive "
                        f"whole number of days, not {shelf!r}")  # fmt: skip
    checked.know.items[code] = attrs
    if ident.gtin:
        checked.know.gtins[ident.gtin] = code


def _code(checked: Checked, index: int | None, what: str, value: Any) -> str | None:
    try:
        return check_code(str(value), what=what)
    except InvalidInput as exc:
        checked.problem(index, "epcisMasterData" if index is None else what, str(exc))
        return None


def _facts_of(checked: Checked, index: int | None, where: str, attrs: dict[str, Any]) -> Facts:
    """Facts from attributes (master data or ILMD), each checked."""
    facts = Facts()
    for name, attr in (("expires", "itemExpirationDate"), ("expires", "bestBeforeDate"),
                       ("made", "made"), ("made", "productionDate")):  # fmt: skip
        if attrs.get(attr) is not None and getattr(facts, name) is None:
            try:
                setattr(facts, name, parse_date(str(attrs[attr])[:10], what=attr))
            except InvalidInput as exc:
                checked.problem(index, where, str(exc))
    if attrs.get("lotNumber") is not None:
        facts.lot = _code(checked, index, "lot code", attrs["lotNumber"])
    if attrs.get("supplierLot") is not None:
        facts.supplier_lot = _code(checked, index, "supplier lot", attrs["supplierLot"])
    return facts


def _read_event(
    conn: Connection, checked: Checked, index: int, data: Any, unknown: dict[str, list[int]]
) -> Event | None:
    if not isinstance(data, dict):
        checked.problem(index, "", "an event is a JSON object")
        return None
    before = len(checked.problems)
    kind = data.get("type")
    if kind not in EVENT_TYPES:
        checked.problem(index, "type", f"unknown event type {kind!r} ({', '.join(EVENT_TYPES)})")
        return None
    time = None
    if "eventTime" not in data:
        checked.problem(index, "eventTime", "the event has no eventTime")
    else:
        try:
            time = dt.datetime.fromisoformat(str(data["eventTime"]))
            if time.tzinfo is None:
                raise ValueError("no time zone")
            time = time.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            checked.problem(index, "eventTime", f"{data['eventTime']!r} is not a date and time "
                            "with its offset (2026-11-25T10:00:00Z)")  # fmt: skip
    if "eventTimeZoneOffset" not in data:
        checked.problem(index, "eventTimeZoneOffset", "the event has no eventTimeZoneOffset")
    action = data.get("action")
    if kind in ("ObjectEvent", "AggregationEvent", "TransactionEvent", "AssociationEvent"):
        if action not in ACTIONS:
            checked.problem(index, "action", f"unknown action {action!r} (OBSERVE, ADD or DELETE)")
    elif action is not None:
        checked.problem(index, "action", "a TransformationEvent has no action")
    place = _place(checked, index, data)
    step = _text(checked, index, "bizStep", data.get("bizStep"), 200)
    disposition = _text(checked, index, "disposition", data.get("disposition"), 200)
    event = Event(
        index=index,
        type=kind,
        event_id=_text(checked, index, "eventID", data.get("eventID"), 300) or "",
        time=time or dt.datetime.min.replace(tzinfo=dt.UTC),
        action=action,
        step=_local(step) if step else None,
        disposition=_local(disposition) if disposition else None,
        location=_location(conn, checked, index, place) if place else None,
        place=place,
        note=_text(checked, index, NOTE, data.get(NOTE), 10_000),
        costs=_costs(checked, index, data.get(UNIT_COST)),
    )
    read = _objects_reader(conn, checked, index, unknown)
    if kind == "TransformationEvent":
        event.inputs = read(data, "inputEPCList", "inputQuantityList")
        event.outputs = read(data, "outputEPCList", "outputQuantityList")
    elif kind in ("AggregationEvent", "AssociationEvent"):
        event.objects = read(data, "childEPCs", "childQuantityList")
        parent = _text(checked, index, "parentID", data.get("parentID"), 1000)
        if parent:
            try:  # a returnable crate (GRAI) or another container: noted, not refused
                event.parent = parse_uri(parent)
            except InvalidInput:
                event.parent = None
    else:
        event.objects = read(data, "epcList", "quantityList")
    for side, key, field_name in (
        ("sourceList", "source", "sources"),
        ("destinationList", "destination", "destinations"),
    ):
        found: dict[str, list[str]] = defaultdict(list)
        for entry in _dicts(checked, index, side, data.get(side)):
            found[_local(entry.get("type", ""))].append(str(entry.get(key, "")))
        setattr(event, field_name, dict(found))
    _check_shape(conn, checked, event)
    transactions = _dicts(checked, index, "bizTransactionList", data.get("bizTransactionList"))
    for entry in transactions[:1]:
        value = str(entry.get("bizTransaction", ""))
        prefix = "urn:tracelot:reference:"
        reference = unquote(value[len(prefix) :]) if value.startswith(prefix) else value
        event.reference = reference[:200]
    _learn_ilmd(checked, event, data)
    return event if len(checked.problems) == before else None


def _check_shape(conn: Connection, checked: Checked, event: Event) -> None:
    """What an event must name to be written: a transformation its inputs and outputs
    (units, lots or items, not logistic units); a shipment leaving a tracelot location
    that location as its place."""
    if event.type == "TransformationEvent":
        for side, objs in (("inputEPCList", event.inputs), ("outputEPCList", event.outputs)):
            if not objs:
                what = "consumed" if side.startswith("input") else "made"
                checked.problem(event.index, side, f"a transformation names what it {what}")
            if any(o.ident.kind == "sscc" for o in objs):
                checked.problem(event.index, side, "a transformation's inputs and outputs are "
                                "units, lots or items, not logistic units (SSCC)")  # fmt: skip
    if event.type == "ObjectEvent" and event.step == "shipping" and event.location is None:
        for uri in event.sources.get("location", []):
            if _location(conn, Checked(know=checked.know), event.index, uri):
                checked.problem(event.index, "bizLocation", f"a shipment from {uri} (a tracelot "
                                "location) names it as its bizLocation")  # fmt: skip


def _place(checked: Checked, index: int, data: dict[str, Any]) -> str | None:
    """The event's bizLocation, else its readPoint (each an object with an id)."""
    for name in ("bizLocation", "readPoint"):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, dict) or not isinstance(value.get("id"), str):
            checked.problem(index, name, f"{name} is an object with an id (a URI)")
            return None
        return value["id"]
    return None


def _costs(checked: Checked, index: int, value: Any) -> dict[str, Decimal]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        checked.problem(index, UNIT_COST, f"{UNIT_COST} maps identifiers to costs")
        return {}
    costs = {}
    for uri, cost in value.items():
        try:
            costs[uri] = parse_money(cost)
        except InvalidInput as exc:
            checked.problem(index, UNIT_COST, f"{uri}: {exc}")
    return costs


def _ident(checked: Checked, index: int, where: str, uri: str) -> Ident | None:
    try:
        ident = parse_uri(uri)
        if ident.lot is not None:
            check_code(ident.lot, what="lot code")
        if ident.serial is not None:
            check_code(ident.serial, what="serial")
        return ident
    except InvalidInput as exc:
        checked.problem(index, where, f"{uri}: {exc}" if uri not in str(exc) else str(exc))
        return None


def _objects_reader(conn: Connection, checked: Checked, index: int, unknown: dict[str, list[int]]):  # noqa: ANN202
    def read(data: dict[str, Any], epc_list: str, quantity_list: str) -> list[Obj]:
        found: list[Obj] = []
        seen: set[str] = set()
        for uri in _texts(checked, index, epc_list, data.get(epc_list)):
            if uri in seen:
                checked.problem(index, epc_list, f"{uri} is named twice")
                continue
            seen.add(uri)
            ident = _ident(checked, index, epc_list, uri)
            if ident is None:
                continue
            if ident.kind not in ("unit", "sscc"):
                checked.problem(index, epc_list, f"{uri} is not one object (a unit or an SSCC)")
                continue
            found.append(_resolved(conn, checked, index, Obj(ident), unknown))
        for element in _dicts(checked, index, quantity_list, data.get(quantity_list)):
            uri = element.get("epcClass")
            if not isinstance(uri, str):
                checked.problem(index, quantity_list, "a quantity element names its epcClass")
                continue
            ident = _ident(checked, index, quantity_list, uri)
            if ident is None:
                continue
            if ident.kind not in ("item", "lot"):
                checked.problem(index, quantity_list, f"{ident.uri} is not a class of objects")
                continue
            obj = _resolved(conn, checked, index, Obj(ident), unknown)
            if "quantity" in element:
                obj.qty = _quantity(conn, checked, index, quantity_list, obj, element)
            found.append(obj)
        return found

    return read


def _resolved(
    conn: Connection, checked: Checked, index: int, obj: Obj, unknown: dict[str, list[int]]
) -> Obj:
    if obj.ident.kind == "sscc":
        return obj
    obj.item = _item_code(conn, checked.know, obj.ident)
    if obj.item is None:
        unknown[obj.ident.item_key].append(index)
    return obj


def _item_code(conn: Connection, know: Knowledge, ident: Ident) -> str | None:
    if ident.gtin:
        try:
            return item_by_gtin(conn, ident.gtin).code
        except NotFound:
            return know.gtins.get(ident.gtin)
    if ident.code and (ident.code in know.items or _exists(conn, items, ident.code)):
        return ident.code
    return None


def _exists(conn: Connection, table: Any, code: str) -> bool:
    return conn.execute(select(table.c.id).where(table.c.code == code)).first() is not None


def _quantity(
    conn: Connection, checked: Checked, index: int, where: str, obj: Obj, element: dict[str, Any]
) -> Decimal | None:
    try:
        qty = parse_qty(element["quantity"], what=f"{obj.ident.uri}: quantity")
    except InvalidInput as exc:
        checked.problem(index, where, str(exc))
        return None
    uom = element.get("uom")
    if uom is None:
        if qty != qty.to_integral_value():
            reason = "a quantity without a unit (uom) is a count of items and must be whole"
            checked.problem(index, where, f"{obj.ident.uri}: {reason}, not {normalize(qty)}")
        return qty
    if obj.item is not None:
        own = un_cefact(_item_uom(conn, checked.know, obj.item))
        if uom != own and not (uom in COUNT_CODES and own in COUNT_CODES):
            checked.problem(index, where, f"{obj.ident.uri}: quantity in {uom}, but item "
                            f"{obj.item} is counted in {own}")  # fmt: skip
    return qty


def _item_uom(conn: Connection, know: Knowledge, code: str) -> str:
    row = conn.execute(select(items.c.uom).where(items.c.code == code)).first()
    return row.uom if row is not None else str(know.items.get(code, {}).get("uom") or "EA")


def _location(conn: Connection, checked: Checked, index: int, uri: str) -> str | None:
    """The tracelot location a place names (from the database or the document's master
    data); None for a place that is not tracelot's (a partner's). A tracelot location
    URI that names no location is a problem."""
    try:
        ident = parse_uri(uri)
    except InvalidInput:
        if uri.startswith(URN_PREFIX):
            checked.problem(index, "bizLocation", f"{uri} is not a tracelot location URI")
        return None  # a partner's own way of naming its places
    if ident.kind != "location":
        checked.problem(index, "bizLocation", f"{uri} is not a location")
        return None
    if ident.gln:
        row = conn.execute(select(locations.c.code).where(locations.c.gln == ident.gln)).first()
        return row.code if row is not None else checked.know.glns.get(ident.gln)
    if ident.code in checked.know.locations or _exists(conn, locations, ident.code or ""):
        return ident.code
    checked.problem(index, "bizLocation", f"{uri}: no location {ident.code} in the database "
                    "or the document's master data")  # fmt: skip
    return None


def _learn_ilmd(checked: Checked, event: Event, data: dict[str, Any]) -> None:
    """What an event's ILMD (and a Digital Link's expiry) say of the objects it makes."""
    know = checked.know
    raw = data.get("ilmd")
    if raw is not None and not isinstance(raw, dict):
        checked.problem(event.index, "ilmd", "ilmd is an object")
        raw = None
    attrs = {name: v for k, v in (raw or {}).items() if (name := _attribute(k)) is not None}
    ilmd = _facts_of(checked, event.index, "ilmd", attrs)
    made = event.outputs if event.type == "TransformationEvent" else event.objects
    makes = event.type == "TransformationEvent" or event.action == "ADD"
    for obj in [*made, *event.inputs]:
        if obj.ident.kind not in ("unit", "lot"):
            continue
        facts = Facts(expires=obj.ident.expires)
        if makes and obj in made:
            facts.learn(ilmd)
            if obj.ident.kind == "lot":
                facts.lot = None  # a lot is its own lot
        table = know.units if obj.ident.kind == "unit" else know.lots
        table.setdefault(obj.key, Facts()).learn(facts)
    if event.type == "AggregationEvent" and event.action == "ADD" and event.parent is not None:
        if event.parent.sscc:
            know.contents.setdefault(event.parent.sscc, []).extend(event.objects)


def _event_ids(conn: Connection, checked: Checked, doc: dict[str, Any], raw: list) -> None:
    """Each event's ID (its own, else its CBV event hash); those imported before, or
    twice in the document, are skipped."""
    missing = [e for e in checked.events if not e.event_id]
    if missing:
        context = _local_context(doc.get("@context"))
        try:
            hashes = event_hashes([raw[e.index - 1] for e in missing], context)
        except Exception as exc:  # the hash generator's own errors (JSON-LD, its parser)
            checked.problem(missing[0].index, "eventID", "the event has no eventID and its CBV "
                            f"event hash cannot be computed: {str(exc)[:200]}")  # fmt: skip
            return
        for event, event_id in zip(missing, hashes, strict=True):
            event.event_id = event_id
    ids = [e.event_id for e in checked.events]
    known: set[str] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        query = select(epcis_events.c.event_id).where(epcis_events.c.event_id.in_(chunk))
        known.update(conn.execute(query).scalars())
    seen: set[str] = set()
    for event in checked.events:
        if event.event_id in known:
            event.skip = "imported before"
        elif event.event_id in seen:
            event.skip = "twice in the document"
        seen.add(event.event_id)


def _local_context(context: Any) -> list[Any]:
    """The document's context without remote contexts tracelot does not hold (hashing
    never fetches anything)."""
    entries = context if isinstance(context, list) else [context]
    kept = [e for e in entries if isinstance(e, dict) or e in LOCAL_CONTEXTS]
    return kept or [GS1_CONTEXT]


# -- writing what a document says -------------------------------------------------------


def write(
    conn: Connection,
    *,
    user: str,
    checked: Checked,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write what a checked document says, in one savepoint of the caller's transaction:
    its master data, then its events in time order. An event tracelot refuses (stock
    that is not there, a unit shipped already) refuses the whole document, naming the
    event. A dry run does all of it and takes it back."""
    if checked.problems:
        raise InvalidInput(f"{len(checked.problems)} problems in the document")
    savepoint = conn.begin_nested()
    try:
        _write_master_data(conn, checked.know)
        effects = []
        ordered = sorted(checked.events, key=lambda e: (e.time, e.index))
        for done, event in enumerate(ordered, start=1):
            if progress is not None:
                progress(done, len(ordered))
            if event.skip:
                effects.append(_effect(event, None, None, f"skipped: {event.skip}"))
                continue
            try:
                op_id, asn_id, effect = _apply(conn, user, checked.know, event)
            except TracelotError as exc:
                raise type(exc)(f"{event.label}: {exc}") from None
            conn.execute(
                insert(epcis_events).values(
                    event_id=event.event_id,
                    event_type=event.type,
                    biz_step=event.step,
                    event_time=event.time,
                    operation_id=op_id,
                    asn_id=asn_id,
                    effect=effect[:300],
                    imported_at=now(),
                )
            )
            effects.append(_effect(event, op_id, asn_id, effect))
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return checked.summary(written=not dry_run, effects=effects)


def _effect(event: Event, op_id: int | None, asn_id: int | None, effect: str) -> dict[str, Any]:
    return {
        "event": event.index,
        "type": event.type,
        "bizStep": event.step,
        "eventID": event.event_id,
        "operation": op_id,
        "asn": asn_id,
        "effect": effect,
    }


def _write_master_data(conn: Connection, know: Knowledge) -> None:
    for code, attrs in know.parties.items():
        if not _exists(conn, parties, code):
            catalog.add_party(
                conn, code, name=str(attrs.get("name") or code), kind=str(attrs["kind"])
            )
    pending = {c: a for c, a in know.locations.items() if not _exists(conn, locations, c)}
    while pending:  # parents first
        ready = [c for c, a in pending.items() if not a.get("parent") or a["parent"] not in pending]
        if not ready:
            raise InvalidInput(
                f"the locations {', '.join(sorted(pending))} are each other's parents"
            )
        for code in ready:
            attrs = pending.pop(code)
            catalog.add_location(
                conn,
                code,
                name=attrs.get("name"),
                parent=attrs.get("parent"),
                kind=str(attrs.get("kind") or "bin"),
                gln=attrs.get("gln"),
            )
    for code, attrs in know.items.items():
        if not _exists(conn, items, code):
            shelf = attrs.get("shelfLifeDays")
            catalog.add_item(
                conn,
                code,
                name=str(attrs.get("name") or code),
                tracking=str(attrs["tracking"]),
                gtin=attrs.get("gtin"),
                uom=str(attrs.get("uom") or "EA"),
                shelf_life_days=int(shelf) if shelf is not None else None,
            )


def _apply(
    conn: Connection, user: str, know: Knowledge, event: Event
) -> tuple[int | None, int | None, str]:
    """What one event does: (the first operation it made, the ASN it made, in words)."""
    # holds and releases name no place: they are tracelot's when they name no other's
    unplaced_hold = event.place is None and event.step in ("holding", "inspecting")
    if unplaced_hold or (event.location is not None and _is_real(conn, event.location)):
        if event.type == "ObjectEvent":
            return _replay_object_event(conn, user, know, event)
        if event.type == "TransformationEvent":
            return _replay_transformation(conn, user, know, event)
        return None, None, f"noted: tracelot keeps no {event.type} of its own"
    if event.type == "ObjectEvent" and event.step == "shipping":
        return None, _advance_notice(conn, know, event), "advance shipping notice"
    if event.type == "TransformationEvent":
        op_id = _partner_transformation(conn, user, know, event)
        return op_id, None, "a partner's transformation: genealogy of what it made"
    if event.type == "AggregationEvent" and event.parent is not None and event.parent.sscc:
        return None, None, f"noted: the contents of SSCC {event.parent.sscc}"
    if event.action == "ADD":
        return None, None, "noted: the identities it commissioned (their expiry, their lot)"
    return (
        None,
        None,
        f"noted: a partner's {event.step or event.type} at {event.place or 'an unnamed place'}",
    )


def _is_real(conn: Connection, code: str) -> bool:
    row = conn.execute(select(locations.c.virtual).where(locations.c.code == code)).first()
    return row is not None and not row.virtual


def _party_of(conn: Connection, uris: Sequence[str]) -> Row | None:
    """The first tracelot party among source or destination identifiers."""
    for uri in uris:
        if uri.startswith(URN_PREFIX + "party:"):
            code = unquote(uri[len(URN_PREFIX + "party:") :])
            row = conn.execute(select(parties).where(parties.c.code == code)).first()
            if row is not None:
                return row
    return None


def _parties(side: dict[str, list[str]]) -> list[str]:
    return [uri for kind in _PARTY_TYPES for uri in side.get(kind, [])]


def _replay_object_event(
    conn: Connection, user: str, know: Knowledge, event: Event
) -> tuple[int | None, int | None, str]:
    here, common = event.location, {"user": user, "at": event.time}
    objs = [o for o in event.objects if o.ident.kind != "sscc"]
    if len(objs) != len(event.objects):
        raise InvalidInput("an SSCC at a tracelot location: name the units and lots it holds")
    ops: list[int] = []
    step, action = event.step, event.action
    if step == "receiving":
        party = _party_of(conn, _parties(event.sources))
        if event.disposition == "returned" or (party is not None and party.kind == "customer"):
            if party is None:
                raise InvalidInput("a return names the customer it comes from (sourceList)")
            for obj in objs:
                ops.append(
                    shipping.return_(
                        conn,
                        ref=obj.ref,
                        from_customer=party.code,
                        to=here,
                        qty=obj.qty,
                        reference=event.reference,
                        note=event.note,
                        **common,
                    ).id
                )
            return ops[0] if ops else None, None, f"return from {party.code}"
        for receipt in _receipts(know, objs, event.costs):
            ops.append(
                receiving.receive(
                    conn,
                    to=here,
                    ref=event.reference,
                    note=event.note,
                    supplier=party.code if party is not None else None,
                    **receipt,
                    **common,
                ).id
            )
        return ops[0] if ops else None, None, "receipt"
    if step == "shipping":
        customer = _party_of(conn, _parties(event.destinations))
        if customer is None:
            raise InvalidInput("a shipment names its customer (destinationList owning_party)")
        op = shipping.ship(
            conn,
            refs=[o.ref for o in objs],
            to=customer.code,
            qtys=[o.qty for o in objs],
            from_=here,
            reference=event.reference,
            note=event.note,
            **common,
        )
        return op.id, None, f"shipment to {customer.code}"
    if step == "destroying" or (action == "DELETE" and event.disposition == "destroyed"):
        for obj in objs:
            ops.append(
                movement.scrap(
                    conn,
                    ref=obj.ref,
                    qty=obj.qty,
                    from_=here,
                    reason=event.note or "destroyed",
                    reference=event.reference,
                    **common,
                ).id
            )
        return ops[0] if ops else None, None, "scrap"
    if step == "cycle_counting" and action in ("ADD", "DELETE"):
        for obj in objs:
            done = _count(conn, user, obj, here, event)
            if done is not None:
                ops.append(done)
        return ops[0] if ops else None, None, "count correction"
    if step == "holding":
        for obj in objs:
            ops.append(
                holds_service.hold(
                    conn, ref=obj.ref, reason=event.note or f"held ({event.disposition})", **common
                )["operation"]
            )
        return ops[0] if ops else None, None, "hold"
    if step == "inspecting" and event.disposition == "sellable_accessible":
        for obj in objs:
            ops.append(
                holds_service.release(conn, ref=obj.ref, note=event.note, **common)["operation"]
            )
        return ops[0] if ops else None, None, "release"
    if action == "OBSERVE" and objs:
        to = here
        for uri in event.destinations.get("location", []):
            to = _location(conn, Checked(know=know), event.index, uri) or to
        source = None
        for uri in event.sources.get("location", []):
            source = _location(conn, Checked(know=know), event.index, uri)
        if source == to:
            return None, None, f"noted: {step or 'an observation'} of what is at {to}"
        op = movement.move(
            conn,
            refs=[o.ref for o in objs],
            to=to,
            from_=source,
            qtys=[o.qty for o in objs],
            reference=event.reference,
            note=event.note,
            **common,
        )
        return op.id, None, f"move to {to}"
    return None, None, f"noted: tracelot has no operation for {action} {step}"


def _receipts(know: Knowledge, objs: list[Obj], costs: dict[str, Decimal]) -> list[dict[str, Any]]:
    """The receipts of what an event brings: one per item and lot (units by their own
    expiry, supplier lot and cost)."""
    groups: dict[tuple, dict[str, Any]] = {}
    for obj in objs:
        f = know.facts(obj)
        cost = costs.get(obj.ident.uri)
        key = (obj.item, f.lot, f.expires, f.made, f.supplier_lot, cost, obj.ident.kind == "unit")
        group = groups.setdefault(key, {
            "item": obj.item, "lot": f.lot, "expires": f.expires, "made": f.made,
            "supplier_lot": f.supplier_lot, "cost": cost,
        })  # fmt: skip
        if obj.ident.kind == "unit":
            group.setdefault("serials", []).append(obj.ident.serial)
        else:
            if obj.qty is None:
                raise InvalidInput(f"{obj.ident.uri}: how many? (quantity)")
            group["qty"] = group.get("qty", Decimal(0)) + obj.qty
    return list(groups.values())


def _count(conn: Connection, user: str, obj: Obj, here: str, event: Event) -> int | None:
    if obj.qty is None:
        raise InvalidInput(f"{obj.ident.uri}: a count correction gives its quantity")
    item = item_by_code(conn, str(obj.item))
    lot_id = lot_by_code(conn, item, obj.ident.lot).id if obj.ident.lot is not None else None
    booked = Decimal(
        conn.execute(
            select(func.coalesce(func.sum(stock.c.qty), 0)).where(
                stock.c.item_id == item.id,
                stock.c.location_id == location_by_code(conn, here).id,
                func.coalesce(stock.c.lot_id, 0) == (lot_id or 0),
            )
        ).scalar_one()
    )
    counted = booked + obj.qty if event.action == "ADD" else booked - obj.qty
    done = movement.adjust(
        conn,
        user=user,
        item=item.code,
        at_location=here,
        counted=counted,
        lot=obj.ident.lot,
        reference=event.reference,
        note=event.note,
        at=event.time,
    )
    return done.id if done is not None else None


def _replay_transformation(
    conn: Connection, user: str, know: Knowledge, event: Event
) -> tuple[int | None, int | None, str]:
    here = str(event.location)
    if event.step == "repairing":
        ins = {o.ident.uri: o for o in event.inputs}
        outs = {o.ident.uri: o for o in event.outputs}
        kept = [ins[u] for u in ins if u in outs]
        installed = [ins[u] for u in ins if u not in outs]
        taken = [outs[u] for u in outs if u not in ins]
        if len(kept) != 1 or len(installed) != 1 or len(taken) != 1:
            raise InvalidInput(
                "a repair names the unit repaired (in and out), the part put in "
                "(in) and the part taken out (out)"
            )
        to = None
        for uri in event.destinations.get("location", []):
            to = _location(conn, Checked(know=know), event.index, uri)
        scrap = to == "SCRAP"
        op = production.replace(
            conn,
            user=user,
            assembly=kept[0].ref,
            remove=taken[0].ref,
            install=installed[0].ref,
            to=None if scrap else to,
            scrap=scrap,
            reference=event.reference,
            note=event.note,
            at=event.time,
        )
        return op.id, None, f"repair of {kept[0].ref}"
    if len(event.outputs) != 1:
        raise InvalidInput(
            f"a transformation at {here} makes {len(event.outputs)} outputs: "
            "tracelot builds one output per event"
        )
    out = event.outputs[0]
    facts = know.facts(out)
    consume = [o.ref if o.qty is None else f"{o.ref}={normalize(o.qty)}" for o in event.inputs]
    op = production.build(
        conn,
        user=user,
        item=str(out.item),
        to=here,
        consume=consume,
        serial=out.ident.serial,
        lot=facts.lot,
        qty=out.qty,
        expires=facts.expires,
        reference=event.reference,
        note=event.note,
        at=event.time,
    )
    return op.id, None, f"build of {out.ref}"


def _advance_notice(conn: Connection, know: Knowledge, event: Event) -> int:
    """A partner's shipment (to tracelot's site, say) as an ASN to receive."""
    lines: list[dict[str, Any]] = []
    sscc = None
    for obj in event.objects:
        held = [obj]
        if obj.ident.kind == "sscc":
            sscc = sscc or obj.ident.sscc
            held = know.contents.get(str(obj.ident.sscc), [])
            if not held:
                raise InvalidInput(
                    f"SSCC {obj.ident.sscc}: what it holds is not in the document "
                    "(an AggregationEvent with it as parentID)"
                )
        for part in held:
            lines.append(_asn_line(conn, know, part))
    if not lines:
        raise InvalidInput("the shipment names nothing shipped")
    senders = _parties(event.sources)
    supplier = _party_of(conn, senders)
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


def _partner_transformation(conn: Connection, user: str, know: Knowledge, event: Event) -> int:
    """A partner made `outputs` from `inputs`: the units and lots are written down (the
    outputs at the SUPPLIER, to be received; the inputs consumed there) and linked, so a
    forward trace from a partner's lot reaches what tracelot received and built of it.
    The inputs are shared among the outputs in proportion to the outputs' quantities."""
    if not event.outputs or not event.inputs:
        raise InvalidInput("a partner's transformation names its inputs and its outputs")
    supplier = _party_of(conn, _parties(event.sources))
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


# -- advance shipping notices -----------------------------------------------------------


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
    conn: Connection, *, user: str, asn: str | int, to: str, at: dt.datetime | None = None
) -> list[Any]:
    """Receive everything an ASN announced into `to`: one receipt per item and lot."""
    row = find_asn(conn, asn)
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
    return done
