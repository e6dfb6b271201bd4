"""Engines and transactions. Built from a URL by the composition root, never at import."""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, Row, Select, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError

from tracelot.domain.errors import (
    Conflict,
    InvalidInput,
    ReadOnlyStorage,
    StorageFull,
    TracelotError,
)

DEFAULT_URL = "sqlite:///tracelot.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: an SQLite connection's page cache while it sorts a long list (`sort_room`), in KiB
SORT_CACHE_KIB = 16_384


def database_url(url: str | None = None) -> str:
    """The URL given, else $TRACELOT_DATABASE_URL, else tracelot.db in the working directory."""
    return url or os.environ.get("TRACELOT_DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for tracelot: SQLite in WAL mode with foreign keys and a busy timeout.
    A URL that names no database tracelot can open is refused (InvalidInput), before
    anything is made of the caller's other options."""
    url = database_url(url)
    try:
        make_url(url).get_dialect().import_dbapi()
    except (ArgumentError, ValueError, ImportError) as exc:  # not a URL, a bad port, an
        # unknown kind of database or its driver missing; what follows the scheme may hold
        # a password, and is not shown
        scheme = re.match(r"[A-Za-z][A-Za-z0-9+.\-]*(?=:)", url)
        shown = f"{scheme[0]}:..." if scheme else "(not a URL)"
        raise InvalidInput(
            f"the database URL {shown} cannot be opened: {exc}; give "
            "sqlite:///FILE or postgresql+psycopg://USER@HOST/DATABASE"
        ) from None
    return _make_engine(url, **kwargs)


def _make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        url, read_only = _sqlite_access(url)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine, read_only=read_only)
    else:
        if "poolclass" not in kwargs:  # (a caller's own pool may take no size)
            kwargs.setdefault("pool_size", _pool_size())
            kwargs.setdefault("max_overflow", kwargs["pool_size"])
        engine = create_engine(url, **kwargs)
        _ping_when_idle(engine)
        event.listen(engine, "connect", _without_jit)
    event.listen(engine, "rollback_savepoint", _forget)
    return engine


#: connections to PostgreSQL an engine keeps open once it has needed them (opened when
#: needed, not before): as many as a server worker's requests run at once. SQLAlchemy's
#: 5 closed a connection at every fifth request or so under 16 clients, and opened
#: another (a server process forked, its statements prepared again): 847 connections
#: for 4,500 requests of bench D.1. As many again may be opened for a burst.
POOL_SIZE = 20


def _pool_size() -> int:
    text = os.environ.get("TRACELOT_DB_POOL_SIZE", "").strip()
    if not text:
        return POOL_SIZE
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(f"TRACELOT_DB_POOL_SIZE={text!r}: give a whole number of connections")
    return int(text)


#: a pooled connection unused for longer than this is tested before it is handed out
IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it has been idle a while (the
    server may have closed it, or restarted): SQLAlchemy's `pool_pre_ping` pings at every
    checkout, a round trip that an API request made twice (0.1 ms of CPU each)."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - whatever the driver says of a dead link
            alive = False
            if not engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise
        if not alive:  # the pool drops it and hands out a new connection
            raise DisconnectionError("the pooled connection was closed")


def _without_jit(dbapi_connection: Any, _record: Any) -> None:
    """PostgreSQL compiles a statement the planner guesses costly to machine code (JIT),
    and it guesses a recursive walk of the genealogy very costly: compiling took 1.6 s of
    a 2.3 s forward trace, and a year's turnover ran slower with it, on bench/scale.py's
    plant. tracelot's statements are short or walk indexes: none gained from it."""
    if dbapi_connection.info.server_version < 110000:  # (no JIT before PostgreSQL 11)
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.commit()


def _forget(conn: Connection, _name: Any, _context: Any) -> None:
    """What was read inside a savepoint rolled back may not exist any more (a location
    added there): read it afresh."""
    found = conn.info.get(_CACHE)
    if found is not None:
        found.clear()


