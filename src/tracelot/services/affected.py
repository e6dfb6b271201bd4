"""The affected set of a trace, computed in the database and streamed to its output.

A recall's question, "what did this lot touch, and where is it now", is one statement: a
recursive walk of the genealogy from the roots (the same links a trace follows, as they
stand now, stood at a moment, or only those no repair took out), joined with where each
unit is, each lot's balances, its customers and what went back to its supplier. The rows
go from the database cursor to their output, CSV or JSON Lines (each cell written by
the database as tracelot writes it), or into a recall's frozen list (`INSERT ...
SELECT`), without a Python object per row; `rows` reads them as dicts for callers that
want the whole list in hand. The tree of a trace (`services.trace`) is built only where
it is shown.

The rows are those of `trace.Trace.affected` (tests hold the two to each other on random
plants), in a fixed order: by item, serial, lot, then a lot's places (ours, the ones
of the ledger's outside world, customers, suppliers) by path and party.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal, Protocol

from sqlalchemy import Connection

from tracelot.domain.errors import InvalidInput
from tracelot.domain.status import LocationKind, OperationKind, status_at
from tracelot.domain.values import HALF_PLACE
from tracelot.services import packing
from tracelot.services.tabular import AFFECTED_COLUMNS
from tracelot.services.trace import (
    ORIGIN_COLUMNS,
    SETTLED,
    Direction,
    Key,
    Values,
    driver_errors,
    driver_style,
    fetch,
    moment_of,
    root_keys,
    trace_keys,
)
from tracelot.store.bulk import ids_sql, ids_value
from tracelot.store.engine import sort_room
from tracelot.store.reach import node_key

Shape = Literal["csv", "jsonl", "rows", "counts", "page"]

#: the columns of the "rows" shape (`rows` reads them into dicts)
_ROW_COLUMNS = ("unit_id", "lot_id", "item_id", "location_id", "customer_id", "item", "serial",
                "lot", "qty", "status", "held", "location", "location_path", "customer",
                "customer_name", "shipment_ref", "shipment_date", "supplier",
                "supplier_name")  # fmt: skip
#: the keys of a JSON Lines row, in the order `Trace.affected` has them
_JSON_KEYS = ("item", "serial", "lot", "qty", "status", "held", "location", "location_path",
              "customer", "customer_name", "shipment_ref", "shipment_date", "supplier",
              "supplier_name")  # fmt: skip


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def texts(
    conn: Connection,
    direction: Direction,
    *,
    fmt: Literal["csv", "jsonl"],
    refs: list[str] | None = None,
    supplier: str | None = None,
    supplier_lot: str | None = None,
    depth: int | None = None,
    as_of: dt.date | dt.datetime | str | None = None,
) -> Iterator[tuple[str, int]]:
    """The affected list of a trace as CSV (a header, then a row per unit and per lot
    balance: `tabular.AFFECTED_COLUMNS`, and backward `trace.ORIGIN_COLUMNS`) or JSON
    Lines, a batch of text at a time as the cursor gives it, with how many rows each
    holds. The roots are named as `trace.trace` names them. Bad input is refused at once,
    before the first batch: an answer that streams it has not begun."""
    if depth is not None and depth < 1:
        raise InvalidInput(f"--depth must be at least 1, not {depth}")
    moment = moment_of(as_of) if as_of is not None else None
    roots = root_keys(conn, packing.content_refs(conn, refs or []), supplier, supplier_lot)
    return _texts(conn, direction, fmt, roots, depth, moment)


def _texts(
    conn: Connection,
    direction: Direction,
    fmt: Literal["csv", "jsonl"],
    roots: list[Key],
    depth: int | None,
    moment: dt.datetime | None,
) -> Iterator[tuple[str, int]]:
    batches = _batches(conn, fmt, direction, roots, depth, moment, False)
    # the statement runs now, and its first batch is read: what fails there (a busy
    # database, a timeout) fails the call, before an answer that streams it has begun
    first = next(batches, None)
    end = "\r\n" if fmt == "csv" else "\n"  # (CSV's line end is csv.writer's)

    def text() -> Iterator[tuple[str, int]]:
        if fmt == "csv":
            origin = list(ORIGIN_COLUMNS) if direction == "backward" else []
            header = io.StringIO()
            csv.writer(header).writerow(AFFECTED_COLUMNS + origin)
            yield header.getvalue(), 0
        if first is None:
            return
        for batch in itertools.chain([first], batches):
            yield "".join(line + end for (line,) in batch), len(batch)

    return text()


def rows(
    conn: Connection,
    direction: Direction,
    roots: list[Key],
    *,
    depth: int | None = None,
    as_of: dt.datetime | None = None,
    current_only: bool = False,
) -> list[dict[str, Any]]:
    """The affected list as dicts (with the ids of the unit, lot, item, location and
    customer of each row): for callers that want it whole, a recall's preview."""
    values = Values(conn.dialect.name)
    batches = _batches(conn, "rows", direction, roots, depth, as_of, current_only)
    return [_record(values, row) for batch in batches for row in batch]


