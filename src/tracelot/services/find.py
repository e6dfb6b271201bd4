"""Scan anywhere: what any scan or code names, for the pages' header box (issue 21).

A scan in any form the resolver reads (GS1 element strings, Digital Link, a GTIN, an
SSCC of a case or pallet, tracelot's own labels, ITEM:SERIAL, ITEM@LOT, a location) is
resolved by the one resolver (`services.scan.identify`); beside it, the codes a person
types: an item, a location or a party by code, a supplier's lot, an item by GTIN or by a
word of its name, and a number (a purchase order, a sales order, a recall, an operation).
Each choice names its kind and the keys of its page; the page opens it when there is one,
or offers them all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, or_, select

from tracelot.services.scan import identify
from tracelot.store.tables import (
    items,
    locations,
    lots,
    operations,
    parties,
    purchase_orders,
    sales_orders,
)
from tracelot.store.tables import recalls as recalls_table

MAX_CHOICES = 20  # offered at most (the items whose name holds a word)


def _choice(kind: str, label: str, **keys: Any) -> dict[str, Any]:
    return {"kind": kind, "label": label, **keys}


def find(conn: Connection, *, text: str) -> dict[str, Any]:
    """What `text` names: `choices` (each a kind, a label and its keys), and `scan` (the
    resolver's answer, with its `error` when the scan names nothing)."""
    text = text.strip()
    if not text:
        return {"input": text, "choices": [], "scan": None}
    choices: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()

    def add(choice: dict[str, Any]) -> None:
        key = tuple(sorted((k, str(v)) for k, v in choice.items() if k != "label"))
        if key not in seen and len(choices) < MAX_CHOICES:
            seen.add(key)
            choices.append(choice)

    scanned = identify(conn, text)
    if scanned["ok"]:
        kind, item = scanned["kind"], scanned["item"]
        if kind == "unit":
            add(_choice("unit", f"{item}:{scanned['serial']}", item=item, serial=scanned["serial"]))
        elif kind == "lot":
            add(_choice("lot", f"{item}@{scanned['lot']}", item=item, lot=scanned["lot"]))
        elif kind == "item":
            add(_choice("item", f"{item} {scanned['item_name'] or ''}".strip(), item=item))
        elif kind == "location":
            where = scanned["location"]
            add(_choice("location", scanned["location_path"] or where, location=where))
        elif kind == "sscc":  # a case or pallet (issue 20)
            add(_choice("sscc", f"SSCC {scanned['sscc']} at {scanned['location_path']}",
                        sscc=scanned["sscc"]))  # fmt: skip
    # a supplier's lot (the (10) of their label, or typed): the lots received under it
    found_lots = conn.execute(
        select(items.c.code, lots.c.code, parties.c.code)
        .join(items, items.c.id == lots.c.item_id)
        .outerjoin(parties, parties.c.id == lots.c.supplier_id)
        .where(lots.c.supplier_lot == (scanned["lot"] or text))
        .order_by(items.c.code, lots.c.code)
        .limit(MAX_CHOICES)
    ).all()
    for item, lot, supplier in found_lots:
        label = f"{item}@{lot} (supplier lot {scanned['lot'] or text}" + (
            f" of {supplier})" if supplier else ")"
        )
        add(_choice("lot", label, item=item, lot=lot))
    if scanned["ok"] or found_lots:
        pass  # what the scan named comes first; codes typed by hand below
    needle = text.lower()
    for code, name in conn.execute(
        select(items.c.code, items.c.name)
        .where(or_(func.lower(items.c.code) == needle, items.c.gtin == text.zfill(14)))
        .order_by(items.c.code)
    ).all():
        add(_choice("item", f"{code} {name}", item=code))
    for code, path in conn.execute(
        select(locations.c.code, locations.c.path).where(func.lower(locations.c.code) == needle)
    ).all():
        add(_choice("location", path or code, location=code))
    for code, name, kind in conn.execute(
        select(parties.c.code, parties.c.name, parties.c.kind).where(
            func.lower(parties.c.code) == needle
        )
    ).all():
        add(_choice("party", f"{code} {name} ({kind})", party=code, party_kind=kind))
    upper = text.upper()
    prefix = upper[:2] if upper[:2] in ("PO", "SO") else ""  # PO 12, SO 12: that kind only
    number = upper.removeprefix(prefix).removeprefix("#").strip()
    if number.isdigit() and len(number) < 10:
        n = int(number)
        numbered = [("sales_order", "sales order", "so", sales_orders, "SO"),
                    ("purchase_order", "purchase order", "po", purchase_orders, "PO"),
                    ("recall", "recall", "recall", recalls_table, ""),
                    ("operation", "operation", "operation", operations, "")]  # fmt: skip
        for kind, name, key, table, own in numbered:
            if (
                prefix in ("", own)
                and conn.execute(select(table.c.id).where(table.c.id == n)).first()
            ):
                add(_choice(kind, f"{name} {n}", **{key: n}))
    if len(needle) >= 2 and not scanned["ok"]:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        for code, name in conn.execute(
            select(items.c.code, items.c.name)
            .where(func.lower(items.c.name).like(f"%{escaped}%", escape="\\"))
            .order_by(items.c.code)
            .limit(MAX_CHOICES)
        ).all():
            add(_choice("item", f"{code} {name}", item=code))
    return {"input": text, "choices": choices, "scan": scanned}


def bill_of_materials(conn: Connection, *, item: str) -> dict[str, Any]:
    """What goes into a build of `item`, per its latest build: each component item and
    its quantity per output (tracelot keeps no separate bill: the last build is it)."""
    from tracelot.store.tables import genealogy

    item_id = conn.execute(select(items.c.id).where(items.c.code == item)).scalar()
    if item_id is None:
        return {"item": item, "build": None, "components": []}
    latest = conn.execute(
        select(func.max(genealogy.c.operation_id))
        .join(operations, operations.c.id == genealogy.c.operation_id)
        .where(genealogy.c.parent_item_id == item_id, operations.c.kind == "build")
    ).scalar()
    if latest is None:
        return {"item": item, "build": None, "components": []}
    rows = conn.execute(
        select(
            items.c.code,
            items.c.name,
            func.sum(genealogy.c.qty),
            func.count(func.distinct(genealogy.c.parent_unit_id)),
        )
        .join(items, items.c.id == genealogy.c.child_item_id)
        .where(genealogy.c.operation_id == latest)
        .group_by(items.c.code, items.c.name)
        .order_by(items.c.code)
    ).all()
    outputs = max((r[3] for r in rows), default=1) or 1
    return {
        "item": item,
        "build": latest,
        "components": [
            {"item": code, "item_name": name, "qty_per_unit": qty / outputs}
            for code, name, qty, _ in rows
        ],
    }
