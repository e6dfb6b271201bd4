"""Set-based bulk paths: a receipt of a million serials is two statements per chunk."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Date,
    FromClause,
    Integer,
    Text,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    text,
    tuple_,
)

from tracelot.store.tables import metadata, units
from tracelot.store.types import Exact

CHUNK = 100_000

_UNIT_COLUMNS = (
    "item_id, serial, lot_id, location_id, expires, made, supplier_id, supplier_lot,"
    " unit_cost, created_op_id"
)
_UNIT_VALUES = (
    ":item_id, {serial}, :lot_id, :location_id, :expires, :made, :supplier_id,"
    " :supplier_lot, :unit_cost, :op_id"
)
_SOURCES = {
    # SQLite reads the chunk of serials from one JSON array, in order, in C
    "sqlite": ("value", "json_each(:serials) ORDER BY key"),
    # PostgreSQL unnests one text array parameter, keeping its order
    "postgresql": ("s", "unnest(CAST(:serials AS text[])) WITH ORDINALITY AS t(s, n) ORDER BY n"),
}


def insert_received_units(
    conn: Connection,
    serials: Sequence[str],
    *,
    op_id: int,
    item_id: int,
    lot_id: int | None,
    from_id: int,
    to_id: int,
    expires: dt.date | None,
    made: dt.date | None,
    supplier_id: int | None,
    supplier_lot: str | None,
    unit_cost: Decimal | None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Create the units and their receipt lines (one per unit), chunk by chunk."""
    serial_expr, source = _SOURCES[conn.dialect.name]
    insert_units = text(
        f"INSERT INTO units ({_UNIT_COLUMNS}) "
        f"SELECT {_UNIT_VALUES.format(serial=serial_expr)} FROM {source}"
    ).bindparams(
        bindparam("expires", type_=Date),
        bindparam("made", type_=Date),
        bindparam("unit_cost", type_=Exact),
    )
    insert_moves = text(
        "INSERT INTO moves (operation_id, item_id, lot_id, unit_id, from_location_id,"
        " to_location_id, qty, value)"
        " SELECT :op_id, item_id, lot_id, id, :from_id, :to_id, 1, COALESCE(unit_cost, 0)"
        " FROM units WHERE id > :after AND created_op_id = :op_id ORDER BY id"
    )
    constants = {
        "op_id": op_id,
        "item_id": item_id,
        "lot_id": lot_id,
        "location_id": to_id,
        "expires": expires,
        "made": made,
        "supplier_id": supplier_id,
        "supplier_lot": supplier_lot,
        "unit_cost": unit_cost,
    }
    # ids only grow, and this operation's units are the only ones above `after` with its id
    after = conn.execute(select(func.coalesce(func.max(units.c.id), 0))).scalar_one()
    total = len(serials)
    for start in range(0, total, CHUNK):
        chunk = list(serials[start : start + CHUNK])
        payload = json.dumps(chunk) if conn.dialect.name == "sqlite" else chunk
        conn.execute(insert_units, {**constants, "serials": payload})
        if progress is not None:
            progress(min(start + CHUNK, total), total)
    conn.execute(insert_moves, {"op_id": op_id, "from_id": from_id, "to_id": to_id, "after": after})


def insert_rows(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    on_conflict: str = "",
) -> None:
    """INSERT many rows through the driver's executemany, without SQLAlchemy's work per
    row (a fifth of a big receipt's time); on PostgreSQL, many rows as one statement of an
    array a column. Values are Python's (int, str, Decimal, date, datetime, None), which
    SQLite stores as tracelot's column types would (the adapters below). `on_conflict`: an
    ON CONFLICT clause, the same on both databases."""
    batch = [tuple(row) for row in rows]
    if not batch:
        return
    if conn.dialect.name == "postgresql" and len(batch) >= _UNNEST_FROM and not on_conflict:
        # one statement of an array a column: a statement a row costs PostgreSQL a parse,
        # bind and execute each (half of a 20,000-unit move's time in the database)
        arrays = tuple(_texts(column) for column in zip(*batch, strict=True))
        conn.exec_driver_sql(_unnest_insert(table, tuple(columns)), arrays)
        return
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)})"
        f" VALUES ({', '.join([mark] * len(columns))}) {on_conflict}"
    )
    conn.exec_driver_sql(sql, batch)


