"""The hand-written baselines of the trace benchmarks: one WITH RECURSIVE query over the
genealogy table, run by raw sqlite3 on the same file, returning the set of nodes a trace
reaches as (kind, id) rows: ("unit", id), ("lot", id) or ("item", id).

The node set is the one tracelot's trace defines: the roots, and both ends of every
genealogy link the walk reaches. Forward, a unit is followed to the links that consumed
it, a lot to the links that consumed it or any of its units (those units are not nodes
of their own: the lot's node leads straight to what they went into); backward, a unit is followed
to the links that built it, a lot (as an input, not a unit of it) to the links that made
that lot. Each recursive step is its own SELECT so that every join uses one index.
"""

from __future__ import annotations

import csv
import io
import sqlite3

from tracelot.services.trace import Node, Trace

_KEY = """CASE WHEN g.{end}_unit_id IS NOT NULL THEN 'unit'
                WHEN g.{end}_lot_id IS NOT NULL THEN 'lot' ELSE 'item' END,
           COALESCE(g.{end}_unit_id, g.{end}_lot_id, g.{end}_item_id)"""

FORWARD = f"""
WITH RECURSIVE node(kind, id) AS (
    VALUES (:kind, :root)
    UNION
    SELECT {_KEY.format(end="parent")}
    FROM node n JOIN genealogy g ON g.child_unit_id = n.id WHERE n.kind = 'unit'
    UNION
    SELECT {_KEY.format(end="parent")}
    FROM node n JOIN genealogy g ON g.child_lot_id = n.id WHERE n.kind = 'lot'

)
SELECT kind, id FROM node"""

BACKWARD = f"""
WITH RECURSIVE node(kind, id) AS (
    VALUES (:kind, :root)
    UNION
    SELECT {_KEY.format(end="child")}
    FROM node n JOIN genealogy g ON g.parent_unit_id = n.id WHERE n.kind = 'unit'
    UNION
    SELECT {_KEY.format(end="child")}
    FROM node n JOIN genealogy g ON g.parent_lot_id = n.id
    WHERE n.kind = 'lot' AND g.parent_unit_id IS NULL
)
SELECT kind, id FROM node"""


# The same answer as a trace's affected list, by hand: the nodes of the walk above, then
# for every unit reached where it is now (location path, status by the location's kind,
# customer, last shipment) and for every lot reached its balances.
_AFFECTED = """
SELECT 'unit', u.id, i.code, u.serial, l.code, 1, loc.path, loc.kind, p.code, o.reference,
       o.occurred_at
FROM node n
JOIN units u ON u.id = n.id
JOIN items i ON i.id = u.item_id
LEFT JOIN lots l ON l.id = u.lot_id
JOIN locations loc ON loc.id = u.location_id
LEFT JOIN parties p ON p.id = u.party_id
LEFT JOIN operations o ON loc.kind = 'customer' AND o.id = (
    SELECT m.operation_id FROM moves m
    WHERE m.unit_id = u.id AND m.to_location_id = u.location_id
    ORDER BY m.id DESC LIMIT 1)
WHERE n.kind = 'unit'
UNION ALL
SELECT 'lot', l.id, i.code, NULL, l.code, s.qty, loc.path, loc.kind, NULL, NULL, NULL
FROM node n
JOIN lots l ON l.id = n.id
JOIN items i ON i.id = l.item_id
JOIN stock s ON s.lot_id = l.id AND s.qty > 0
JOIN locations loc ON loc.id = s.location_id
WHERE n.kind = 'lot'"""


def affected(conn: sqlite3.Connection, direction: str, kind: str, root: int) -> list[tuple]:
    """The affected rows of a trace from one root, by one hand-written query."""
    walk = FORWARD if direction == "forward" else BACKWARD
    sql = walk.replace("SELECT kind, id FROM node", _AFFECTED)
    return conn.execute(sql, {"kind": kind, "root": root}).fetchall()


def same_rows(trace: Trace, rows: list[tuple]) -> bool:
    """Whether a trace's affected list and the hand-written query's rows say the same."""
    mine = sorted(
        (r["item"], r["serial"] or r["lot"], r["location_path"], r["shipment_ref"] or "")
        for r in trace.affected
    )
    return mine == sorted((a[2], a[3] or a[4], a[6], a[9] or "") for a in rows)


def same_listed(text: str, rows: list[tuple]) -> bool:
    """Whether the affected list tracelot wrote as CSV and the hand-written query's rows
    say the same."""
    mine = sorted(
        (r["item"], r["serial"] or r["lot"], r["location_path"], r["shipment_ref"])
        for r in csv.DictReader(io.StringIO(text))
    )
    return mine == sorted((a[2], a[3] or a[4], a[6], a[9] or "") for a in rows)


def nodes(conn: sqlite3.Connection, direction: str, kind: str, root: int) -> set[tuple[str, int]]:
    """The node set of a trace from one root ("unit" or "lot", and its id)."""
    sql = FORWARD if direction == "forward" else BACKWARD
    return set(conn.execute(sql, {"kind": kind, "root": root}).fetchall())


def root_id(conn: sqlite3.Connection, ref: str) -> tuple[str, int]:
    """("unit", id) for ITEM:SERIAL, ("lot", id) for ITEM@LOT."""
    if ":" in ref:
        code, serial = ref.split(":", 1)
        sql = "SELECT u.id FROM units u JOIN items i ON i.id = u.item_id"
        row = conn.execute(sql + " WHERE i.code = ? AND u.serial = ?", (code, serial)).fetchone()
        return "unit", row[0]
    code, lot = ref.split("@", 1)
    sql = "SELECT l.id FROM lots l JOIN items i ON i.id = l.item_id"
    return "lot", conn.execute(sql + " WHERE i.code = ? AND l.code = ?", (code, lot)).fetchone()[0]


def trace_nodes(trace: Trace) -> set[tuple[str, int]]:
    """Every node of a tracelot trace tree, by key."""
    seen: set[tuple[str, int]] = set()
    stack: list[Node] = list(trace.roots)
    while stack:
        node = stack.pop()
        seen.add(node.key)
        stack.extend(node.children)
    return seen
