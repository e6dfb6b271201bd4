"""Replaying events at tracelot's own locations as the operations they describe:
receipts, returns, moves, shipments, scraps, count corrections, holds, releases, builds
and repairs, each through its service (so each keeps its rules)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from tracelot.domain.errors import InvalidInput
from tracelot.domain.values import normalize
from tracelot.services import holds as holds_service
from tracelot.services import movement, production, receiving, shipping
from tracelot.services.epcis.document import Checked, Event, Knowledge, Obj
from tracelot.services.epcis.partners import party_of, party_uris
from tracelot.services.epcis.resolving import location_of
from tracelot.services.lookup import item_by_code, location_by_code, lot_by_code
from tracelot.store.tables import stock


def replay_object_event(
    conn: Connection, user: str, know: Knowledge, event: Event
) -> tuple[int | None, int | None, str]:
    here, common = event.location, {"user": user, "at": event.time}
    objs = [o for o in event.objects if o.ident.kind != "sscc"]
    if len(objs) != len(event.objects):
        raise InvalidInput("an SSCC at a tracelot location: name the units and lots it holds")
    ops: list[int] = []
    step, action = event.step, event.action
    if step == "receiving":
        party = party_of(conn, party_uris(event.sources))
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
        customer = party_of(conn, party_uris(event.destinations))
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
            to = location_of(conn, Checked(know=know), event.index, uri) or to
        source = None
        for uri in event.sources.get("location", []):
            source = location_of(conn, Checked(know=know), event.index, uri)
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


def replay_transformation(
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
            to = location_of(conn, Checked(know=know), event.index, uri)
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