def _sqlite_access(url: str) -> tuple[str, bool]:
    """The URL to open a SQLite file with, and whether it is read-only: a file that this
    process may not write is opened read-only, and one in a directory it may not write
    (where SQLite cannot make its -wal and -shm files) as immutable, unless both files are
    there already (a WAL not yet checkpointed, which immutable would ignore)."""
    parsed = make_url(url)
    path = parsed.database
    if parsed.query.get("mode") == "ro" or parsed.query.get("immutable") == "1":
        return url, True  # asked for read-only
    if not path or path == ":memory:" or path.startswith("file:") or "mode" in parsed.query:
        return url, False
    file = Path(path)
    if not file.exists():
        return url, False
    folder = file.parent
    if os.access(folder, os.W_OK):
        if os.access(file, os.W_OK):
            return url, False
        mode = {"mode": "ro"}
    elif all(file.with_name(file.name + end).exists() for end in ("-wal", "-shm")):
        mode = {"mode": "ro"}
    else:
        mode = {"immutable": "1"}
    opened = parsed.set(database=f"file:{file.resolve()}")
    opened = opened.update_query_dict({**mode, "uri": "true"})
    return opened.render_as_string(hide_password=False), True


def read_only(engine: Engine) -> bool:
    """Whether tracelot opened this SQLite database read-only (its storage is)."""
    return bool(engine.url.query.get("mode") == "ro" or engine.url.query.get("immutable"))


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins, so that
        # writers can take the write lock up front with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:") and not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("tracelot_write", False)
        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        try:  # straight to the driver: this runs at the start of every transaction
            conn.connection.driver_connection.execute(statement)
        except sqlite3.OperationalError as exc:  # a busy database: as SQLAlchemy says it
            raise OperationalError(statement, None, exc) from exc


class KeptLocations:
    """The locations that committed transactions of one engine read, kept for its later
    ones, under the database's identity token they were read with.

    The database enforces what this assumes (migration 0009): a location's code, parent
    and kind never change and no location is deleted, and every insert or other change
    of a location writes a new random token to `database_identity`, as does re-creating
    the schema. A restored backup brings back an older token. So rows kept under the
    token the database has now are the rows it holds now."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.by_code: dict[str, Row] = {}
        self.by_id: dict[int, Row] = {}
        self.ids_of_kind: dict[tuple[Any, ...], frozenset[int]] = {}

    def renew(self, token: str | None) -> None:
        """The database's identity changed: drop every kept row."""
        self.token = token
        self.by_code, self.by_id, self.ids_of_kind = {}, {}, {}


_KEPT: weakref.WeakKeyDictionary[Engine, KeptLocations] = weakref.WeakKeyDictionary()
_IDENTITY = "SELECT token FROM database_identity WHERE id = 1"
_UNREAD = object()


def kept(engine: Engine) -> KeptLocations:
    """The locations committed transactions of `engine` read."""
    found = _KEPT.get(engine)
    if found is None:
        found = _KEPT[engine] = KeptLocations()
    return found


def identity_token(conn: Connection) -> str | None:
    """The database's identity token (None before migration 0009 or after a truncate):
    one indexed read of a one-row table, straight to the driver on SQLite."""
    if conn.dialect.name == "sqlite":
        row = conn.connection.driver_connection.execute(_IDENTITY).fetchone()
    else:
        row = conn.exec_driver_sql(_IDENTITY).first()
    return None if row is None else str(row[0])


