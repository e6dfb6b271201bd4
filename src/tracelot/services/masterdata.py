"""Master data that can change, with its history (issue 19): a location's name, parent,
kind, GLN and place in the walking order; an item's unit, shelf life, GTIN and (before it
has a ledger) tracking; a user's role; deactivating and reactivating items, locations,
parties and users; and the change log, one row per field changed, of every add, set,
deactivation and reactivation made through the facade (`recorded`).

An inactive item, location, party or user is refused for new operations (the ledger
asks `services.inactive` as it writes one) and kept for history, reports and traces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from tracelot.domain.commands import REASON_LENGTH
from tracelot.domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotAvailable,
    NotFound,
    TracelotError,
)
from tracelot.domain.status import USER_LOCATION_KINDS, LocationKind, Tracking, status_at
from tracelot.domain.values import check_name, normalize, parse_date, parse_gln, parse_gtin
from tracelot.services import catalog, users
from tracelot.services.ledger import now, start_of
from tracelot.services.lookup import find_location, forget_items
from tracelot.services.resolver import item_named, location_named
from tracelot.store.engine import cache
from tracelot.store.tables import (
    changes,
    item_gtins,
    items,
    location_edits,
    locations,
    lots,
    moves,
    parties,
    stock,
    units,
)
from tracelot.store.tables import users as users_table

ENTITIES = ("item", "location", "party", "user")
PICK_SEQUENCE_MAX = 1_000_000

# -- the change log ---------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A field's value as the change log keeps it (text; none stays none)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(normalize(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    return str(value)


def snapshot(conn: Connection, entity: str, code: str) -> dict[str, str | None] | None:
    """An entity's fields as text, read afresh (None: there is none of that code)."""
    if entity == "item":
        row = conn.execute(select(items).where(items.c.code == code)).first()
        if row is None:
            return None
        shown = catalog.item_dict(row, _gtins(conn, row.id), _party_code(conn, row.supplier_id))
        fields = ("name", "tracking", "gtin", "gtins", "uom", "shelf_life_days", "cost",
                  "category", "supplier", "lead_time_days", "ordering_cost", "holding_rate",
                  "min_qty", "max_qty", "pack_size")  # fmt: skip
        values = {f: shown[f] for f in fields}
    elif entity == "location":
        row = conn.execute(select(locations).where(locations.c.code == code)).first()
        if row is None:
            return None
        parent = (
            conn.execute(select(locations.c.code).where(locations.c.id == row.parent_id)).scalar()
            if row.parent_id
            else None
        )
        values = {"name": row.name, "kind": row.kind, "parent": parent, "gln": row.gln,
                  "pick_sequence": row.pick_sequence}  # fmt: skip
    elif entity == "party":
        row = conn.execute(select(parties).where(parties.c.code == code)).first()
        if row is None:
            return None
        values = {f: getattr(row, f) for f in ("name", "kind", *catalog.CONTACT_FIELDS)}
    else:
        row = conn.execute(select(users_table).where(users_table.c.name == code)).first()
        if row is None:
            return None
        values = {"role": row.role, "has_password": row.password_hash is not None}
        return {**{k: _text(v) for k, v in values.items()}, "active": _text(not row.disabled)}
    return {**{k: _text(v) for k, v in values.items()}, "active": _text(row.active)}


def _gtins(conn: Connection, item_id: int) -> list[str]:
    own = conn.execute(select(items.c.gtin).where(items.c.id == item_id)).scalar()
    found = conn.execute(
        select(item_gtins.c.gtin).where(item_gtins.c.item_id == item_id).order_by(item_gtins.c.gtin)
    ).scalars()
    return sorted(found, key=lambda g: g != own)


def _party_code(conn: Connection, party_id: int | None) -> str | None:
    if party_id is None:
        return None
    return conn.execute(select(parties.c.code).where(parties.c.id == party_id)).scalar()


