"""Master data: items, locations (a tree) and parties."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tracelot.domain.contacts import LIMITS as CONTACT_LIMITS
from tracelot.domain.contacts import Contact
from tracelot.domain.errors import AlreadyExists, InvalidInput, NotFound, WrongKind
from tracelot.domain.status import USER_LOCATION_KINDS, VIRTUAL_LOCATIONS, Tracking
from tracelot.domain.values import (
    check_code,
    check_name,
    parse_gln,
    parse_gtin,
    parse_money,
    parse_qty,
)
from tracelot.services.ledger import now
from tracelot.services.lookup import forget_items, item_by_code, location_by_code, party_by_code
from tracelot.services.resolver import item_named, location_named
from tracelot.store.engine import cache
from tracelot.store.tables import item_gtins, item_packs, item_suppliers, items, locations, parties

CONTACT_FIELDS = tuple(CONTACT_LIMITS)


def ensure_virtual_locations(conn: Connection) -> None:
    """Create the virtual locations of the double-entry ledger where missing."""
    have = set(conn.execute(select(locations.c.code).where(locations.c.virtual)).scalars())
    for code, kind in VIRTUAL_LOCATIONS.items():
        if code not in have:
            conn.execute(
                insert(locations).values(
                    code=code,
                    name=code.title(),
                    kind=kind.value,
                    path=code,
                    virtual=True,
                    created_at=now(),
                )
            )


def add_item(
    conn: Connection,
    code: str,
    *,
    name: str,
    tracking: str,
    gtin: str | None = None,
    uom: str = "EA",
    shelf_life_days: int | None = None,
    cost: Decimal | str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    code = check_code(code, what="item code")
    name = check_name(name, what="item name")
    try:
        tracking = Tracking(tracking).value
    except ValueError:
        raise InvalidInput(f"tracking must be none, lot or serial, not {tracking!r}") from None
    gtin14 = parse_gtin(gtin) if gtin else None
    if shelf_life_days is not None and shelf_life_days <= 0:
        raise InvalidInput(f"shelf life must be a positive number of days, not {shelf_life_days}")
    standard_cost = parse_money(cost) if cost is not None else None
    if conn.execute(select(items.c.id).where(items.c.code == code)).first():
        raise AlreadyExists(f"item {code} already exists")
    if gtin14:
        _refuse_taken_gtin(conn, gtin14)
    conn.execute(
        insert(items).values(
            code=code,
            name=name.strip(),
            tracking=tracking,
            gtin=gtin14,
            uom=(uom or "EA").strip(),
            shelf_life_days=shelf_life_days,
            standard_cost=standard_cost,
            category=_category(category),
            created_at=now(),
        )
    )
    row = item_by_code(conn, code)
    if gtin14:
        conn.execute(insert(item_gtins).values(gtin=gtin14, item_id=row.id))
    return item_dict(row, [gtin14] if gtin14 else [])


def add_gtin(conn: Connection, item: str, gtin: str) -> dict[str, Any]:
    """Let another GTIN name an item (a supplier's, another pack's): scans of it find it."""
    row = item_named(conn, item)
    gtin14 = parse_gtin(gtin)
    _refuse_taken_gtin(conn, gtin14)
    conn.execute(insert(item_gtins).values(gtin=gtin14, item_id=row.id))
    return show_item(conn, row.code)


def _refuse_taken_gtin(conn: Connection, gtin14: str) -> None:
    taken = conn.execute(
        select(items.c.code).join(item_gtins, item_gtins.c.item_id == items.c.id)
        .where(item_gtins.c.gtin == gtin14)
    ).first()  # fmt: skip
    if taken:
        raise AlreadyExists(f"GTIN {gtin14} already belongs to item {taken.code}")
    refuse_pack_gtin(conn, gtin14)


def refuse_pack_gtin(conn: Connection, gtin14: str) -> None:
    """A GTIN of an item's pack (issue 20: a case of 12) names no item of its own."""
    pack = conn.execute(
        select(item_packs.c.name, items.c.code).join(items, items.c.id == item_packs.c.item_id)
        .where(item_packs.c.gtin == gtin14)
    ).first()  # fmt: skip
    if pack is not None:
        raise AlreadyExists(f"GTIN {gtin14} already belongs to pack {pack.name} of {pack.code}")


def show_item(conn: Connection, code: str) -> dict[str, Any]:
    row = item_named(conn, code)
    supplier = (
        conn.execute(select(parties.c.code).where(parties.c.id == row.supplier_id)).scalar()
        if row.supplier_id
        else None
    )
    shown = item_dict(row, _gtins(conn, row.id).get(row.id, []), supplier)
    shown["lead_times"] = {
        code: days
        for code, days in conn.execute(
            select(parties.c.code, item_suppliers.c.lead_time_days)
            .join(parties, parties.c.id == item_suppliers.c.supplier_id)
            .where(item_suppliers.c.item_id == row.id)
            .order_by(parties.c.code)
        )
    }
    return shown


