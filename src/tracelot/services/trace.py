"""Tracing genealogy: backward to every component and supplier lot, forward to everything
made from a unit or lot, with where each of them is now.

The walk is one recursive SQL query over the genealogy links (both ends indexed); the
details of every node reached are then read in a few set-based queries.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, Row, Select, bindparam, func, select, text
from sqlalchemy.orm import aliased

from tracelot.domain.errors import InvalidInput, NotFound, WrongKind
from tracelot.domain.status import LocationKind, status_at
from tracelot.domain.values import parse_date
from tracelot.services.inquiry import held_among, lot_places
from tracelot.services.lookup import (
    Target,
    item_by_id,
    location_ids_of_kind,
    party_by_code,
    resolve,
)
from tracelot.store.bulk import ids_in, ids_value
from tracelot.store.tables import (
    items,
    locations,
    lots,
    moves,
    operations,
    parties,
    units,
)
from tracelot.store.types import Exact, UtcDateTime

Direction = Literal["backward", "forward"]
Key = tuple[str, int]  # ("unit", id) or ("lot", id) or ("item", id)

_WALK = {
    # from the links of the roots, follow each reached end to the links beyond it
    "backward": """
WITH RECURSIVE walk(id, unit_id, lot_id, depth) AS (
    SELECT g.id, g.child_unit_id, g.child_lot_id, 1 FROM genealogy g WHERE {roots}
    UNION
    SELECT g.id, g.child_unit_id, g.child_lot_id, w.depth + 1
    FROM walk w JOIN genealogy g
      ON (w.unit_id IS NOT NULL AND g.parent_unit_id = w.unit_id)
      OR (w.unit_id IS NULL AND w.lot_id IS NOT NULL AND g.parent_lot_id = w.lot_id
          AND g.parent_unit_id IS NULL)
    WHERE w.depth < :depth
)
{links}""",
    "forward": """
WITH RECURSIVE walk(id, unit_id, lot_id, depth) AS (
    SELECT g.id, g.parent_unit_id, g.parent_lot_id, 1 FROM genealogy g WHERE {roots}
    UNION
    SELECT g.id, g.parent_unit_id, g.parent_lot_id, w.depth + 1
    FROM walk w JOIN genealogy g
      ON (w.unit_id IS NOT NULL AND g.child_unit_id = w.unit_id)
      OR (w.unit_id IS NULL AND g.child_lot_id = w.lot_id)
    WHERE w.depth < :depth
)
{links}""",
}
# the links the walk reached, with their dates, read in the same statement
_LINKS = """
SELECT g.id, g.parent_item_id, g.parent_unit_id, g.parent_lot_id, g.child_item_id,
       g.child_unit_id, g.child_lot_id, g.qty, g.operation_id, o.occurred_at,
       g.removed_op_id, r.occurred_at AS removed_at