def trace_overview(
    conn: Connection,
    direction: Direction,
    *,
    refs: list[str],
    levels: int,
    status: str = "",
    customer: str = "",
    offset: int = 0,
    limit: int = 50,
    list_up_to: int | None = None,
) -> dict[str, Any]:
    """What a page shows of a trace: its tree to `levels` only (`trace`: a node at the
    last level with more below says so; its own `affected` list only up to `list_up_to`
    nodes), and `overview`'s counts and page of rows."""
    roots = root_keys(conn, packing.content_refs(conn, refs), None, None)
    return {
        "trace": trace_keys(conn, direction, roots, levels, list_up_to=list_up_to),
        **overview(
            conn, direction, roots, status=status, customer=customer, offset=offset, limit=limit
        ),  # fmt: skip
    }


def overview(
    conn: Connection,
    direction: Direction,
    roots: list[Key],
    *,
    status: str = "",
    customer: str = "",
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """A big trace at a glance, without its whole list in hand: how many units and lots
    it reached and how much, by status and by customer (counted by the database), and one
    page of its rows (of a status, of a customer)."""
    values = Values(conn.dialect.name)
    groups = [row for batch in _batches(conn, "counts", direction, roots, None, None, False)
              for row in batch]  # fmt: skip
    by_status: Counter[str] = Counter()
    by_customer: Counter[str] = Counter()
    for state, party, n, _ in groups:
        by_status[state] += n
        if party is not None:
            by_customer[party] += n
    wanted = {"status": status, "customer": customer, "offset": offset, "limit": limit}
    page = _batches(conn, "page", direction, roots, None, None, False, wanted) if limit else []
    return {
        "total": sum(n for _, _, n, _ in groups),
        "qty": sum((values.qty(q) for _, _, _, q in groups), Decimal(0)),
        "by_status": sorted(by_status.items()),
        "by_customer": sorted(by_customer.items(), key=lambda kv: (-kv[1], kv[0])),
        "matching": sum(
            n for state, party, n, _ in groups if status in ("", state) and customer in ("", party)
        ),  # fmt: skip
        "rows": [_record(values, row) for batch in page for row in batch],
    }


def freeze(
    conn: Connection, recall_id: int, roots: list[Key], *, needs_action: frozenset[str]
) -> int:
    """Add to a recall's frozen list (`recall_items`) every affected row of its roots as
    they stand now (components a repair took out are not followed) that the list does not
    hold yet (the same unit or lot, status, place and customer); return the id of the
    list's last row before, so that the caller can find the new ones."""
    dialect = _dialect(conn)
    sql, params = _statement(conn, "freeze", "forward", roots, None, None, True)
    last = fetch(conn, "SELECT COALESCE(MAX(id), 0) FROM recall_items WHERE recall_id = "
                  ":recall", {"recall": recall_id})[0][0]  # fmt: skip
    same = "IS NOT DISTINCT FROM" if dialect == "postgresql" else "IS"
    # SQLite's float sums kept as `Exact` keeps quantities: six places, whole ones integers
    qty = "f.qty" if dialect == "postgresql" else _qty_number(dialect, "f.qty")
    insert = f"""
INSERT INTO recall_items (recall_id, item_id, unit_id, lot_id, qty, status, location_id,
                          customer_id, shipment_ref, shipment_date, needs_action)
SELECT :recall, f.item_id, f.unit_id, f.lot_id, {qty}, f.status, f.location_id, f.customer_id,
       f.shipment_ref, f.shipment_date, f.status IN {ids_sql(dialect, "needs", of="text")}
FROM frozen f
WHERE f.first = 1"""
    if last:  # a recall extended: what its list holds already is not added again
        insert += f""" AND NOT EXISTS (
    SELECT 1 FROM recall_items r
    WHERE r.recall_id = :recall AND r.unit_id {same} f.unit_id AND r.lot_id {same} f.lot_id
      AND r.status = f.status AND r.location_id = f.location_id
      AND r.customer_id {same} f.customer_id)"""
    insert += _order(dialect)
    params = {**params, "recall": recall_id, "needs": ids_value(dialect, sorted(needs_action))}
    with sort_room(conn):
        fetch(conn, sql + insert, params)
    return last


_BATCH = 5_000


def _batches(
    conn: Connection,
    shape: Shape,
    direction: Direction,
    roots: list[Key],
    depth: int | None,
    as_of: dt.datetime | None,
    current_only: bool,
    extra: dict[str, Any] | None = None,
) -> Iterator[list[Any]]:
    """The rows of a shape, a batch at a time from the cursor (a server-side cursor on
    PostgreSQL: a recall of a million units is never all in memory)."""
    sql, params = _statement(conn, shape, direction, roots, depth, as_of, current_only)
    params.update(extra or {})
    statement, names = driver_style(sql, conn.dialect.paramstyle)
    given = params if names is None else tuple(params[n] for n in names)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    if _dialect(conn) == "postgresql":
        cursor = raw.cursor(name="tracelot_affected")  # type: ignore[call-arg]
        cursor.itersize = _BATCH
    else:
        cursor = raw.cursor()
    try:
        with driver_errors(conn, statement, given), sort_room(conn):
            cursor.execute(statement, given)
            while batch := cursor.fetchmany(_BATCH):
                yield batch
    finally:
        cursor.close()


def _dialect(conn: Connection) -> str:
    return "postgresql" if conn.dialect.name == "postgresql" else "sqlite"


def _statement(
    conn: Connection,
    shape: Shape | Literal["freeze"],
    direction: Direction,
    roots: list[Key],
    depth: int | None,
    as_of: dt.datetime | None,
    current_only: bool,
) -> tuple[str, dict[str, Any]]:
    dialect = _dialect(conn)
    sql = _sql(dialect, shape, direction, depth is not None, as_of is not None, current_only)
    params: dict[str, Any] = {
        "units": ids_value(dialect, [i for kind, i in roots if kind == "unit"]),
        "lots": ids_value(dialect, [i for kind, i in roots if kind == "lot"]),
    }
    if depth is not None:
        params["depth"] = depth
    if as_of is not None:
        moment = as_of.astimezone(dt.UTC)
        # SQLite keeps moments as text, in UTC, to the microsecond
        params["as_of"] = moment if dialect == "postgresql" else (
            moment.replace(tzinfo=None).isoformat(" ", "microseconds"))  # fmt: skip
    return sql, params


# ---------------------------------------------------------------------------------------
# the statement

#: the links a node of a kind leads to (as `trace._FOLLOW`): forward, a unit to the links
#: that consumed it, a lot to those that consumed it or any of its units; backward, a unit
#: to the links that built it, a lot to those that made it (a root lot, "rlot": also
#: those that made its units)
_FOLLOW = {
    "forward": {"unit": "g.child_unit_id = n.id", "lot": "g.child_lot_id = n.id"},
    "backward": {
        "unit": "g.parent_unit_id = n.id",
        "lot": "g.parent_lot_id = n.id AND g.parent_unit_id IS NULL",
        "rlot": "g.parent_lot_id = n.id",
    },
}


@functools.cache
def _sql(
    dialect: str,
    shape: str,
    direction: Direction,
    with_depth: bool,
    with_moment: bool,
    current_only: bool,
) -> str:
    """The statement of a shape, built once: the walk, the affected rows by ids, and the
    shape's columns of them."""
    return _walk(dialect, direction, with_depth, with_moment, current_only) + _AFFECTED.format(
        status=_status("a.kind"),
        open_lot_holds=_OPEN_LOT_HOLDS,
        held_units=_HELD_UNITS[direction],
        units_reached=_UNITS_REACHED[dialect],
        shipment_of=_SHIPMENT_OF[dialect],
    ) + _SHAPES[shape](dialect, direction)  # fmt: skip


def _walk(
    dialect: str, direction: Direction, with_depth: bool, with_moment: bool, current_only: bool
) -> str:
    forward = direction == "forward"
    if forward and not (with_depth or with_moment or current_only):
        return _reach(dialect)
    next_end = "parent" if forward else "child"
    root_lot = "lot" if forward else "rlot"
    depth_column, depth_start, depth_next, depth_limit = (
        (", depth", ", 0", ", n.depth + 1", " AND n.depth < :depth")
        if with_depth
        else ("", "", "", "")
    )
    joins, conditions = "", ""
    if with_moment:  # the links that stood then: built by then, and not removed by then
        joins = (" JOIN operations o ON o.id = g.operation_id AND o.occurred_at <= :as_of"
                 " LEFT JOIN operations r ON r.id = g.removed_op_id")  # fmt: skip
        conditions += " AND (r.id IS NULL OR r.occurred_at > :as_of)"
    if current_only:  # as they stand now: what a repair took out is not followed
        conditions += " AND g.removed_op_id IS NULL"
    key = node_key(next_end)
    follow = _FOLLOW[direction]
    roots = _roots(dialect, root_lot, depth_start)
    # each node once: the walk's UNION keeps it so, but for a root lot of a backward walk
    # (an "rlot", which may be reached as a lot too) and a node reached at two depths
    reached = "SELECT kind, id FROM node"
    if not forward or with_depth:
        reached = "SELECT DISTINCT CASE WHEN kind = 'rlot' THEN 'lot' ELSE kind END, id FROM node"
    if dialect == "postgresql":
        # one reference to the walk in its recursive term (PostgreSQL's rule): each kind
        # of node's links read in a lateral subquery, each on its own index
        steps = "\n      UNION ALL ".join(
            f"SELECT {key} FROM genealogy g{joins} WHERE n.kind = '{kind}' AND {condition}"
            f"{conditions}"
            for kind, condition in follow.items()
        )
        recursive = (f"SELECT x.kind, x.id{depth_next} FROM node n CROSS JOIN LATERAL (\n"
                     f"      {steps}) x(kind, id)\n  WHERE true{depth_limit}")  # fmt: skip
    else:
        recursive = "\n  UNION ".join(
            f"SELECT {key}{depth_next} FROM node n JOIN genealogy g ON {condition}{joins}"
            f" WHERE n.kind = '{kind}'{depth_limit}{conditions}"
            for kind, condition in follow.items()
        )
    return f"""WITH RECURSIVE node(kind, id{depth_column}) AS (
  {roots}
  UNION
  {recursive}
),
reached(kind, id) AS (
  {reached}
),"""


def _roots(dialect: str, lot_kind: str = "lot", extra: str = "") -> str:
    """The roots as nodes (kind, id, and `extra` columns): the units, then the lots as
    `lot_kind`."""
    if dialect == "postgresql":
        return (f"SELECT CAST('unit' AS text), unnest(CAST(:units AS integer[])){extra}\n"
                f"  UNION SELECT CAST('{lot_kind}' AS text), "
                f"unnest(CAST(:lots AS integer[])){extra}")  # fmt: skip
    return (f"SELECT 'unit', value{extra} FROM json_each(:units)\n  UNION "
            f"SELECT '{lot_kind}', value{extra} FROM json_each(:lots)")  # fmt: skip


def _reach(dialect: str) -> str:
    """The forward trace through the links past and present, to any depth: the roots and
    what they reach, read by key from the genealogy's closure (`store.reach`) instead of
    walked level by level (the walk was 54 of the 141 ms of bench B.1's statement)."""
    return f"""WITH reached(kind, id) AS (
  {_roots(dialect)}
  UNION SELECT r.to_kind, r.to_id FROM genealogy_reach r
  WHERE r.from_kind = 'unit' AND r.from_id IN {ids_sql(dialect, "units")}
  UNION SELECT r.to_kind, r.to_id FROM genealogy_reach r
  WHERE r.from_kind = 'lot' AND r.from_id IN {ids_sql(dialect, "lots")}
),"""


def _status(kind: str) -> str:
    """The status at a location of a kind (`status.status_at`), as SQL."""
    cases = " ".join(
        f"WHEN '{k.value}' THEN '{status_at(k.value).value}'"
        for k in LocationKind
        if status_at(k.value) != status_at("")
    )
    return f"CASE {kind} {cases} ELSE '{status_at('').value}' END"


#: the units reached, each read by its id with its location's kind: PostgreSQL guesses
#: that a recursive walk reaches a million rows, and would read the whole units table into
#: a hash for them (0.43 s of a 0.73 s forward trace at 1.1 million units, ten times that
#: at 11 million); OFFSET 0 keeps the lateral lookup a lookup
_UNITS_REACHED = {
    "postgresql": "CROSS JOIN LATERAL (SELECT u.*, (SELECT kind FROM locations"
    " WHERE id = u.location_id) AS kind FROM units u WHERE u.id = n.id OFFSET 0) u",
    "sqlite": "JOIN (SELECT u.*, loc.kind FROM units u JOIN locations loc"
    " ON loc.id = u.location_id) u ON u.id = n.id",
}

#: the shipment of each unit at a customer, by its id (as above: a nested loop over the
#: whole operations table was chosen for the 30,000 rows of a forward trace otherwise)
_SHIPMENT_OF = {
    "postgresql": "LEFT JOIN LATERAL (SELECT reference, occurred_at FROM operations"
    " WHERE id = a.shipment_op OFFSET 0) so ON true",
    "sqlite": "LEFT JOIN operations so ON so.id = a.shipment_op",
}

_OPEN_LOT_HOLDS = "SELECT lot_id FROM holds WHERE released_op_id IS NULL AND unit_id IS NULL"

#: the units held: forward (thousands of rows) every open hold, read once; backward (a
#: few dozen) only those of the units reached, by the index: a recall that held 30,000
#: units made a backward list with the held flag read them all (370 us against 165)
_HELD_UNITS = {
    "forward": "SELECT unit_id FROM holds WHERE released_op_id IS NULL AND unit_id IS NOT NULL",
    "backward": "SELECT h.unit_id FROM reached n JOIN holds h ON h.unit_id = n.id"
    " WHERE n.kind = 'unit' AND h.released_op_id IS NULL",
}

# The affected rows by ids: every unit reached where it is now (with the shipment that took
# it to its customer), every lot reached in each place that holds some of it now (its
# balances in our places and the ledger's outside world, what each customer holds of it
# with the last shipment that took some to it, what went back to each supplier). `part`
# orders a lot's rows; `first` is 1 on the first row of each unit or lot, status, place
# and customer (a lot sent back to two suppliers is one row of a recall's list).
_AFFECTED = f"""
outside(customer_id) AS (
  SELECT id FROM locations WHERE kind = '{LocationKind.CUSTOMER.value}'
),
held_units(id) AS (
  {{held_units}}
),
affected(unit_id, serial, lot_id, item_id, qty, location_id, kind, party_id, shipment_op,
         part) AS (
  SELECT u.id, u.serial, u.lot_id, u.item_id, 1, u.location_id, u.kind, u.party_id,
         CASE WHEN u.kind = '{LocationKind.CUSTOMER.value}' THEN (
             SELECT m.operation_id FROM moves m
             WHERE m.unit_id = u.id AND m.to_location_id = u.location_id
               AND m.operation_id NOT IN {SETTLED}
             ORDER BY m.id DESC LIMIT 1) END,
         0
  FROM reached n
  {{units_reached}}
  WHERE n.kind = 'unit'
  UNION ALL
  SELECT NULL, NULL, l.id, l.item_id, s.qty, s.location_id, loc.kind, NULL, NULL, 0
  FROM reached n
  JOIN lots l ON l.id = n.id
  JOIN stock s ON s.lot_id = l.id AND s.qty > 0
  JOIN locations loc ON loc.id = s.location_id
  WHERE n.kind = 'lot'
    AND loc.kind NOT IN ('{LocationKind.CUSTOMER.value}', '{LocationKind.SUPPLIER.value}')
  UNION ALL
  SELECT NULL, NULL, l.id, l.item_id,
         SUM(CASE WHEN m.to_location_id = t.customer_id THEN m.qty ELSE -m.qty END),
         t.customer_id, '{LocationKind.CUSTOMER.value}', o.party_id,
         MAX(CASE WHEN m.to_location_id = t.customer_id AND m.operation_id NOT IN {SETTLED}
                  THEN m.operation_id END), 1
  FROM reached n
  JOIN stock s ON s.lot_id = n.id AND s.qty > 0
  JOIN outside t ON s.location_id = t.customer_id
  CROSS JOIN moves m  -- (SQLite joins in this order: only the moves of lots shipped)
  JOIN lots l ON l.id = n.id
  JOIN operations o ON o.id = m.operation_id
  JOIN parties p ON p.id = o.party_id
  WHERE n.kind = 'lot' AND m.lot_id = n.id
    AND (m.to_location_id = t.customer_id OR m.from_location_id = t.customer_id)
  GROUP BY l.id, l.item_id, t.customer_id, o.party_id
  HAVING SUM(CASE WHEN m.to_location_id = t.customer_id THEN m.qty ELSE -m.qty END)
         > {HALF_PLACE:f}
  UNION ALL
  SELECT NULL, NULL, l.id, l.item_id, SUM(m.qty), m.to_location_id,
         '{LocationKind.SUPPLIER.value}', o.party_id, NULL, 2
  FROM reached n
  JOIN lots l ON l.id = n.id
  JOIN moves m ON m.lot_id = l.id
    AND m.to_location_id = (SELECT id FROM locations WHERE code = 'SUPPLIER')
  JOIN operations o ON o.id = m.operation_id
    AND o.kind = '{OperationKind.RETURN_TO_SUPPLIER.value}'
  JOIN parties p ON p.id = o.party_id
  WHERE n.kind = 'lot'
  GROUP BY l.id, l.item_id, m.to_location_id, o.party_id
),
shown AS (
  SELECT a.unit_id, a.lot_id, a.item_id, a.location_id, a.party_id, a.qty, a.kind, a.part,
         i.code AS item, a.serial, l.code AS lot, {{status}} AS status,
         CASE WHEN a.unit_id IN (SELECT id FROM held_units)
                OR a.lot_id IN ({{open_lot_holds}}) THEN 1 ELSE 0 END AS held,
         loc.code AS location, loc.path AS location_path, loc.virtual,
         CASE WHEN a.kind = '{LocationKind.SUPPLIER.value}' THEN NULL ELSE p.code END AS customer,
         CASE WHEN a.kind = '{LocationKind.SUPPLIER.value}' THEN NULL ELSE p.name END
             AS customer_name,
         CASE WHEN a.kind = '{LocationKind.SUPPLIER.value}' THEN p.code END AS supplier,
         CASE WHEN a.kind = '{LocationKind.SUPPLIER.value}' THEN p.name END AS supplier_name,
         so.reference AS shipment_ref, so.occurred_at AS shipment_date
  FROM affected a
  JOIN items i ON i.id = a.item_id
  LEFT JOIN lots l ON l.id = a.lot_id
  JOIN locations loc ON loc.id = a.location_id
  LEFT JOIN parties p ON p.id = a.party_id
  {{shipment_of}}
)"""


def _order(dialect: str) -> str:
    text = ' COLLATE "C"' if dialect == "postgresql" else ""  # the same order on both
    return (f"\nORDER BY item{text}, COALESCE(serial, ''){text}, COALESCE(lot, ''){text}, part,"
            f" virtual, location_path{text}, COALESCE(customer, supplier, ''){text}")  # fmt: skip


def _qty_text(dialect: str, column: str) -> str:
    """A quantity as `values.format_qty` writes it: 12, 2.5 (SQLite keeps fractions as
    floats: read to six places, as `Exact` reads them)."""
    if dialect == "postgresql":
        return f"CAST(trim_scale({column}) AS text)"
    return (f"CASE WHEN {column} = CAST({column} AS INTEGER) THEN CAST(CAST({column} AS INTEGER)"
            f" AS TEXT) ELSE rtrim(rtrim(printf('%.6f', {column}), '0'), '.') END")  # fmt: skip


def _qty_number(dialect: str, column: str) -> str:
    """A quantity as a JSON number (CONVENTIONS), whole ones as integers; on SQLite
    rounded to six places first, as `Exact` reads it (a float sum of 0.1 and 1.1 less 0.2
    is 1.0000000000000002: 1)."""
    if dialect == "postgresql":
        return f"trim_scale({column})"
    rounded = f"round({column}, 6)"
    return (f"CASE WHEN {rounded} = CAST({rounded} AS INTEGER) THEN CAST({rounded} AS INTEGER)"
            f" ELSE {rounded} END")  # fmt: skip


def _moment_text(dialect: str, column: str) -> str:
    """A moment as Python's `isoformat` writes an aware UTC datetime (the fraction of a
    second only when there is one)."""
    if dialect == "postgresql":
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
                f"to_char({utc}, 'US') = '000000' THEN '' ELSE to_char({utc}, '.US') END "
                "|| '+00:00'")  # fmt: skip
    return (f"substr({column}, 1, 10) || 'T' || substr({column}, 12, 8) || CASE WHEN "
            f"substr({column}, 20) IN ('', '.000000') THEN '' ELSE substr({column}, 20) END "
            "|| '+00:00'")  # fmt: skip