def item_dict(row: Any, gtins: list[str], supplier: str | None = None) -> dict[str, Any]:
    return {
        "item": row.code,
        "name": row.name,
        "tracking": row.tracking,
        "gtin": row.gtin,
        "uom": row.uom,
        "shelf_life_days": row.shelf_life_days,
        "cost": row.standard_cost,
        "gtins": gtins,  # every GTIN that names it, its own first
        "category": row.category,
        "supplier": supplier,
        "lead_time_days": row.lead_time_days,
        "ordering_cost": row.ordering_cost,
        "holding_rate": row.holding_rate,
        "min_qty": row.min_qty,
        "max_qty": row.max_qty,
        "pack_size": row.pack_size,
        "active": row.active,
        "inactive_reason": row.inactive_reason,
    }


def _category(value: str | None) -> str | None:
    category = (value or "").strip()
    if len(category) > 64:
        raise InvalidInput(f"a category has at most 64 characters, not {len(category)}")
    return category or None


def set_item(
    conn: Connection,
    code: str,
    *,
    name: str | None = None,
    cost: Decimal | str | None = None,
    category: str | None = None,
    supplier: str | None = None,
    lead_time_days: int | None = None,
    ordering_cost: Decimal | str | None = None,
    holding_rate: Decimal | str | None = None,
    min_qty: Decimal | str | None = None,
    max_qty: Decimal | str | None = None,
    pack_size: Decimal | str | None = None,
) -> dict[str, Any]:
    """Change an item's name, standard cost, category and planning attributes. A lead
    time given with a supplier is that supplier's, who becomes the preferred one; without
    one it is the item's."""
    row = item_named(conn, code)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = check_name(name, what="item name")
    if category is not None:
        values["category"] = _category(category)
    for column, given, what in (
        ("standard_cost", cost, "cost"),
        ("ordering_cost", ordering_cost, "ordering cost"),
        ("holding_rate", holding_rate, "holding rate"),
        ("min_qty", min_qty, "minimum"),
    ):
        if given is not None:
            values[column] = parse_money(given, what=what)
    for column, given, what in (("max_qty", max_qty, "maximum"), ("pack_size", pack_size,
                                                                   "pack size")):  # fmt: skip
        if given is not None:
            values[column] = parse_qty(given, what=what)
    if lead_time_days is not None and not 0 <= lead_time_days <= 3650:
        raise InvalidInput(f"lead time must be 0 to 3650 days, not {lead_time_days}")
    minimum = values.get("min_qty", row.min_qty)
    maximum = values.get("max_qty", row.max_qty)
    if minimum is not None and maximum is not None and maximum < minimum:
        raise InvalidInput(f"the maximum {maximum} is below the minimum {minimum}")
    party = party_by_code(conn, supplier, "supplier") if supplier else None
    if party is not None:
        values["supplier_id"] = party.id
        if lead_time_days is not None:
            conn.execute(
                delete(item_suppliers).where(
                    item_suppliers.c.item_id == row.id, item_suppliers.c.supplier_id == party.id
                )
            )
            conn.execute(
                insert(item_suppliers).values(
                    item_id=row.id, supplier_id=party.id, lead_time_days=lead_time_days
                )
            )
    elif lead_time_days is not None:
        values["lead_time_days"] = lead_time_days
    if not values and party is None:
        raise InvalidInput("nothing to change: give an option such as --cost or --lead-time")
    if values:
        conn.execute(update(items).where(items.c.id == row.id).values(values))
    forget_items(conn)
    return show_item(conn, row.code)


def list_items(conn: Connection) -> list[dict[str, Any]]:
    gtins = _gtins(conn)
    rows = conn.execute(select(items).order_by(items.c.code))
    suppliers = dict(conn.execute(select(parties.c.id, parties.c.code)).all())
    return [item_dict(r, gtins.get(r.id, []), suppliers.get(r.supplier_id)) for r in rows]


def _gtins(conn: Connection, item_id: int | None = None) -> dict[int, list[str]]:
    """Every item's GTINs (or one item's), its own first."""
    out: dict[int, list[str]] = {}
    query = (
        select(item_gtins.c.item_id, item_gtins.c.gtin)
        .join(items, items.c.id == item_gtins.c.item_id)
        .order_by(item_gtins.c.item_id, item_gtins.c.gtin != items.c.gtin, item_gtins.c.gtin)
    )
    if item_id is not None:
        query = query.where(item_gtins.c.item_id == item_id)
    for item_id, gtin in conn.execute(query):
        out.setdefault(item_id, []).append(gtin)
    return out