#: from this many rows, `insert_rows` on PostgreSQL sends arrays instead of a row each
_UNNEST_FROM = 50


@cache
def _unnest_insert(table: str, columns: tuple[str, ...]) -> str:
    """INSERT ... SELECT from one text array a column, each cast to its column's type, in
    the arrays' order (ids are given in the order of the rows)."""
    from sqlalchemy.dialects import postgresql  # (only where PostgreSQL is used)

    dialect = postgresql.dialect()
    # text is cast to VARCHAR without its length: a cast to VARCHAR(n) would cut what
    # is too long, where the INSERT refuses it
    types = [re.sub(r"^((?:VAR)?CHAR)\(\d+\)", r"\1",
                    metadata.tables[table].c[name].type.compile(dialect=dialect))
             for name in columns]  # fmt: skip
    names = ", ".join(columns)
    arrays = ", ".join("%s::text[]" for _ in columns)
    cast = ", ".join(f"t.c{k}::{kind}" for k, kind in enumerate(types))
    labels = ", ".join(f"c{k}" for k in range(len(columns)))
    return (f"INSERT INTO {table} ({names}) SELECT {cast} FROM unnest({arrays})"
            f" WITH ORDINALITY AS t({labels}, n) ORDER BY t.n")  # fmt: skip


def _texts(values: Sequence[object]) -> list[str | None]:
    """A column's values as PostgreSQL reads them from text (None is NULL)."""
    return [None if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)
            for v in values]  # fmt: skip


def update_rows(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    where: str = "id",
) -> int:
    """UPDATE many rows through the driver's executemany, as `insert_rows` inserts: each
    row is the new values of `columns`, then the value of `where` (the row's id) last.
    The number of rows changed."""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = (f"UPDATE {table} SET {', '.join(f'{c} = {mark}' for c in columns)}"
           f" WHERE {where} = {mark}")  # fmt: skip
    batch = [tuple(row) for row in rows]
    if not batch:
        return 0
    return conn.exec_driver_sql(sql, batch).rowcount


def execute_rows(conn: Connection, sql: str, rows: Iterable[Sequence[object]]) -> int:
    """Hand-written SQL with `?` marks, run once per row through the driver's executemany
    (as `insert_rows`). The number of rows changed."""
    batch = [tuple(row) for row in rows]
    if not batch:
        return 0
    if conn.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    return conn.exec_driver_sql(sql, batch).rowcount


# SQLite keeps what tracelot's column types give it: an exact number (`Exact`) as an
# integer when whole, else a float; a date (`Date`) as ISO text; a moment (`UtcDateTime`)
# as naive UTC text. Rows written through the driver (`insert_rows`, `update_rows`,
# `execute_rows`) are bound so by the driver itself, a C call per value, instead of a
# Python copy of every row (a tenth of a long order's shipment).


def _sqlite_exact(value: Decimal) -> int | float:
    # the exact ratio, then a correctly rounded division: float(value) for a fraction, a
    # third faster than comparing with to_integral_value (a receipt binds hundreds of
    # thousands of them)
    numerator, denominator = value.as_integer_ratio()
    return numerator if denominator == 1 else numerator / denominator


def _sqlite_moment(value: dt.datetime) -> str:
    if value.tzinfo is None:  # as `UtcDateTime` refuses it
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


sqlite3.register_adapter(Decimal, _sqlite_exact)
sqlite3.register_adapter(dt.date, dt.date.isoformat)
sqlite3.register_adapter(dt.datetime, _sqlite_moment)


def existing_serials(conn: Connection, item_id: int, serials: Sequence[str]) -> list[str]:
    """Which of `serials` the item already has (in chunks, for the refusal message)."""
    found: list[str] = []
    for start in range(0, len(serials), 5_000):
        chunk = serials[start : start + 5_000]
        found.extend(
            conn.execute(
                select(units.c.serial).where(units.c.item_id == item_id, units.c.serial.in_(chunk))
            ).scalars()
        )
    return sorted(found)


def id_in(conn: Connection, column: ColumnElement[int], ids: Iterable[int]) -> ColumnElement[bool]:
    """`column IN ids` as one parameter, however many ids: a JSON array read by SQLite's
    json_each, or an integer array on PostgreSQL (no statement with 10,000 placeholders)."""
    return _in_one_parameter(conn, column, list(ids), Integer)