def record(
    conn: Connection,
    entity: str,
    code: str,
    before: dict[str, str | None] | None,
    after: dict[str, str | None] | None,
    *,
    user: str,
    reason: str | None = None,
) -> int:
    """Write a change-log row for each field that differs (an add: each field it has);
    returns how many."""
    before, after = before or {}, after or {}
    at = now()
    rows = [
        {"entity": entity, "code": code, "field": field, "before": before.get(field),
         "after": after.get(field), "user_name": user, "at": at, "reason": reason}
        for field in dict.fromkeys([*after, *before])
        if before.get(field) != after.get(field)
    ]  # fmt: skip
    if rows:
        conn.execute(insert(changes), rows)
    return len(rows)


def _code_of(conn: Connection, entity: str, code: str) -> str:
    """The code an input names (an item's GTIN or a location's label give its code);
    what names nothing stays as given (an add)."""
    try:
        if entity == "item":
            return str(item_named(conn, code).code)
        if entity == "location":
            return str(location_named(conn, code, real=False).code)
    except TracelotError:  # names nothing (yet): an add
        pass
    return code.strip() if isinstance(code, str) else code


def recorded(
    conn: Connection,
    *,
    entity: str,
    code: str,
    user: str,
    change: Callable[..., dict[str, Any]],
    **kwargs: Any,
) -> dict[str, Any]:
    """Make a change to master data (`change(conn, code, **kwargs)`, a service of
    catalog, users or this module) and write what it changed to the change log (with
    the reason of a deactivation)."""
    before = snapshot(conn, entity, _code_of(conn, entity, code))
    result = change(conn, code, **kwargs)
    changed = str(result[entity])  # each entity's JSON names it by its kind: `item` ...
    record(conn, entity, changed, before, snapshot(conn, entity, changed), user=user,
           reason=kwargs.get("reason"))  # fmt: skip
    return result