class OneRow:
    """A SELECT built once whose first row is read many times on a hot path (a scan's
    unit): on SQLite straight on the driver's cursor, with the result processors
    SQLAlchemy would apply (as it does on SQLite: no type code from the driver), which
    saves SQLAlchemy's result set (about 70 us of CPU for a row of 48 columns, more than
    SQLite's own work); elsewhere through SQLAlchemy. Either way the row is a sequence
    of the selected columns' values, in order, converted as `conn.execute` converts them."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def first(self, conn: Connection, params: dict[str, Any]) -> Sequence[Any] | None:
        """The first row the statement returns with these parameters, or None."""
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, params).first()
        raw, processors = self._driver(conn, params, lambda cursor: cursor.fetchone())
        return None if raw is None else _processed(raw, processors)

    def all(self, conn: Connection, params: dict[str, Any]) -> list[Sequence[Any]]:
        """Every row the statement returns with these parameters."""
        if conn.dialect.name != "sqlite":
            return list(conn.execute(self.statement, params))
        raws, processors = self._driver(conn, params, lambda cursor: cursor.fetchall())
        return [_processed(raw, processors) for raw in raws]

    def _driver(
        self, conn: Connection, params: dict[str, Any], fetch: Callable[[Any], Any]
    ) -> tuple[Any, list[tuple[int, Callable[[Any], Any]]]]:
        sql, names, processors = self._compiled.get(conn.dialect) or self._compile(conn.dialect)
        values = [params[name] for name in names]
        try:
            return fetch(conn.connection.driver_connection.execute(sql, values)), processors
        except sqlite3.Error as exc:  # as SQLAlchemy says it (a busy database: Conflict)
            raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        processors = [
            (i, column.type.dialect_impl(dialect).result_processor(dialect, None))
            for i, column in enumerate(self.statement.selected_columns)
        ]
        found = self._compiled[dialect] = (
            str(compiled),
            list(compiled.positiontup or ()),
            [(i, process) for i, process in processors if process is not None],
        )
        return found


_Compiled = tuple[str, list[str], list[tuple[int, Callable[[Any], Any]]]]


def records(result: CursorResult[Any]) -> list[Any]:
    """A result's rows as named tuples, for the loops that read their columns by name
    many times: a SQLAlchemy Row finds a column by name in about 1 us, a named tuple in
    a twentieth of it (a long order's shipment read 30,000 of them)."""
    make = _record_type(tuple(result.keys()))._make
    return [make(row) for row in result.all()]


@functools.cache
def _record_type(fields: tuple[str, ...]) -> Any:
    return namedtuple("Record", fields)  # a column named twice fails here, not silently


class Cache:
    """What one transaction has read of the master data, so that an operation on a
    thousand units of one item reads the item once. Made by `transaction` (reach it with
    `cache(conn)`) and gone when the transaction ends; a savepoint rolled back empties
    it. What is not found is not remembered.

    Locations are also kept for the engine's later transactions (`KeptLocations`), once
    this one has committed, and found there after one check of the database's identity
    token per transaction."""

    def __init__(self, conn: Connection | None = None, kept: KeptLocations | None = None) -> None:
        self._conn = conn
        self._kept = kept
        self._token: object = _UNREAD
        self.clear()

    def clear(self) -> None:
        """Forget everything read (a savepoint was rolled back: what was read inside it
        may not exist any more)."""
        self._items_by_code: dict[str, Row] = {}
        self._items_by_id: dict[int, Row] = {}
        self._items_by_gtin: dict[str, Row] = {}
        self._locations_by_code: dict[str, Row] = {}
        self._locations_by_id: dict[int, Row] = {}
        self._location_ids: dict[tuple[Any, ...], frozenset[int]] = {}
        self._new_locations: list[Row] = []
        self._new_location_ids: dict[tuple[Any, ...], frozenset[int]] = {}
        self._lots_by_id: dict[int, Row] = {}
        self._lots_by_code: dict[tuple[int, str], Row] = {}
        self._parties_by_code: dict[str, Row] = {}
        self._operations: dict[int, dict[str, Any]] = {}
        self._any_open_holds: bool | None = None
        #: units read ahead for a batch of scans (`lookup.read_units_ahead`), by ("gtin"
        #: or "code", its value, serial); emptied when the batch has been answered
        self.units_read: dict[tuple[str, str, str], Any] = {}
        #: whether each acting user read is disabled, and why (`services.inactive`)
        self.users_checked: dict[str, tuple[bool, str | None]] = {}

    # -- items: by code, id and GTIN ----------------------------------------------------

    def item(self, code: str) -> Row | None:
        return self._items_by_code.get(code)

    def item_by_id(self, item_id: int) -> Row | None:
        return self._items_by_id.get(item_id)

    def item_by_gtin(self, gtin: str) -> Row | None:
        return self._items_by_gtin.get(gtin)

    def add_item(self, row: Row, *, gtin: str | None = None) -> Row:
        """Remember an item under its code and id (and the GTIN it was found by)."""
        self._items_by_code[row.code] = row
        self._items_by_id[row.id] = row
        if gtin is not None:
            self._items_by_gtin[gtin] = row
        return row

    def forget_items(self) -> None:
        """Read items afresh from here on (one was changed), by code, id or GTIN."""
        self._items_by_code, self._items_by_id, self._items_by_gtin = {}, {}, {}

    # -- locations: by code and id, and the ids of some kinds --------------------------

    def location(self, code: str) -> Row | None:
        row = self._locations_by_code.get(code)
        if row is None and self._kept_valid():
            assert self._kept is not None
            row = self._kept.by_code.get(code)
            if row is not None:
                self._remember_location(row)
        return row

    def location_by_id(self, location_id: int) -> Row | None:
        row = self._locations_by_id.get(location_id)
        if row is None and self._kept_valid():
            assert self._kept is not None
            row = self._kept.by_id.get(location_id)
            if row is not None:
                self._remember_location(row)
        return row

    def add_location(self, row: Row) -> Row:
        """Remember a location read from the database (kept once this transaction commits)."""
        self._remember_location(row)
        self._new_locations.append(row)
        return row

    def location_ids(self, key: tuple[Any, ...]) -> frozenset[int] | None:
        """The ids of a set of locations named by `key` (kinds, or all virtual ones)."""
        ids = self._location_ids.get(key)
        if ids is None and self._kept_valid():
            assert self._kept is not None
            ids = self._kept.ids_of_kind.get(key)
            if ids is not None:
                self._location_ids[key] = ids
        return ids

    def add_location_ids(self, key: tuple[Any, ...], ids: frozenset[int]) -> frozenset[int]:
        self._location_ids[key] = self._new_location_ids[key] = ids
        return ids

    def _remember_location(self, row: Row) -> None:
        self._locations_by_code[row.code] = row
        self._locations_by_id[row.id] = row

    def _kept_valid(self) -> bool:
        """Whether the engine's kept locations stand for this database: the identity
        token is read once per transaction, at the first location looked for here."""
        if self._kept is None or self._conn is None:
            return False
        if self._token is _UNREAD:
            self._token = identity_token(self._conn)
            if self._token != self._kept.token:
                self._kept.renew(self._token)  # type: ignore[arg-type]
        return self._token is not None and self._token == self._kept.token

    def keep(self) -> None:
        """The transaction committed: hand the locations it read to the later ones, if
        the database's identity is still the one they were read under."""
        if self._kept is None or not (self._new_locations or self._new_location_ids):
            return
        if self._token is _UNREAD:
            return  # read without a token check (none is made before the first location)
        if self._token is None or self._token != self._kept.token:
            return
        for row in self._new_locations:
            self._kept.by_code[row.code] = row
            self._kept.by_id[row.id] = row
        self._kept.ids_of_kind.update(self._new_location_ids)

    # -- lots, parties, operations, holds ------------------------------------------------

    def lot_by_id(self, lot_id: int) -> Row | None:
        return self._lots_by_id.get(lot_id)

    def lot(self, item_id: int, code: str) -> Row | None:
        return self._lots_by_code.get((item_id, code))

    def add_lot(self, row: Row) -> Row:
        """Remember a lot under its id and its item and code (lots are never changed)."""
        self._lots_by_id[row.id] = row
        self._lots_by_code[(row.item_id, row.code)] = row
        return row

    def party(self, code: str) -> Row | None:
        return self._parties_by_code.get(code)

    def add_party(self, row: Row) -> Row:
        self._parties_by_code[row.code] = row
        return row

    def operation(self, op_id: int) -> dict[str, Any] | None:
        """The values of an operation written in this transaction (its answer is made
        without reading it back)."""
        return self._operations.get(op_id)

    def add_operation(self, op_id: int, values: dict[str, Any]) -> None:
        self._operations[op_id] = values

    def any_open_holds(self) -> bool | None:
        """Whether anything is held, once asked in this transaction (None: not asked, or
        holds changed since)."""
        return self._any_open_holds

    def set_any_open_holds(self, held: bool | None) -> None:
        self._any_open_holds = held


_CACHE = "tracelot.cache"


def _processed(raw: Sequence[Any], processors: list[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    row = list(raw)
    for i, process in processors:
        row[i] = process(row[i])
    return row


def cache(conn: Connection) -> Cache:
    """The cache of the transaction `conn` is in. A connection that `transaction` did not
    open (a test's, a migration's) gets a cache of its own for this call only."""
    found = conn.info.get(_CACHE)
    return found if found is not None else Cache()


@contextmanager
def sort_room(conn: Connection) -> Iterator[None]:
    """On SQLite, a page cache of `SORT_CACHE_KIB` for the statements run inside, and its
    own size again after (SQLite frees the pages beyond it). SQLite's sorter spills to
    temporary files beyond the cache (2 MiB by default): sorting a recall's list of
    30,000 rows took 14 ms, and 4 with 16 MiB. Only for such lists: every pooled
    connection keeping 16 MiB would hold eight times the memory at rest."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    (size,) = raw.execute("PRAGMA cache_size").fetchone()
    raw.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {int(size)}")


@contextmanager
def lone_read(engine: Engine) -> Iterator[Connection]:
    """A connection for one read statement (a request's token): on PostgreSQL outside any
    transaction, which saves the round trips of its BEGIN and ROLLBACK, two of three. More
    than one statement would each see a snapshot of its own: use `transaction` for them."""
    if engine.dialect.name != "postgresql":  # SQLite's BEGIN is no round trip
        with transaction(engine, write=False) as conn:
            yield conn
        return
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One unit of work: commit when the block ends, roll back on any error.

    Writers on SQLite take the database's write lock at the start (BEGIN IMMEDIATE), so
    two writers queue instead of failing half-way; on PostgreSQL rows are locked by the
    conditional updates of the ledger. Lock failures become `Conflict`.
    """
    with engine.connect() as conn:
        found = conn.info[_CACHE] = Cache(conn, kept(engine))
        if write:
            conn.execution_options(tracelot_write=True)
        try:
            with conn.begin():
                yield conn
            found.keep()  # committed: what it read of the locations stands
        except OperationalError as exc:
            if _is_lock_error(exc):
                raise Conflict("conflict, retry: the database is busy") from exc
            found = storage_problem(exc)
            if found is not None:
                raise found from exc
            raise
        except DBAPIError as exc:
            # a unique index refusing a row that a concurrent operation inserted first
            # is a race the loser may retry, like a serialization failure
            if _is_serialization_error(exc) or _is_unique_violation(exc):
                raise Conflict("conflict, retry: another operation changed the same stock") from exc
            if "NUL (0x00)" in str(exc.orig):  # PostgreSQL's text cannot hold one
                raise InvalidInput("text cannot contain NUL (0x00) characters") from exc
            found = storage_problem(exc)
            if found is not None:
                raise found from exc
            raise
        finally:
            conn.info.pop(_CACHE, None)


def storage_problem(exc: BaseException) -> TracelotError | None:
    """A full disk or read-only storage, named as such, when `exc` or an error it was
    raised while handling says so (SQLite reports a full disk, rolls the transaction
    back, and SQLAlchemy's rollback to a savepoint then fails with `no such savepoint`:
    the full disk is the first error of the chain)."""
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        orig = getattr(found, "orig", None) or found
        said = str(orig)
        sqlite_code = (getattr(orig, "sqlite_errorcode", None) or 0) & 0xFF
        sqlstate = getattr(orig, "sqlstate", None)
        if (
            sqlite_code == sqlite3.SQLITE_FULL
            or sqlstate in {"53100", "53000"}  # disk_full, insufficient_resources
            or "database or disk is full" in said
            or "No space left on device" in said
        ):
            return StorageFull(
                f"the disk holding the database is full; nothing was written ({_first_line(said)})"
            )
        if (
            sqlite_code == sqlite3.SQLITE_READONLY
            or sqlstate == "25006"  # read_only_sql_transaction
            or "readonly database" in said
            or "Read-only file system" in said
        ):
            return ReadOnlyStorage(
                "the database is read-only (its file, directory or server may not be "
                f"written); nothing was written ({_first_line(said)})"
            )
        found = found.__cause__ or found.__context__
    return None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "deadlock" in text or "could not obtain lock" in text


def _is_unique_violation(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(exc.orig)


def _is_serialization_error(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in {"40001", "40P01", "55P03"}


def serialize(conn: Connection, name: str) -> None:
    """Let the transactions that call this with the same name take turns until they end:
    an advisory lock on PostgreSQL; on SQLite writers take turns already."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
