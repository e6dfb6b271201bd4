"""Checking a document as a whole before anything is written: its master data, each
event's fields and objects, its ILMD, and the event IDs imported before. Every problem
is listed with its event and field."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Connection, select

from tracelot.domain.epc import Ident, parse_uri
from tracelot.domain.errors import InvalidInput
from tracelot.domain.status import Tracking
from tracelot.domain.values import check_code, parse_date, parse_money
from tracelot.services.epcis.document import (
    ACTIONS,
    EVENT_TYPES,
    Checked,
    Event,
    Facts,
    Obj,
    attribute_name,
    dicts_of,
    local_name,
)
from tracelot.services.epcis.hashes import LOCAL_CONTEXTS, event_hashes
from tracelot.services.epcis.resolving import location_of, objects_reader
from tracelot.services.epcis.vocabulary import GS1_CONTEXT, NOTE, UNIT_COST, VOID_REASON
from tracelot.store.tables import epcis_events


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
    for vocabulary in dicts_of(checked, None, "vocabularyList", master.get("vocabularyList")):
        vtype = local_name(vocabulary.get("type", ""))
        elements = vocabulary.get("vocabularyElementList")
        for element in dicts_of(checked, None, "vocabularyElementList", elements):
            uri = element.get("id")
            if not isinstance(uri, str):
                checked.problem(None, "epcisMasterData", "a vocabulary element has an id")
                continue
            attrs = {}
            for a in dicts_of(checked, None, "attributes", element.get("attributes")):
                name = attribute_name(a.get("id", ""))
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
        step=local_name(step) if step else None,
        disposition=local_name(disposition) if disposition else None,
        location=location_of(conn, checked, index, place) if place else None,
        place=place,
        note=_text(checked, index, NOTE, data.get(NOTE), 10_000),
        costs=_costs(checked, index, data.get(UNIT_COST)),
    )
    read = objects_reader(conn, checked, index, unknown)
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
        for entry in dicts_of(checked, index, side, data.get(side)):
            found[local_name(entry.get("type", ""))].append(str(entry.get(key, "")))
        setattr(event, field_name, dict(found))
    _check_shape(conn, checked, event)
    transactions = dicts_of(checked, index, "bizTransactionList", data.get("bizTransactionList"))
    for entry in transactions[:1]:
        value = str(entry.get("bizTransaction", ""))
        prefix = "urn:tracelot:reference:"
        reference = unquote(value[len(prefix) :]) if value.startswith(prefix) else value
        event.reference = reference[:200]
    _learn_ilmd(checked, event, data)
    _read_declaration(checked, event, data.get("errorDeclaration"))
    return event if len(checked.problems) == before else None


def _read_declaration(checked: Checked, event: Event, value: Any) -> None:
    """An error declaration: the event is stated in error (imported, then voided)."""
    if value is None:
        return
    index = event.index
    if not isinstance(value, dict):
        checked.problem(index, "errorDeclaration", "errorDeclaration is an object")
        return
    try:
        declared = dt.datetime.fromisoformat(str(value.get("declarationTime")))
        if declared.tzinfo is None:
            raise ValueError("no time zone")
    except (ValueError, OverflowError):
        checked.problem(index, "errorDeclaration.declarationTime",
                        "the error declaration has no declarationTime with its offset")  # fmt: skip
        return
    event.declared_at = declared.astimezone(dt.UTC)
    why = _text(checked, index, VOID_REASON, value.get(VOID_REASON), 1000)
    reason = _text(checked, index, "errorDeclaration.reason", value.get("reason"), 300)
    event.declared_why = why or (f"declared in error ({local_name(reason)})" if reason
                                 else "declared in error")  # fmt: skip


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
            if location_of(conn, Checked(know=checked.know), event.index, uri):
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


def _learn_ilmd(checked: Checked, event: Event, data: dict[str, Any]) -> None:
    """What an event's ILMD (and a Digital Link's expiry) say of the objects it makes."""
    know = checked.know
    raw = data.get("ilmd")
    if raw is not None and not isinstance(raw, dict):
        checked.problem(event.index, "ilmd", "ilmd is an object")
        raw = None
    attrs = {name: v for k, v in (raw or {}).items() if (name := attribute_name(k)) is not None}
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
    if event.type == "AggregationEvent" and event.parent is not None and event.parent.sscc:
        held = know.contents.setdefault(event.parent.sscc, [])
        if event.action == "ADD":
            held.extend(event.objects)
        elif event.action == "DELETE":  # unpacked: out of the case
            _take_out(held, event.objects)


def _take_out(held: list[Obj], taken: list[Obj]) -> None:
    """What an unpacking (an AggregationEvent DELETE) took out of a case's contents: a
    unit or case named, a quantity of a class; a DELETE naming nothing empties it."""
    if not taken:
        held.clear()
        return
    for obj in taken:
        left = obj.qty  # a quantity comes out of as many entries of its class as it takes
        i = 0
        while i < len(held):
            had = held[i]
            if not _same(had, obj):
                i += 1
                continue
            if left is not None and had.qty is not None and left < had.qty:
                held[i] = replace(had, qty=had.qty - left)
                break
            del held[i]
            if left is None or had.qty is None:
                break
            left -= had.qty
            if left <= 0:
                break


def _same(a: Obj, b: Obj) -> bool:
    """Whether two objects name the same unit, case or class (as a URN or Digital Link)."""
    if a.ident.kind != b.ident.kind:
        return False
    return a.ident.sscc == b.ident.sscc if a.ident.kind == "sscc" else a.key == b.key


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
