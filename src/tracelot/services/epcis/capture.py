"""Writing a checked document, all of it or nothing: its master data, then each event
in time order, replayed at tracelot's locations or kept as a partner's; each event
recorded (`epcis_events`) so that importing it again skips it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert, select

from tracelot.domain.errors import InvalidInput, TracelotError
from tracelot.services import catalog, voids
from tracelot.services.epcis.document import Checked, Event, Knowledge
from tracelot.services.epcis.partners import advance_notice, partner_transformation
from tracelot.services.epcis.replay import replay_object_event, replay_transformation
from tracelot.services.epcis.resolving import exists
from tracelot.services.ledger import now
from tracelot.store.tables import epcis_events, items, locations, parties


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
        # an event declared in error is voided in its place in time: at its declaration
        timeline = [(e.time, 0, e.index, e) for e in ordered]
        timeline += [(e.declared_at, 1, e.index, e) for e in ordered if e.declared_at is not None]
        timeline.sort(key=lambda entry: entry[:3])
        made: dict[int, tuple[int | None, dict[str, Any]]] = {}  # event -> op, its effect
        for done, (_, is_void, _, event) in enumerate(timeline, start=1):
            if progress is not None:
                progress(done, len(timeline))
            if is_void:
                op_id, said = made[event.index]
                try:
                    said["effect"] += _void_declared(conn, user, event, op_id)
                except TracelotError as exc:
                    raise type(exc)(f"{event.label} (declared in error): {exc}") from None
                continue
            if event.skip:
                effects.append(_effect(event, None, None, f"skipped: {event.skip}"))
                imported = _imported_op(conn, event) if event.skip == "imported before" else None
                made[event.index] = (imported, effects[-1])
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
            made[event.index] = (op_id, effects[-1])
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
        if not exists(conn, parties, code):
            catalog.add_party(
                conn, code, name=str(attrs.get("name") or code), kind=str(attrs["kind"])
            )
    pending = {c: a for c, a in know.locations.items() if not exists(conn, locations, c)}
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
        if not exists(conn, items, code):
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
            return replay_object_event(conn, user, know, event)
        if event.type == "TransformationEvent":
            return replay_transformation(conn, user, know, event)
        return None, None, f"noted: tracelot keeps no {event.type} of its own"
    if event.type == "ObjectEvent" and event.step == "shipping":
        return None, advance_notice(conn, know, event), "advance shipping notice"
    if event.type == "TransformationEvent":
        op_id = partner_transformation(conn, user, know, event)
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


def _imported_op(conn: Connection, event: Event) -> int | None:
    return conn.execute(
        select(epcis_events.c.operation_id).where(epcis_events.c.event_id == event.event_id)
    ).scalar()


def _void_declared(conn: Connection, user: str, event: Event, op_id: int | None) -> str:
    """An event declared in error: the operation it made is voided (once), at the time
    of the declaration; what it says of it, to add to its effect."""
    if op_id is None:
        return ""
    if voids.voided_by(conn, [op_id]):
        return f"; operation {op_id} is voided already"
    done = voids.void(conn, user=user, operation=op_id, reason=event.declared_why or "declared "
                      "in error", at=event.declared_at)  # fmt: skip
    return f"; declared in error: operation {op_id} voided by operation {done.id}"