def _csv(dialect: str, direction: Direction) -> str:
    """Each row as one line of CSV, as Python's `csv.writer` writes it: a cell quoted only
    when it holds a comma, a quote or a line break (which only text typed or scanned can
    hold: codes, quantities, statuses and moments cannot)."""
    cells = [("item", False), ("serial", True), ("lot", True), (_qty_text(dialect, "qty"), False),
             ("status", False), ("location", False), ("location_path", False),
             ("customer", False), ("customer_name", True), ("shipment_ref", True),
             (_date_text(dialect, "shipment_date"), False),
             ("supplier", False), ("supplier_name", True)]  # fmt: skip
    if direction == "backward":
        cells += [("received_from", False), ("supplier_lot", True),
                  ("CAST(receipt AS text)", False),
                  (_date_text(dialect, "receipt_date"), False)]  # fmt: skip
    values = [_csv_cell(dialect, cell, text) for cell, text in cells]
    # one call that writes the whole line (a NULL as an empty cell): a chain of `||` made
    # a new string at each of its 24 steps, and took 1.1 of the 1.7 ms of 501 lines
    if dialect == "postgresql":
        line = "concat(" + ", ',', ".join(values) + ")"
    else:
        line = f"printf('{','.join(['%s'] * len(values))}', {', '.join(values)})"
    return f"{_source(direction)}\nSELECT {line} FROM {_rows_of(direction)}{_order(dialect)}"