def texts_in(
    conn: Connection, column: ColumnElement[str], values: Iterable[str]
) -> ColumnElement[bool]:
    """`column IN values` of texts as one parameter (the forms of `id_in`)."""
    return _in_one_parameter(conn, column, list(values), Text)


def _in_one_parameter(
    conn: Connection, column: ColumnElement[Any], values: list[Any], kind: type
) -> ColumnElement[bool]:
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(kind)))
    return column.in_(
        select(literal_column("value")).select_from(func.json_each(json.dumps(values)))
    )


def rows_table(
    conn: Connection, names: Sequence[str], rows: Sequence[Sequence[int | str | None]]
) -> FromClause:
    """Many rows as a table in one parameter per column (SQLite: one JSON array of arrays
    read by json_each; PostgreSQL: one array a column, unnested), to join or to test
    `IN` against: a long order's (item, lot, place) triples. SQLAlchemy's own `IN` of
    tuples names a parameter per value, and naming 6,000 of them cost more than running
    the statement. A column's values are all integers or all text (None aside), as its
    first value that is not None says."""
    if conn.dialect.name == "postgresql":
        columns = [[row[k] for row in rows] for k in range(len(names))]
        return _unnested(names, [
            bindparam(None, values, type_=_array_of(
                next((type(v) for v in values if v is not None), int)))
            for values in columns
        ])  # fmt: skip
    return _json_rows(names, bindparam(None, json.dumps([list(row) for row in rows]), Text))


def rows_source(dialect: str, names: Sequence[str], kinds: Sequence[type]) -> FromClause:
    """`rows_table` for a statement built once and run many times (a batch of scans):
    its rows are passed as `rows_params(dialect, names, rows)`. `kinds`: int or str, a
    column each."""
    if dialect == "postgresql":
        return _unnested(names, [bindparam(f"rows_{name}", type_=_array_of(kind))
                                 for name, kind in zip(names, kinds, strict=True)])  # fmt: skip
    return _json_rows(names, bindparam("rows_json", type_=Text))


def rows_params(
    dialect: str, names: Sequence[str], rows: Sequence[Sequence[int | str | None]]
) -> dict[str, object]:
    """The parameters of a `rows_source`: these rows."""
    if dialect == "postgresql":
        return {f"rows_{name}": [row[k] for row in rows] for k, name in enumerate(names)}
    return {"rows_json": json.dumps([list(row) for row in rows])}


def _array_of(kind: type) -> ARRAY:
    return ARRAY(Integer if kind is int else Text)


def _unnested(names: Sequence[str], arrays: Sequence[ColumnElement]) -> FromClause:
    """PostgreSQL: the arrays side by side as the columns `names` of table `t`."""
    return func.unnest(*arrays).table_valued(*names).render_derived(name="t")


def _json_rows(names: Sequence[str], payload: ColumnElement) -> FromClause:
    """SQLite: a JSON array of arrays as the columns `names` of table `t`."""
    value = func.json_each(payload).table_valued("value").c.value
    return select(
        *(func.json_extract(value, f"$[{k}]").label(name) for k, name in enumerate(names))
    ).subquery("t")


def rows_in(
    conn: Connection, columns: Sequence[ColumnElement], rows: Sequence[Sequence[int | str]]
) -> ColumnElement[bool]:
    """`(a, b, ...) IN rows` in one parameter per column however many rows (the forms of
    `rows_table`)."""
    table = rows_table(conn, [f"c{k}" for k in range(len(columns))], rows)
    return tuple_(*columns).in_(select(*table.c))


def ids_in(dialect: str, column: ColumnElement[int], name: str = "ids") -> ColumnElement[bool]:
    """`column IN :name` for a statement built once and run many times: pass the ids as
    `ids_value(dialect, ids)` (the same one-parameter forms as `id_in`)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(name))))


def ids_sql(dialect: str, name: str = "ids", of: str = "integer") -> str:
    """The text of `IN :name` for hand-written SQL, `(...)` in one parameter that takes
    `ids_value(dialect, ids)` (the forms of `ids_in`); `of="text"` for a list of texts."""
    if dialect == "postgresql":
        return f"(SELECT unnest(CAST(:{name} AS {of}[])))"
    return f"(SELECT value FROM json_each(:{name}))"


def ids_value(dialect: str, ids: Iterable[int | str]) -> object:
    return list(ids) if dialect == "postgresql" else json.dumps(list(ids))
