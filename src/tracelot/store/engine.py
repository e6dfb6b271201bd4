"""Engines and transactions. Built from a URL by the composition root, never at import."""

from __future__ import annotations

import os
import sqlite3
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from tracelot.domain.errors import Conflict, InvalidInput

DEFAULT_URL = "sqlite:///tracelot.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(url: str | None = None) -> str:
    """The URL given, else $TRACELOT_DATABASE_URL, else tracelot.db in the working directory."""
    return url or os.environ.get("TRACELOT_DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for tracelot: SQLite in WAL mode with foreign keys and a busy timeout."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, **kwargs)
        _ping_when_idle(engine)
    event.listen(engine, "rollback_savepoint", _forget)
    return engine


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


def _forget(conn: Connection, _name: Any, _context: Any) -> None:
    """What was read inside a savepoint rolled back may not exist any more (a location
    added there): read it afresh."""
    conn.info.get(MEMO, {}).clear()
    conn.info.get(LASTING, {}).clear()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins, so that
        # writers can take the write lock up front with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
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


#: where `services.lookup.memo` keeps the master data read in this transaction
MEMO = "tracelot.memo"
#: what of it never changes once written (locations; the virtual ones are made by `init`),
#: handed to the engine's later transactions once this one has committed: `kept(engine)`
LASTING = "tracelot.lasting"
_KEPT: weakref.WeakKeyDictionary[Engine, dict[Any, Any]] = weakref.WeakKeyDictionary()


def kept(engine: Engine) -> dict[Any, Any]:
    """The rows of lasting master data that committed transactions of `engine` read."""
    found = _KEPT.get(engine)
    if found is None:
        found = _KEPT[engine] = {}
    return found


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One unit of work: commit when the block ends, roll back on any error.

    Writers on SQLite take the database's write lock at the start (BEGIN IMMEDIATE), so
    two writers queue instead of failing half-way; on PostgreSQL rows are locked by the
    conditional updates of the ledger. Lock failures become `Conflict`.
    """
    with engine.connect() as conn:
        conn.info[MEMO] = {}
        conn.info[LASTING] = {}
        if write:
            conn.execution_options(tracelot_write=True)
        try:
            with conn.begin():
                yield conn
            if conn.info[LASTING]:  # committed: what it read of them stands
                kept(engine).update(conn.info[LASTING])
        except OperationalError as exc:
            if _is_lock_error(exc):
                raise Conflict("conflict, retry: the database is busy") from exc
            raise
        except DBAPIError as exc:
            # a unique index refusing a row that a concurrent operation inserted first
            # is a race the loser may retry, like a serialization failure
            if _is_serialization_error(exc) or _is_unique_violation(exc):
                raise Conflict("conflict, retry: another operation changed the same stock") from exc
            if "NUL (0x00)" in str(exc.orig):  # PostgreSQL's text cannot hold one
                raise InvalidInput("text cannot contain NUL (0x00) characters") from exc
            raise
        finally:
            conn.info.pop(MEMO, None)
            conn.info.pop(LASTING, None)


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