def _date_text(dialect: str, column: str) -> str:
    return f"CASE WHEN {column} IS NOT NULL THEN {_moment_text(dialect, column)} END"


def _rows_of(direction: Direction) -> str:
    """The rows a shape reads: `shown`, and backward `origin` (`shown` with where each
    unit or lot came from)."""
    return "origin" if direction == "backward" else "shown"


def _source(direction: Direction) -> str:
    """Backward, `origin`: each row's supplier, supplier's lot and receipt, as a trace's
    tree says them (a unit's own, else its lot's; the receipt that made the unit or lot)."""
    if direction != "backward":
        return ""
    return f""",
origin AS (
  SELECT s.*, sp.code AS received_from,
         COALESCE(ou.supplier_lot, ol.supplier_lot) AS supplier_lot,
         oc.id AS receipt, oc.occurred_at AS receipt_date
  FROM shown s
  LEFT JOIN units ou ON ou.id = s.unit_id
  LEFT JOIN lots ol ON ol.id = s.lot_id
  LEFT JOIN parties sp ON sp.id = COALESCE(ou.supplier_id, ol.supplier_id)
  LEFT JOIN operations oc ON oc.id = COALESCE(ou.created_op_id, ol.created_op_id)
    AND oc.kind = '{OperationKind.RECEIVE.value}'
)"""