FROM genealogy g
JOIN operations o ON o.id = g.operation_id
LEFT JOIN operations r ON r.id = g.removed_op_id
WHERE g.id IN (SELECT id FROM walk)
ORDER BY g.id"""
_ROOTS = {  # the links the walk starts from, for roots given as one array parameter
    ("backward", "unit"): "g.parent_unit_id IN {ids}",
    ("backward", "lot"): "g.parent_lot_id IN {ids}",
    ("forward", "unit"): "g.child_unit_id IN {ids}",
    ("forward", "lot"): "g.child_lot_id IN {ids}",
}
_ID_LIST = {  # `IN` one array parameter, however many roots (a supplier lot of 50,000)
    "sqlite": "(SELECT value FROM json_each(:{name}))",
    "postgresql": "(SELECT unnest(CAST(:{name} AS integer[])))",
}


class Link(NamedTuple):
    """A genealogy link the walk reached: `parent` was built from `qty` of `child`."""

    id: int
    parent: Key
    child: Key
    child_lot_id: int | None  # the lot of a child unit too (a lot of serialized packs)
    qty: Decimal
    operation_id: int
    occurred_at: dt.datetime
    removed_op_id: int | None
    removed_at: dt.datetime | None


@dataclass(slots=True)
class Node:
    """A unit, lot or untracked item in a trace, and the edge that led to it."""

    key: Key
    item: str
    item_name: str
    serial: str | None = None
    lot: str | None = None
    qty: Decimal | None = None  # how much the build on this edge used
    build: int | None = None
    build_date: dt.datetime | None = None
    supplier: str | None = None
    supplier_lot: str | None = None
    receipt: int | None = None
    receipt_date: dt.datetime | None = None
    expires: dt.date | None = None
    removed: int | None = None  # the repair that took this component out
    removed_date: dt.datetime | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def ref(self) -> str:
        if self.serial is not None:
            return f"{self.item}:{self.serial}"
        return f"{self.item}@{self.lot}" if self.lot is not None else self.item

    def to_dict(self, children_name: str) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": self.key[0],
            "item": self.item,
            "item_name": self.item_name,
            "serial": self.serial,
            "lot": self.lot,
            "qty": self.qty,
            "build": self.build,
            "build_date": self.build_date,
            "supplier": self.supplier,
            "supplier_lot": self.supplier_lot,
            "receipt": self.receipt,
            "receipt_date": self.receipt_date,
            "expires": self.expires,
            "removed": self.removed,
            "removed_date": self.removed_date,
            children_name: [c.to_dict(children_name) for c in self.children],
        }


@dataclass
class Trace:
    direction: Direction
    roots: list[Node]
    affected: list[dict[str, Any]]
    affected_keys: list[Key] = field(default_factory=list)  # the unit or lot of each row

    def to_dict(self) -> dict[str, Any]:
        name = "inputs" if self.direction == "backward" else "outputs"
        return {
            "direction": self.direction,
            "roots": [r.to_dict(name) for r in self.roots],
            "affected": self.affected,
        }


def trace(
    conn: Connection,
    direction: Direction,
    *,
    refs: list[str] | None = None,
    supplier: str | None = None,
    supplier_lot: str | None = None,
    depth: int | None = None,
    as_of: dt.date | dt.datetime | str | None = None,
) -> Trace:
    """Trace units or lots (or a supplier's lot code) backward or forward.

    `as_of` (a date means the end of that day, UTC) answers for a past moment.
    """
    if depth is not None and depth < 1:
        raise InvalidInput(f"--depth must be at least 1, not {depth}")
    moment = _moment(as_of) if as_of is not None else None
    roots = root_keys(conn, refs or [], supplier, supplier_lot)
    return trace_keys(conn, direction, roots, depth, as_of=moment)


def _moment(value: dt.date | dt.datetime | str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    day = parse_date(value, what="--as-of date")
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


def trace_keys(
    conn: Connection,
    direction: Direction,
    roots: list[Key],
    depth: int | None = None,
    *,
    as_of: dt.datetime | None = None,
    current_only: bool = False,
) -> Trace:
    """Trace from units and lots given by their keys.

    Components taken out by a repair are shown with the date they were removed, unless
    `current_only`; `as_of` keeps only the links that stood at that moment.
    """
    links = _walk(conn, direction, roots, depth or 1000)
    if current_only:
        links = [ln for ln in links if ln.removed_op_id is None]
    if as_of is not None:
        links = [
            ln
            for ln in links
            if ln.occurred_at <= as_of and (ln.removed_at is None or ln.removed_at > as_of)
        ]
    backward = direction == "backward"
    keys = set(roots) | {link.child if backward else link.parent for link in links}
    details, places = _details(conn, keys)
    children: dict[Key, list[Link]] = defaultdict(list)
    for link in links:
        if backward:
            children[link.parent].append(link)
        else:
            children[link.child].append(link)
            if link.child[0] == "unit" and link.child_lot_id is not None:
                # a unit of a lot went into it: so did the lot (a lot of serialized packs)
                children[("lot", link.child_lot_id)].append(link)

    def build_tree(key: Key, via: Link | None, seen: frozenset[Key]) -> Node:
        node = Node(key, **details[key])
        if via is not None:
            node.qty, node.build, node.build_date = via.qty, via.operation_id, via.occurred_at
            if as_of is None:  # as of a moment, every link shown stood then
                node.removed, node.removed_date = via.removed_op_id, via.removed_at
        for link in children.get(key, ()):
            nxt = link.child if backward else link.parent
            if nxt not in seen:  # a genealogy is acyclic; this only guards the walk
                node.children.append(build_tree(nxt, link, seen | {nxt}))
        return node

    tree = [build_tree(k, None, frozenset({k})) for k in roots]
    keyed = _affected(conn, [k for k in ordered_keys(tree) if k[0] != "item"], details, places)
    return Trace(direction, tree, [row for _, row in keyed], [key for key, _ in keyed])


def root_keys(
    conn: Connection, refs: list[str], supplier: str | None, supplier_lot: str | None
) -> list[Key]:
    keys: list[Key] = []
    for ref in refs:
        target: Target = resolve(conn, ref)
        if target.unit is not None:
            keys.append(("unit", target.unit.id))
        elif target.lot is not None:
            keys.append(("lot", target.lot.id))
        else:
            raise WrongKind(f"trace a unit (ITEM:SERIAL) or a lot (ITEM@LOT), not {ref}")
    if supplier_lot is not None or supplier is not None:
        if not (supplier and supplier_lot):
            raise InvalidInput("a supplier's lot needs both --supplier and --supplier-lot")
        party = party_by_code(conn, supplier, "supplier")
        lot_ids = (
            conn.execute(
                select(lots.c.id).where(
                    lots.c.supplier_id == party.id, lots.c.supplier_lot == supplier_lot
                )
            )
            .scalars()
            .all()
        )
        unit_ids = (
            conn.execute(
                select(units.c.id).where(
                    units.c.supplier_id == party.id,
                    units.c.supplier_lot == supplier_lot,
                    units.c.lot_id.is_(None),
                )
            )
            .scalars()
            .all()
        )
        if not lot_ids and not unit_ids:
            raise NotFound(
                f"no lot or unit came from {supplier} with supplier lot {supplier_lot!r}"
            )
        keys += [("lot", i) for i in lot_ids] + [("unit", i) for i in unit_ids]
    if not keys:
        raise InvalidInput("name what to trace: REF..., or --supplier and --supplier-lot")
    return list(dict.fromkeys(keys))


def _walk(conn: Connection, direction: Direction, roots: list[Key], depth: int) -> list[Link]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, ident in roots:
        if kind != "item":
            by_kind[kind].append(ident)
    if not by_kind:
        return []
    id_list = _ID_LIST["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    conditions = " OR ".join(
        _ROOTS[(direction, kind)].format(ids=id_list.format(name=kind)) for kind in by_kind
    )
    params = {kind: ids_value(conn.dialect.name, ids) for kind, ids in by_kind.items()}
    walk = (
        text(_WALK[direction].format(roots=f"({conditions})", links=_LINKS))
        .bindparams(depth=depth, **params)
        .columns(qty=Exact, occurred_at=UtcDateTime, removed_at=UtcDateTime)
    )
    rows = conn.execute(walk)
    return [
        Link(
            ident,
            ("unit", p_unit) if p_unit else ("lot", p_lot) if p_lot else ("item", p_item),
            ("unit", c_unit) if c_unit else ("lot", c_lot) if c_lot else ("item", c_item),
            c_lot,
            qty,
            op,
            at,
            removed_op,
            removed_at,
        )
        for (
            ident,
            p_item,
            p_unit,
            p_lot,
            c_item,
            c_unit,
            c_lot,
            qty,
            op,
            at,
            removed_op,
            removed_at,
        ) in rows
    ]


def reached(conn: Connection, direction: Direction, start: Key) -> set[Key]:
    """Every unit, lot and item reached from `start`, however deep (links past and present)."""
    backward = direction == "backward"
    return {
        link.child if backward else link.parent for link in _walk(conn, direction, [start], 1000)
    }


def _details(conn: Connection, keys: set[Key]) -> tuple[dict[Key, dict[str, Any]], dict[int, Row]]:
    """Identity, supplier and receipt of every node, in a query per kind; and for the units,
    where each is now (the same query)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, ident in keys:
        by_kind[kind].append(ident)
    out: dict[Key, dict[str, Any]] = {}
    places: dict[int, Place] = {}
    dialect = conn.dialect.name
    if by_kind["unit"]:
        rows = conn.execute(_unit_details(dialect), {"ids": ids_value(dialect, by_kind["unit"])})
        for ident, serial, lot_id, *identity, location, path, kind, customer, name in rows:
            out[("unit", ident)] = _identity(serial, *identity)
            places[ident] = Place(lot_id, location, path, kind, customer, name)
    if by_kind["lot"]:
        rows = conn.execute(_lot_details(dialect), {"ids": ids_value(dialect, by_kind["lot"])})
        for ident, *identity in rows:
            out[("lot", ident)] = _identity(None, *identity)
    for ident in by_kind["item"]:
        item = item_by_id(conn, ident)
        out[("item", ident)] = {"item": item.code, "item_name": item.name}
    return out, places


@functools.cache
def _unit_details(dialect: str) -> Select:
    receipt, supplier, unit_lot, customer = (
        aliased(operations),
        aliased(parties),
        aliased(lots),
        aliased(parties),
    )
    return (
        select(
            units.c.id,
            units.c.serial,
            units.c.lot_id,
            items.c.code,
            items.c.name,
            unit_lot.c.code.label("lot"),
            func.coalesce(units.c.expires, unit_lot.c.expires).label("expires"),
            supplier.c.code.label("supplier"),
            func.coalesce(units.c.supplier_lot, unit_lot.c.supplier_lot).label("supplier_lot"),
            receipt.c.id.label("op"),
            receipt.c.kind.label("op_kind"),
            receipt.c.occurred_at,
            locations.c.code.label("location"),
            locations.c.path.label("location_path"),
            locations.c.kind.label("location_kind"),
            customer.c.code.label("customer"),
            customer.c.name.label("customer_name"),
        )
        .join(items, items.c.id == units.c.item_id)
        .outerjoin(unit_lot, unit_lot.c.id == units.c.lot_id)
        .outerjoin(
            supplier, supplier.c.id == func.coalesce(units.c.supplier_id, unit_lot.c.supplier_id)
        )
        .join(receipt, receipt.c.id == units.c.created_op_id)
        .join(locations, locations.c.id == units.c.location_id)
        .outerjoin(customer, customer.c.id == units.c.party_id)
        .where(ids_in(dialect, units.c.id))
    )


@functools.cache
def _lot_details(dialect: str) -> Select:
    receipt, supplier = aliased(operations), aliased(parties)
    return (
        select(
            lots.c.id,
            items.c.code,
            items.c.name,
            lots.c.code.label("lot"),
            lots.c.expires,
            supplier.c.code.label("supplier"),
            lots.c.supplier_lot,
            receipt.c.id.label("op"),
            receipt.c.kind.label("op_kind"),
            receipt.c.occurred_at,
        )
        .join(items, items.c.id == lots.c.item_id)
        .outerjoin(supplier, supplier.c.id == lots.c.supplier_id)
        .join(receipt, receipt.c.id == lots.c.created_op_id)
        .where(ids_in(dialect, lots.c.id))
    )


def _identity(
    serial: str | None,
    item: str,
    item_name: str,
    lot: str | None,
    expires: dt.date | None,
    supplier: str | None,
    supplier_lot: str | None,
    op: int,
    op_kind: str,
    occurred_at: dt.datetime,
) -> dict[str, Any]:
    received = op_kind == "receive"
    return {
        "item": item,
        "item_name": item_name,
        "serial": serial,
        "lot": lot,
        "expires": expires,
        "supplier": supplier,
        "supplier_lot": supplier_lot,
        "receipt": op if received else None,
        "receipt_date": occurred_at if received else None,
    }


class Place(NamedTuple):
    """Where a unit is now."""

    lot_id: int | None
    location: str
    location_path: str
    location_kind: str
    customer: str | None
    customer_name: str | None


def ordered_keys(tree: list[Node]) -> list[Key]:
    """Every node's key once, in the order a reader meets them (depth first)."""
    seen: dict[Key, None] = {}
    stack = list(reversed(tree))
    while stack:
        node = stack.pop()
        if node.key not in seen:
            seen[node.key] = None
            stack.extend(reversed(node.children))
    return list(seen)


def _affected(
    conn: Connection, keys: list[Key], details: dict[Key, dict[str, Any]], places: dict[int, Place]
) -> list[tuple[Key, dict[str, Any]]]:
    """Where every unit and lot reached is now: one row per unit, one per lot balance."""
    unit_ids = [i for kind, i in keys if kind == "unit"]
    lot_ids = [i for kind, i in keys if kind == "lot"]
    held_units, held_lots = held_among(
        conn, unit_ids, lot_ids + [places[i].lot_id for i in unit_ids if places[i].lot_id]
    )
    shipped = [i for i in unit_ids if places[i].location_kind == LocationKind.CUSTOMER.value]
    shipments = _shipments(conn, shipped) if shipped else {}
    lot_rows = lot_places(conn, lot_ids)
    rows: list[tuple[Key, dict[str, Any]]] = []
    for key in keys:
        kind, ident = key
        if kind == "unit":
            r, identity = places[ident], details[key]
            shipment = shipments.get(ident, (None, None))
            rows.append(
                (
                    key,
                    {
                        "item": identity["item"],
                        "serial": identity["serial"],
                        "lot": identity["lot"],
                        "qty": 1,
                        "status": status_at(r.location_kind).value,
                        "held": ident in held_units or r.lot_id in held_lots,
                        "location": r.location,
                        "location_path": r.location_path,
                        "customer": r.customer,
                        "customer_name": r.customer_name,
                        "shipment_ref": shipment[0],
                        "shipment_date": shipment[1],
                    },
                )
            )
        else:
            identity = details[key]
            rows += [
                (
                    key,
                    {
                        "item": identity["item"],
                        "serial": None,
                        "lot": identity["lot"],
                        "qty": place["qty"],
                        "status": place["status"],
                        "held": ident in held_lots,
                        "location": place["location"],
                        "location_path": place["location_path"],
                        "customer": place["customer"],
                        "customer_name": place["customer_name"],
                        "shipment_ref": None,
                        "shipment_date": None,
                    },
                )
                for place in lot_rows.get(ident, [])
            ]
    return rows


def _shipments(conn: Connection, unit_ids: list[int]) -> dict[int, tuple[str | None, Any]]:
    """The reference and date of each (shipped) unit's last shipment."""
    dialect = conn.dialect.name
    (customer_loc,) = location_ids_of_kind(conn, LocationKind.CUSTOMER.value)
    params = {"ids": ids_value(dialect, unit_ids), "customer": customer_loc}
    return {
        r.unit_id: (r.reference, r.occurred_at)
        for r in conn.execute(_last_shipments(dialect), params)
    }


@functools.cache
def _last_shipments(dialect: str) -> Select:
    """The reference and date of each unit's last shipment."""
    last_ship = (
        select(moves.c.unit_id, func.max(moves.c.id).label("move_id"))
        .where(ids_in(dialect, moves.c.unit_id), moves.c.to_location_id == bindparam("customer"))
        .group_by(moves.c.unit_id)
        .subquery()
    )
    return (
        select(last_ship.c.unit_id, operations.c.reference, operations.c.occurred_at)
        .join(moves, moves.c.id == last_ship.c.move_id)
        .join(operations, operations.c.id == moves.c.operation_id)
    )
