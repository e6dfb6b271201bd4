"""What each unit and lot reached forward through the genealogy, kept as rows.

`genealogy_reach` holds a row (from, to) for every node a forward trace from `from`
reaches, however deep, through the links past and present (a closure table): a unit to
every assembly it went into and every assembly those went into; a lot to what its units
and its quantities went into, and on. A node is a kind ('unit', 'lot', 'item') and an id,
as in the trace's walk (`services.affected`): forward, a unit follows the links that
consumed it, a lot those that consumed it or any of its units; an output is a unit, else
a lot, else an item (which leads nowhere).

The genealogy is append-only (a repair or a void marks a link removed, it never deletes
it), so the closure only grows: each operation that writes links adds what they make
reachable (`extend`), in the same transaction. The trace of a supplier's lot then reads
its reach by key instead of walking the links level by level (bench B.1, issue 24).
Traces of the links as they stand now (a recall) or stood at a moment, or to a depth,
still walk.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import Connection

from tracelot.store.bulk import ids_sql, ids_value
from tracelot.store.engine import serialize


def node_key(end: str) -> str:
    """A genealogy link's `end` ("parent" or "child") as a node, two columns: its kind
    ('unit', 'lot' or 'item') and id (a unit's, else a lot's, else the item's)."""
    return (f"CASE WHEN g.{end}_unit_id IS NOT NULL THEN 'unit'\n"
            f"            WHEN g.{end}_lot_id IS NOT NULL THEN 'lot' ELSE 'item' END,\n"
            f"       COALESCE(g.{end}_unit_id, g.{end}_lot_id, g.{end}_item_id)")  # fmt: skip


_PARENT = node_key("parent")


def _edges(where: str) -> str:
    """The links of `where` as edges (from_kind, from_id, to_kind, to_id): from the unit
    consumed and from its lot (or the lot consumed), to the output."""
    return (f"SELECT 'unit', g.child_unit_id, {_PARENT} FROM genealogy g"
            f" WHERE {where} AND g.child_unit_id IS NOT NULL\n"
            f"  UNION SELECT 'lot', g.child_lot_id, {_PARENT} FROM genealogy g"
            f" WHERE {where} AND g.child_lot_id IS NOT NULL")  # fmt: skip


_COLUMNS = "genealogy_reach (from_kind, from_id, to_kind, to_id)"

#: every link as an edge (the closure's first rows, on an empty table)
_FILL_EDGES = f"INSERT INTO {_COLUMNS}\n{_edges('true')}"

#: every row of the closure one link further: through the links that consumed a unit it
#: reaches, and those that consumed a lot it reaches
_FURTHER = {
    kind: f"SELECT r.from_kind, r.from_id, {_PARENT} FROM genealogy_reach r"
    f" JOIN genealogy g ON g.child_{kind}_id = r.to_id WHERE r.to_kind = '{kind}'"
    for kind in ("unit", "lot")
}

#: run until they add nothing (a bill of materials four levels deep is four passes)
_FILL_STEPS = tuple(
    f"INSERT INTO {_COLUMNS}\n{further} ON CONFLICT DO NOTHING" for further in _FURTHER.values()
)


def fill(conn: Connection) -> int:
    """Write the whole closure of the genealogy into an empty `genealogy_reach` (the
    migration that made the table); the rows."""
    total = conn.exec_driver_sql(_FILL_EDGES).rowcount
    while added := sum(conn.exec_driver_sql(step).rowcount for step in _FILL_STEPS):
        total += added
    return total


@functools.cache
def _extend_sql(dialect: str) -> str:
    """INSERT first: Python's sqlite3 counts the rows of a statement that starts so (of
    one that starts with WITH it says -1)."""
    return _driver(
        dialect,
        f"""INSERT INTO {_COLUMNS}
WITH new_edge(fk, fid, tk, tid) AS (
  {_edges(f"g.operation_id IN {ids_sql(dialect, 'ops')}")}
),
upward(fk, fid, tk, tid) AS (
  SELECT fk, fid, tk, tid FROM new_edge
  UNION SELECT r.from_kind, r.from_id, e.tk, e.tid
  FROM new_edge e JOIN genealogy_reach r ON r.to_kind = e.fk AND r.to_id = e.fid
)
SELECT * FROM (
  SELECT fk, fid, tk, tid FROM upward
  UNION SELECT u.fk, u.fid, r.to_kind, r.to_id
  FROM upward u JOIN genealogy_reach r ON r.from_kind = u.tk AND r.from_id = u.tid
) AS pair
WHERE true
ON CONFLICT DO NOTHING""",
    )


@functools.cache
def _chained_sql(dialect: str) -> str:
    """Whether some output of the operations' links is an input of another of them."""
    ops = ids_sql(dialect, "ops")
    return _driver(
        dialect,
        f"SELECT 1 FROM genealogy a JOIN genealogy b ON b.operation_id IN {ops}"
        " AND (b.child_unit_id = a.parent_unit_id OR (a.parent_unit_id IS NULL"
        f" AND b.child_lot_id = a.parent_lot_id)) WHERE a.operation_id IN {ops} LIMIT 1",
    )


def extend(conn: Connection, op_ids: Sequence[int], *, may_chain: bool = False) -> None:
    """Add to the closure what the links the operations wrote make reachable: from each
    input, and from all that reached it, to the output and all the output reaches
    already (more made into a lot that went into something already). `may_chain`: the
    operations' links may lead into each other (a run whose outputs feed each other, a
    partner's event, a fixture's batch of builds): passes are repeated until nothing is
    added. One output's links never lead into each other, so one pass is its closure.

    On PostgreSQL, writers of the closure take turns: of two that link a -> b and b -> c
    at once, neither would see the other's link, and a -> c would be missing."""
    if not op_ids:
        return
    serialize(conn, "genealogy_reach")
    dialect = conn.dialect.name
    ops = (ids_value(dialect, op_ids),) * 2  # (through the driver: a build's fixed cost)
    added = conn.exec_driver_sql(_extend_sql(dialect), ops).rowcount
    while may_chain and added and conn.exec_driver_sql(_chained_sql(dialect), ops).first():
        added = conn.exec_driver_sql(_extend_sql(dialect), ops).rowcount


def _driver(dialect: str, sql: str) -> str:
    """`sql`'s `:ops` parameters in the driver's style (each given in order)."""
    return sql.replace(":ops", "?" if dialect == "sqlite" else "%s")


# -- checking it (`verify`) -------------------------------------------------------------

#: The closure is a set R with R = links + (R one link further): each row of the table is
#: counted once in what that makes (1) and once as itself (2). A row counted 1 is lacking,
#: a row counted 2 no link accounts for. One statement of one join and one grouping (the
#: three anti-joins it replaces took 18 s on PostgreSQL at 1M units, this 5-6 s). The
#: equation has one solution where no link leads back to where it started; the genealogy
#: past and present can (a board taken out of a device, then the device built into the
#: board), and rows about a node on such a loop could hold each other up: `_ON_LOOPS`
#: walks from every node that reaches one.
_COMPARED = f"""WITH expected(fk, fid, tk, tid) AS (
  {_edges("true")}
  UNION {" UNION ".join(_FURTHER.values())}
)
SELECT fk, fid, tk, tid, SUM(side) FROM (
  SELECT fk, fid, tk, tid, 1 AS side FROM expected
  UNION ALL SELECT from_kind, from_id, to_kind, to_id, 2 FROM genealogy_reach
) AS counted
GROUP BY fk, fid, tk, tid HAVING SUM(side) <> 3
ORDER BY fk, fid, tk, tid"""


#: the links that consumed the node `w.k`, `w.id`
_CONSUMED = ("genealogy g ON (w.k = 'unit' AND g.child_unit_id = w.id)"
             " OR (w.k = 'lot' AND g.child_lot_id = w.id)")  # fmt: skip

#: the rows from each node that reaches a loop (a node that reaches itself) that a walk of
#: the links from it does not reach (one reference to the walk: PostgreSQL's rule)
_ON_LOOPS = f"""WITH RECURSIVE
source(k, id) AS (
  SELECT DISTINCT r.from_kind, r.from_id FROM genealogy_reach r
  WHERE EXISTS (SELECT 1 FROM genealogy_reach c WHERE c.from_kind = r.to_kind
                AND c.from_id = r.to_id AND c.to_kind = r.to_kind AND c.to_id = r.to_id)
),
walk(sk, sid, k, id) AS (
  SELECT CAST(s.k AS TEXT), s.id, CAST(s.k AS TEXT), s.id FROM source s
  UNION SELECT w.sk, w.sid, {_PARENT} FROM walk w JOIN {_CONSUMED}
)
SELECT r.from_kind, r.from_id, r.to_kind, r.to_id, 2 FROM genealogy_reach r
JOIN source s ON s.k = r.from_kind AND s.id = r.from_id
WHERE NOT EXISTS (
  SELECT 1 FROM walk w JOIN {_CONSUMED}
  WHERE w.sk = r.from_kind AND w.sid = r.from_id AND (r.to_kind, r.to_id) = ({_PARENT}))
ORDER BY 1, 2, 3, 4"""


def problems(conn: Connection, limit: int = 20) -> list[str]:
    """Where the closure is not what the genealogy's links make it: rows it lacks, and
    rows no link accounts for."""
    found = conn.exec_driver_sql(f"{_COMPARED} LIMIT {limit}").all()
    found += conn.exec_driver_sql(f"{_ON_LOOPS} LIMIT {limit}").all()
    return [f"the genealogy's closure lacks {fk} {fid} -> {tk} {tid}" if side == 1 else
            f"the genealogy's closure holds {fk} {fid} -> {tk} {tid}, which no link makes"
            for fk, fid, tk, tid, side in found]  # fmt: skip