def _csv_cell(dialect: str, value: str, text: bool) -> str:
    """A cell of a CSV line (NULL stays NULL: the line's call writes it empty)."""
    if not text:
        return value
    if dialect == "postgresql":  # (one match per cell: four searches cost more)
        special = f"{value} ~ ('[,\"' || chr(10) || chr(13) || ']')"
    else:
        special = f"{value} GLOB ('*[,\"' || char(10, 13) || ']*')"
    quoted = f"'\"' || replace({value}, '\"', '\"\"') || '\"'"
    return f"CASE WHEN {special} THEN {quoted} ELSE {value} END"


def _jsonl(dialect: str, direction: Direction) -> str:
    keys = _JSON_KEYS + (ORIGIN_COLUMNS if direction == "backward" else ())
    values = {key: key for key in keys}
    values["qty"] = _qty_number(dialect, "qty")
    values["shipment_date"] = _date_text(dialect, "shipment_date")
    if direction == "backward":
        values["receipt_date"] = _date_text(dialect, "receipt_date")
    source, rows = _source(direction), _rows_of(direction)
    if dialect == "postgresql":
        values["held"] = "held = 1"
        pairs = ", ".join(f"'{k}', {v}" for k, v in values.items())
        return (f"{source}\nSELECT CAST(json_build_object({pairs}) AS text)"
                f" FROM {rows}{_order(dialect)}")  # fmt: skip
    values["held"] = "json(CASE WHEN held = 1 THEN 'true' ELSE 'false' END)"
    pairs = ", ".join(f"'{k}', {v}" for k, v in values.items())
    return f"{source}\nSELECT json_object({pairs}) FROM {rows}{_order(dialect)}"