def list_changes(
    conn: Connection,
    *,
    item: str | None = None,
    location: str | None = None,
    party: str | None = None,
    user: str | None = None,
    since: dt.date | str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The change log, oldest first: of the items, locations, parties and users given
    (any of them), or of everything; from a day on if given."""
    named = [(e, c) for e, c in (("item", item), ("location", location), ("party", party),
                                 ("user", user)) if c is not None]  # fmt: skip
    query = select(changes)
    wanted = []
    for entity, given in named:
        code = _code_of(conn, entity, given)
        if snapshot(conn, entity, code) is None:
            raise NotFound(f"unknown {entity} {given!r}")
        wanted.append(and_(changes.c.entity == entity, changes.c.code == code))
    if wanted:
        query = query.where(or_(*wanted))
    if since is not None:
        query = query.where(changes.c.at >= start_of(parse_date(since, what="--since")))
    query = query.order_by(changes.c.at, changes.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [
        {"entity": r.entity, "code": r.code, "field": r.field, "before": r.before,
         "after": r.after, "user": r.user_name, "at": r.at, "reason": r.reason}
        for r in conn.execute(query)
    ]  # fmt: skip


# -- setting fields -------------------------------------------------------------------


def set_item(
    conn: Connection,
    code: str,
    *,
    uom: str | None = None,
    shelf_life_days: int | None = None,
    tracking: str | None = None,
    gtin: str | None = None,
    **planning: Any,
) -> dict[str, Any]:
    """Change an item: its unit of measure, shelf life, own GTIN (empty: none) and, while
    the ledger has nothing of it, its tracking; the rest (name, cost, category, planning
    attributes) as `catalog.set_item` does."""
    row = item_named(conn, code)
    values: dict[str, Any] = {}
    if uom is not None:
        unit = uom.strip()
        if not unit or len(unit) > 16:
            raise InvalidInput(f"a unit of measure has 1 to 16 characters, not {uom!r}")
        values["uom"] = unit
    if shelf_life_days is not None:
        if not 0 < shelf_life_days <= 36500:
            raise InvalidInput(
                f"shelf life must be a positive number of days, not {shelf_life_days}"
            )
        values["shelf_life_days"] = shelf_life_days
    if tracking is not None and tracking != row.tracking:
        try:
            values["tracking"] = Tracking(tracking).value
        except ValueError:
            raise InvalidInput(f"tracking must be none, lot or serial, not {tracking!r}") from None
        _refuse_tracking_change(conn, row)
    new_gtin: str | None = None
    if gtin is not None:
        new_gtin = parse_gtin(gtin) if gtin.strip() else None
        if new_gtin != row.gtin and new_gtin is not None:
            taken = conn.execute(
                select(items.c.code).join(item_gtins, item_gtins.c.item_id == items.c.id)
                .where(item_gtins.c.gtin == new_gtin, items.c.id != row.id)
            ).first()  # fmt: skip
            if taken:
                raise AlreadyExists(f"GTIN {new_gtin} already belongs to item {taken.code}")
            catalog.refuse_pack_gtin(conn, new_gtin)  # nor a pack's (issue 20)
        values["gtin"] = new_gtin
    rest = {k: v for k, v in planning.items() if v is not None}
    if not values and not rest:
        raise InvalidInput("nothing to change: give an option such as --name, --uom or --cost")
    if "gtin" in values and values["gtin"] != row.gtin:
        if row.gtin is not None:
            conn.execute(delete(item_gtins).where(item_gtins.c.gtin == row.gtin))
        if new_gtin is not None:
            conn.execute(delete(item_gtins).where(item_gtins.c.gtin == new_gtin))
            conn.execute(insert(item_gtins).values(gtin=new_gtin, item_id=row.id))
    if values:
        conn.execute(update(items).where(items.c.id == row.id).values(values))
        forget_items(conn)
    if rest:
        return catalog.set_item(conn, row.code, **rest)
    return catalog.show_item(conn, row.code)


def _refuse_tracking_change(conn: Connection, row: Any) -> None:
    """Tracking is the item's identity on the ledger: it changes only before anything of
    the item was received, built or counted."""
    used = any(
        conn.execute(select(table.c.id).where(table.c.item_id == row.id).limit(1)).first()
        for table in (moves, lots, units)
    )
    if used:
        raise NotAvailable(
            f"item {row.code} has a ledger already: its tracking ({row.tracking}) can not change"
        )


def set_location(
    conn: Connection,
    code: str,
    *,
    name: str | None = None,
    parent: str | None = None,
    kind: str | None = None,
    gln: str | None = None,
    pick_sequence: int | None = None,
) -> dict[str, Any]:
    """Change a location's name, GLN (empty: none), place in the walking order, kind and
    parent (empty: none, a top-level location). Its code never changes. Moved under
    another parent, its path and its subtree's are rewritten; a location holding stock
    (itself or below it) does not move to another warehouse, nor change to a kind that
    would change its stock's status."""
    row = location_named(conn, code)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = check_name(name, what="location name")
    if gln is not None:
        gln13 = parse_gln(gln) if gln.strip() else None
        if gln13 and (
            other := conn.execute(
                select(locations.c.code).where(locations.c.gln == gln13, locations.c.id != row.id)
            ).first()
        ):
            raise AlreadyExists(f"GLN {gln13} already names location {other.code}")
        values["gln"] = gln13
    if pick_sequence is not None:
        if not 0 <= pick_sequence <= PICK_SEQUENCE_MAX:
            raise InvalidInput(f"a pick sequence is 0 to {PICK_SEQUENCE_MAX}, not {pick_sequence}")
        values["pick_sequence"] = pick_sequence
    moved: dict[str, Any] = {}
    if kind is not None and kind != row.kind:
        if kind not in {k.value for k in USER_LOCATION_KINDS}:
            allowed = ", ".join(k.value for k in USER_LOCATION_KINDS)
            raise InvalidInput(f"location kind must be one of {allowed}, not {kind!r}")
        if status_at(kind) != status_at(row.kind) and (held := _stock_below(conn, row.path)):
            raise NotAvailable(
                f"location {row.code} holds stock ({held}): as a {kind} its stock would "
                f"change status; move the stock out first"
            )
        moved["kind"] = kind
    new_parent = None
    if parent is not None:
        new_parent = location_named(conn, parent) if parent.strip() else None
        if (new_parent.id if new_parent else None) != row.parent_id:
            moved["parent_id"] = _check_new_parent(conn, row, new_parent, moved.get("kind"))
    if not values and not moved:
        raise InvalidInput("nothing to change: give --name, --parent, --kind, --gln or "
                           "--pick-sequence")  # fmt: skip
    if values:
        conn.execute(update(locations).where(locations.c.id == row.id).values(values))
    if moved:
        _move_location(conn, row, new_parent if "parent_id" in moved else None, moved)
    cache(conn).clear()  # the transaction reads the locations as they are now
    return show_location(conn, row.code)


def _check_new_parent(conn: Connection, row: Any, parent: Any, kind: str | None) -> int | None:
    if parent is not None and (parent.id == row.id or parent.path.startswith(row.path + "/")):
        raise InvalidInput(f"location {parent.code} is {row.code} or below it: not its parent")
    new_path = f"{parent.path}/{row.code}" if parent is not None else row.code
    before = _warehouse(conn, row.path, row.kind)
    after = _warehouse(conn, new_path, kind or row.kind)
    if before == after:  # the same nearest warehouse: the same tree too
        before, after = row.path.split("/")[0], new_path.split("/")[0]
    if before != after and (held := _stock_below(conn, row.path)):
        raise NotAvailable(
            f"location {row.code} holds stock ({held}): it can not move from warehouse "
            f"{before} to {after}; move the stock out first"
        )
    return parent.id if parent is not None else None


def _warehouse(conn: Connection, path: str, kind: str) -> str:
    """The warehouse a location at `path` is in: its nearest warehouse (itself, or above
    it), else the top of its tree."""
    codes = path.split("/")
    for i, code in enumerate(reversed(codes)):
        if i == 0:
            found_kind = kind
        else:
            above = find_location(conn, code)
            found_kind = above.kind if above is not None else None
        if found_kind == LocationKind.WAREHOUSE.value:
            return code
    return codes[0]


def _subtree(path: str) -> Any:
    return or_(
        locations.c.path == path,
        func.substr(locations.c.path, 1, len(path) + 1) == path + "/",
    )


def _stock_below(conn: Connection, path: str) -> str | None:
    """What stock a location and its subtree hold (a few balances said), or None."""
    rows = conn.execute(
        select(items.c.code, locations.c.path, stock.c.qty)
        .join(locations, locations.c.id == stock.c.location_id)
        .join(items, items.c.id == stock.c.item_id)
        .where(_subtree(path), stock.c.qty != 0)
        .order_by(locations.c.path, items.c.code)
        .limit(4)
    ).all()
    if not rows:
        return None
    said = [f"{r.code} {normalize(r.qty)} at {r.path}" for r in rows[:3]]
    return ", ".join(said) + (", ..." if len(rows) > 3 else "")


def _move_location(conn: Connection, row: Any, parent: Any, moved: dict[str, Any]) -> None:
    """Rewrite a location's parent and kind, and the paths of it and its subtree,
    through the trigger's gate (`location_edits`). The trigger of migration 0009 renews
    the database's identity token, so every process reads its locations afresh."""
    subtree = conn.execute(select(locations.c.id, locations.c.path).where(_subtree(row.path))).all()
    new_root = row.path
    if "parent_id" in moved:
        new_root = f"{parent.path}/{row.code}" if parent is not None else row.code
    conn.execute(insert(location_edits), [{"location_id": r.id} for r in subtree])
    try:
        conn.execute(update(locations).where(locations.c.id == row.id).values(moved))
        if new_root != row.path:
            for r in sorted(subtree, key=lambda r: r.path):
                conn.execute(
                    update(locations)
                    .where(locations.c.id == r.id)
                    .values(path=new_root + r.path[len(row.path) :])
                )
    finally:
        conn.execute(
            delete(location_edits).where(location_edits.c.location_id.in_([r.id for r in subtree]))
        )


def show_location(conn: Connection, code: str) -> dict[str, Any]:
    row = conn.execute(select(locations).where(locations.c.code == code)).first()
    if row is None:
        raise NotFound(f"unknown location {code!r}")
    parent = (
        conn.execute(select(locations.c.code).where(locations.c.id == row.parent_id)).scalar()
        if row.parent_id
        else None
    )
    return catalog.location_dict(row, parent)


def set_user(conn: Connection, name: str, *, role: str | None = None) -> dict[str, Any]:
    """Change a user's role (the last enabled admin keeps theirs)."""
    if role is None:
        raise InvalidInput("nothing to change: give --role")
    return users.set_role(conn, name, role)


# -- deactivating and reactivating ------------------------------------------------------


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("give the reason for deactivating (--reason)")
    if len(text) > REASON_LENGTH:
        raise InvalidInput(f"a reason has at most {REASON_LENGTH} characters")
    return text


def deactivate(conn: Connection, code: str, *, entity: str, reason: str | None) -> dict[str, Any]:
    """Deactivate an item, location, party or user: refused for new operations from now
    on, with this reason; kept for history, reports and traces. A location holding stock
    (itself or below it) is refused."""
    why = _reason(reason)
    return _set_active(conn, code, entity=entity, active=False, reason=why)


def reactivate(conn: Connection, code: str, *, entity: str) -> dict[str, Any]:
    """Make an inactive item, location, party or user usable again."""
    return _set_active(conn, code, entity=entity, active=True, reason=None)


def _set_active(
    conn: Connection, code: str, *, entity: str, active: bool, reason: str | None
) -> dict[str, Any]:
    state = "active" if active else "inactive"
    if entity == "user":
        row = conn.execute(select(users_table).where(users_table.c.name == code)).first()
        if row is None:
            raise NotFound(f"unknown user {code!r}")
        if row.disabled != active:
            raise InvalidInput(f"user {code} is {state} already")
        if not active:
            users.disable_user(conn, code)
        conn.execute(
            update(users_table).where(users_table.c.id == row.id)
            .values(disabled=not active, inactive_reason=reason)
        )  # fmt: skip
        return users.user_dict(
            conn.execute(select(users_table).where(users_table.c.id == row.id)).one()
        )
    if entity == "item":
        row = item_named(conn, code)
        table, shown = items, lambda: catalog.show_item(conn, row.code)
    elif entity == "location":
        row = location_named(conn, code)
        table, shown = locations, lambda: show_location(conn, row.code)
    elif entity == "party":
        row = conn.execute(select(parties).where(parties.c.code == code)).first()
        if row is None:
            raise NotFound(f"unknown party {code!r}")
        table, shown = (
            parties,
            lambda: catalog.party_dict(
                conn.execute(select(parties).where(parties.c.id == row.id)).one()
            ),
        )
    else:
        raise InvalidInput(f"master data is {', '.join(ENTITIES)}, not {entity!r}")
    if row.active == active:
        raise InvalidInput(f"{entity} {row.code} is {state} already")
    conn.execute(
        update(table).where(table.c.id == row.id).values(active=active, inactive_reason=reason)
    )
    # looked for after the update, which on PostgreSQL waits for the operations taking
    # stock there now (`inactive._share_locations`): their stock is seen, never missed
    if entity == "location" and not active and (held := _stock_below(conn, row.path)):
        raise NotAvailable(
            f"location {row.code} holds stock ({held}): move it out before deactivating"
        )
    cache(conn).clear()  # read afresh in this transaction
    return shown()