def add_location(
    conn: Connection,
    code: str,
    *,
    name: str | None = None,
    parent: str | None = None,
    kind: str = "bin",
    gln: str | None = None,
) -> dict[str, Any]:
    code = check_code(code, what="location code")
    name = check_name(name, what="location name", required=False)
    gln13 = parse_gln(gln) if gln else None
    if gln13 and (
        other := conn.execute(select(locations.c.code).where(locations.c.gln == gln13)).first()
    ):
        raise AlreadyExists(f"GLN {gln13} already names location {other.code}")
    if kind not in {k.value for k in USER_LOCATION_KINDS}:
        allowed = ", ".join(k.value for k in USER_LOCATION_KINDS)
        raise InvalidInput(f"location kind must be one of {allowed}, not {kind!r}")
    if conn.execute(select(locations.c.id).where(locations.c.code == code)).first():
        raise AlreadyExists(f"location {code} already exists")
    parent_row = location_named(conn, parent) if parent else None
    if parent_row is not None and parent_row.virtual:
        raise WrongKind(f"location {parent} is virtual and can not hold other locations")
    path = f"{parent_row.path}/{code}" if parent_row is not None else code
    conn.execute(
        insert(locations).values(
            code=code,
            name=(name or code).strip(),
            kind=kind,
            parent_id=parent_row.id if parent_row is not None else None,
            path=path,
            virtual=False,
            created_at=now(),
            gln=gln13,
        )
    )
    return location_dict(location_by_code(conn, code), parent)


def location_dict(row: Any, parent: str | None) -> dict[str, Any]:
    return {
        "location": row.code,
        "name": row.name,
        "kind": row.kind,
        "parent": parent,
        "location_path": row.path,
        "depth": row.path.count("/"),
        "gln": row.gln,
        "pick_sequence": row.pick_sequence,
        "active": row.active,
        "inactive_reason": row.inactive_reason,
    }


def list_locations(conn: Connection, *, include_virtual: bool = False) -> list[dict[str, Any]]:
    """Locations in tree order (each after its parent, siblings by code)."""
    rows = conn.execute(select(locations).order_by(locations.c.path)).all()
    by_id = {r.id: r for r in rows}
    return [
        location_dict(r, by_id[r.parent_id].code if r.parent_id else None)
        for r in sorted(rows, key=lambda r: r.path.split("/"))
        if include_virtual or not r.virtual
    ]


def add_party(
    conn: Connection, code: str, *, name: str, kind: str, contact: Contact | None = None
) -> dict[str, Any]:
    code = check_code(code, what="party code")
    if kind not in ("supplier", "customer"):
        raise InvalidInput(f"party kind must be supplier or customer, not {kind!r}")
    name = check_name(name, what="party name")
    if conn.execute(select(parties.c.id).where(parties.c.code == code)).first():
        raise AlreadyExists(f"party {code} already exists")
    details = (contact or Contact()).as_dict()
    conn.execute(
        insert(parties).values(code=code, name=name.strip(), kind=kind, created_at=now(), **details)
    )
    return {"party": code, "name": name.strip(), "kind": kind, **details, "active": True,
            "inactive_reason": None}  # fmt: skip


def set_party(
    conn: Connection, code: str, *, name: str | None = None, contact: dict[str, str | None]
) -> dict[str, Any]:
    """Change a party's name or contact details (an empty text clears a detail)."""
    row = conn.execute(select(parties).where(parties.c.code == code)).first()
    if row is None:
        raise NotFound(f"unknown party {code!r}")
    changes: dict[str, Any] = Contact.checked(**contact).as_dict() if contact else {}
    changes = {k: v for k, v in changes.items() if k in contact}
    if name is not None:
        changes["name"] = check_name(name, what="party name")
    if not changes:
        raise InvalidInput("nothing to change: give --name or a contact detail")
    conn.execute(update(parties).where(parties.c.id == row.id).values(**changes))
    changed = conn.execute(select(parties).where(parties.c.id == row.id)).one()
    cache(conn).add_party(changed)  # the transaction reads it as it is now
    return _party_row(changed)


def _party_row(r: Any) -> dict[str, Any]:
    return {"party": r.code, "name": r.name, "kind": r.kind,
            **{name: getattr(r, name) for name in CONTACT_FIELDS},
            "active": r.active, "inactive_reason": r.inactive_reason}  # fmt: skip


party_dict = _party_row


def list_parties(conn: Connection, kind: str | None = None) -> list[dict[str, Any]]:
    query = select(parties).order_by(parties.c.code)
    if kind:
        query = query.where(parties.c.kind == kind)
    return [_party_row(r) for r in conn.execute(query)]