def _rows(dialect: str, _direction: Direction = "forward") -> str:
    customer = f"CASE WHEN kind = '{LocationKind.SUPPLIER.value}' THEN NULL ELSE party_id END"
    return (
        f"\nSELECT unit_id, lot_id, item_id, location_id, {customer}, item, serial, lot, "
        "qty, status, held, location, location_path, customer, customer_name, "
        f"shipment_ref, shipment_date, supplier, supplier_name FROM shown{_order(dialect)}"
    )


def _freeze(dialect: str, _direction: Direction = "forward") -> str:
    """The rows of a recall's list: a unit's row names no lot. A recall's list names no
    supplier: of a lot sent back to two suppliers, the row of the first (by code) stands
    for it (the only rows of the list that could otherwise be one twice)."""
    customer = f"CASE WHEN kind = '{LocationKind.SUPPLIER.value}' THEN NULL ELSE party_id END"
    return f""",
frozen AS (
  SELECT item_id, unit_id, CASE WHEN unit_id IS NULL THEN lot_id END AS lot_id, qty, status,
         location_id, {customer} AS customer_id, shipment_ref, shipment_date, item, serial, lot,
         part, virtual, location_path, customer, supplier,
         CASE WHEN part <> 2 OR NOT EXISTS (
             SELECT 1 FROM moves m
             JOIN operations o ON o.id = m.operation_id
               AND o.kind = '{OperationKind.RETURN_TO_SUPPLIER.value}'
             JOIN parties p ON p.id = o.party_id
             WHERE m.lot_id = shown.lot_id AND m.to_location_id = shown.location_id
               AND p.code < shown.supplier) THEN 1 ELSE 0 END AS first
  FROM shown
)"""


def _counts(dialect: str, _direction: Direction = "forward") -> str:
    return ("\nSELECT status, customer, COUNT(*), SUM(qty) FROM shown "
            "GROUP BY status, customer")  # fmt: skip


def _page(dialect: str, _direction: Direction = "forward") -> str:
    """A page of the rows (of a status, of a customer: '' for any)."""
    rows = _rows(dialect)
    where = ("\nWHERE (:status = '' OR status = :status) "
             "AND (:customer = '' OR customer = :customer)")  # fmt: skip
    at = rows.index("\nORDER BY")
    return rows[:at] + where + rows[at:] + "\nLIMIT :limit OFFSET :offset"


_SHAPES = {"csv": _csv, "jsonl": _jsonl, "rows": _rows, "freeze": _freeze, "counts": _counts,
           "page": _page}  # fmt: skip


def _record(values: Values, row: Any) -> dict[str, Any]:
    """A row of the "rows" shape as a dict, its values as the column types read them."""
    record = dict(zip(_ROW_COLUMNS, row, strict=True))
    record["qty"] = values.qty(record["qty"])
    record["held"] = bool(record["held"])
    record["shipment_date"] = values.moment(record["shipment_date"])
    return record
