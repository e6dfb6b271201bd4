"""Backups, restores and copies of a whole tracelot database.

A backup is one consistent snapshot, taken while writers run: SQLite's online backup API
copies every page in one step inside one read transaction; on PostgreSQL `pg_dump`
(custom format) dumps the snapshot of a transaction that also counts what it holds. What
was copied (schema revision, last operation, counts, the file's SHA-256) is written beside
the backup, as FILE.json. A restore goes into an empty database only, migrates an older
backup to this tracelot's schema, and replays the ledger (`verify`). A copy moves every
row of one database into another (SQLite to PostgreSQL and back) in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, insert, inspect, select, text
from sqlalchemy.engine import URL

from tracelot.domain.errors import (
    CannotWrite,
    InvalidInput,
    NotFound,
    NotMigrated,
    TracelotError,
)
from tracelot.services.verify import verify
from tracelot.store import schema
from tracelot.store.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, transaction
from tracelot.store.tables import (
    database_identity,
    items,
    locations,
    lots,
    metadata,
    moves,
    operations,
    parties,
    units,
    users,
)

MANIFEST_FORMAT = "tracelot-backup"
MANIFEST_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
#: rows per INSERT when copying a table
COPY_BATCH = 2_000


def manifest_path(path: Path) -> Path:
    """Where the record of what a backup holds is written: FILE.json beside FILE."""
    return path.with_name(path.name + ".json")


# -- what a database holds ----------------------------------------------------------------


def facts(conn: Connection) -> dict[str, Any]:
    """The schema revision, the last operation and the counts of what `conn` sees."""

    def count(table: Any) -> int:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()

    last = conn.execute(
        select(operations.c.id, operations.c.occurred_at, operations.c.recorded_at)
        .order_by(operations.c.id.desc())
        .limit(1)
    ).first()
    return {
        "schema": schema.revision_of(conn),
        "last_operation": None
        if last is None
        else {
            "id": last.id,
            "occurred_at": last.occurred_at.isoformat(),
            "recorded_at": last.recorded_at.isoformat(),
        },
        "counts": {
            "items": count(items),
            "units": count(units),
            "lots": count(lots),
            "operations": count(operations),
            "moves": count(moves),
            "locations": count(locations),
            "parties": count(parties),
            "users": count(users),
        },
    }


def why_not_empty(conn: Connection) -> str | None:
    """Why the database of `conn` cannot take a restore or a copy, or None when it is
    empty: no tables at all, or tracelot's tables holding nothing but what `tracelot
    init` writes (the virtual locations and the first admin)."""
    names = set(inspect(conn).get_table_names())
    if not names:
        return None
    foreign = sorted(names - set(metadata.tables) - {"alembic_version"})
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        return f"it holds tables that are not tracelot's ({shown})"
    held = []
    for table in metadata.sorted_tables:
        if table.name not in names or table is database_identity:
            continue
        query = select(func.count()).select_from(table)
        if table is locations:
            query = query.where(locations.c.virtual.is_(False))
        n = conn.execute(query).scalar_one()
        if n > (1 if table is users else 0):
            held.append(f"{n} {table.name.replace('_', ' ')}")
    if not held:
        return None
    return f"it holds {', '.join(held[:6])}" + (", ..." if len(held) > 6 else "")


def refuse_unless_empty(engine: Engine, what: str) -> None:
    with engine.connect() as conn:
        reason = why_not_empty(conn)
    if reason is not None:
        raise InvalidInput(
            f"refused: {what} goes into an empty database only, and the database at "
            f"{_shown(engine.url)} is not empty ({reason}); nothing was changed",
            code="not_empty",
        )


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True).split("?")[0]


# -- backup -------------------------------------------------------------------------------


def backup(engine: Engine, path: Path, *, force: bool = False) -> dict[str, Any]:
    """A consistent copy of the database in `path`, and what it holds in `path`.json."""
    path = Path(path)
    if path.exists() and not force:
        raise InvalidInput(f"{path} exists: give another name, or --force to replace it")
    if engine.dialect.name == "sqlite" and _same_file(engine.url, path):
        raise InvalidInput(f"{path} is the database itself: back it up to another file")
    revision = schema.current_revision(engine)
    if revision is None:
        raise NotMigrated(f"no tracelot database at {_shown(engine.url)}: nothing to back up")
    schema.refuse_newer(revision)  # an older schema is backed up as it is (before `init`)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        tmp.open("wb").close()  # a directory that is missing or may not be written: say so now
    except OSError as exc:
        raise CannotWrite(path, exc) from None
    started = dt.datetime.now(dt.UTC)
    try:
        if engine.dialect.name == "sqlite":
            found = _backup_sqlite(engine, tmp)
        elif engine.dialect.name == "postgresql":
            found = _backup_postgresql(engine, tmp)
        else:
            raise InvalidInput(f"cannot back up a {engine.dialect.name} database")
        if tmp.stat().st_size == 0:
            raise TracelotError(f"the backup of {_shown(engine.url)} came out empty")
        size, digest = _digest(tmp)
        manifest = {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "tracelot": _version(),
            "backend": engine.dialect.name,
            "file_format": "sqlite" if engine.dialect.name == "sqlite" else "pg_dump-custom",
            "database": _shown(engine.url),
            "file": path.name,
            "bytes": size,
            "sha256": digest,
            "started_at": started.isoformat(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            **found,
        }
        written = manifest_path(path)
        written_tmp = written.with_name(f".{written.name}.{os.getpid()}.partial")
        try:
            written_tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, path)
            os.replace(written_tmp, written)
        except OSError as exc:
            raise CannotWrite(path, exc) from None
        finally:
            written_tmp.unlink(missing_ok=True)
    except sqlite3.Error as exc:  # writing the copy: a full disk, most likely
        raise CannotWrite(path, OSError(str(exc))) from None
    finally:
        tmp.unlink(missing_ok=True)
    return {**manifest, "file": str(path), "manifest": str(written)}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tracelot")
    except PackageNotFoundError:
        return "unknown"


def _backup_sqlite(engine: Engine, tmp: Path) -> dict[str, Any]:
    """SQLite's online backup API, every page in one step: one read transaction, so the
    copy is the database as of one commit, whatever writers do meanwhile (WAL)."""
    target = sqlite3.connect(tmp)
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        source.backup(target)
        # a single self-contained file: no -wal beside it to lose when it is copied
        target.execute("PRAGMA journal_mode = DELETE").fetchall()
    finally:
        raw.close()
        target.close()
    copied = create_engine(f"sqlite:///{tmp}")
    try:
        with copied.connect() as conn:
            return facts(conn)
    finally:
        copied.dispose()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for `url`, and the environment that carries its password."""
    parts = {
        "host": url.host,
        "port": str(url.port) if url.port else None,
        "user": url.username,
        "dbname": url.database,
        **{k: str(v) for k, v in url.query.items()},
    }
    conninfo = " ".join(
        f"{k}='{v.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'"
        for k, v in parts.items()
        if v
    )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise NotFound(
            f"{name} was not found on PATH: install PostgreSQL's client programs "
            f"(the server's major version or newer), e.g. apt-get install postgresql-client",
            code="missing_program",
        )
    return found


def _backup_postgresql(engine: Engine, tmp: Path) -> dict[str, Any]:
    """pg_dump of the snapshot of a transaction that counts what it holds meanwhile, so
    that the record beside the dump describes the very same snapshot."""
    pg_dump = _program("pg_dump")
    conninfo, env = _libpq(engine.url)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            found = facts(conn)
            done = subprocess.run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password",
                 f"--file={tmp}", f"--dbname={conninfo}"],
                env=env, capture_output=True, text=True,
            )  # fmt: skip
    if done.returncode != 0:
        said = done.stderr.strip() or f"exit status {done.returncode}"
        raise TracelotError(f"pg_dump failed: {said}", code="backup_failed")
    return found


def _digest(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


# -- restore ------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The record beside a backup, when there is one."""
    found = manifest_path(path)
    if not found.exists():
        return None
    try:
        manifest = json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read {found}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise InvalidInput(f"{found} is not the record of a tracelot backup")
    return manifest


def backup_kind(path: Path) -> str:
    """`sqlite` or `pg_dump-custom`, from the file's first bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        raise NotFound(f"no backup at {path}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "pg_dump-custom"
    raise InvalidInput(f"{path} is not a tracelot backup (neither SQLite nor pg_dump's format)")


def _sqlite_file_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _backup_revision(path: Path, kind: str, manifest: dict[str, Any] | None) -> str | None:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
        try:
            with engine.connect() as conn:
                return schema.revision_of(conn)
        except Exception as exc:  # noqa: BLE001 - any failure to read it says the same
            raise InvalidInput(f"cannot read the backup {path}: {exc}") from None
        finally:
            engine.dispose()
    pg_restore = _program("pg_restore")
    done = subprocess.run(
        [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise InvalidInput(f"cannot read the backup {path}: {done.stderr.strip()}")
    lines = done.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            found = lines[i + 1].strip()
            return None if found == "\\." else found
    return manifest.get("schema") if manifest else None


def restore(engine: Engine, path: Path) -> dict[str, Any]:
    """Restore the backup `path` into the empty database of `engine`: check its schema
    revision (a newer tracelot's is refused; an older one is migrated after), then
    replay the ledger (`verify`)."""
    path = Path(path)
    kind = backup_kind(path)
    manifest = read_manifest(path)
    if manifest is not None and manifest.get("sha256"):
        size, digest = _digest(path)
        if digest != manifest["sha256"]:
            raise InvalidInput(
                f"{path} is not the file its record {manifest_path(path)} describes "
                f"(SHA-256 differs: damaged, or replaced?); nothing was changed"
            )
    revision = _backup_revision(path, kind, manifest)
    if revision is None:
        raise InvalidInput(f"{path} holds no tracelot schema: not a tracelot backup")
    try:
        schema.refuse_newer(revision)
    except NotMigrated:
        raise NotMigrated(
            f"the backup {path} was written by a newer tracelot (schema {revision}; this "
            f"tracelot knows {schema.SCHEMA_REVISION}): restore it with that tracelot; "
            "nothing was changed",
            code="newer_schema",
        ) from None
    target = engine.dialect.name
    if kind == "pg_dump-custom" and target != "postgresql":
        raise InvalidInput(
            f"{path} is a PostgreSQL backup: restore it into PostgreSQL (then `tracelot "
            "copy --to sqlite:///FILE` makes a SQLite database of it); nothing was changed"
        )
    refuse_unless_empty(engine, "a restore")
    if kind == "sqlite" and target == "sqlite":
        _restore_sqlite(engine, path)
    elif kind == "pg_dump-custom":
        _restore_postgresql(engine, path)
    else:  # a SQLite backup into PostgreSQL: its rows, copied
        source = make_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
        try:
            _copy_rows(source, engine, revision=revision)
        finally:
            source.dispose()
    migrated = revision != schema.SCHEMA_REVISION
    if migrated:
        schema.upgrade(engine)
    with transaction(engine, write=False) as conn:
        found = facts(conn)
        report = verify(conn)
    return {
        "restored": str(path),
        "database": _shown(engine.url),
        "backup_schema": revision,
        "migrated": migrated,
        "backup_created_at": manifest.get("created_at") if manifest else None,
        **found,
        "verify": report.to_dict(),
    }


def _restore_sqlite(engine: Engine, path: Path) -> None:
    """The backup's pages onto the target file, through SQLite's backup API (which also
    replaces what `tracelot init` wrote there)."""
    database = engine.url.database
    assert database
    engine.dispose()
    source = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        try:
            target = sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise CannotWrite(database, OSError(str(exc))) from None
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = WAL").fetchall()
        finally:
            target.close()
    finally:
        source.close()
    engine.dispose()


def _restore_postgresql(engine: Engine, path: Path) -> None:
    pg_restore = _program("pg_restore")
    _drop_tracelot_tables(engine)  # what `tracelot init` made, if it did: it holds nothing
    conninfo, env = _libpq(engine.url)
    done = subprocess.run(
        [pg_restore, "--no-owner", "--no-privileges", "--single-transaction",
         "--exit-on-error", "--no-password", f"--dbname={conninfo}", str(path)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise TracelotError(f"pg_restore failed: {done.stderr.strip()}", code="restore_failed")


def _drop_tracelot_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        for function in ("operations_append_only", "moves_append_only", "locations_fixed",
                         "database_identity_renew"):  # fmt: skip
            conn.execute(text(f"DROP FUNCTION IF EXISTS {function}() CASCADE"))


# -- copy ---------------------------------------------------------------------------------


def copy_database(source: Engine, target: Engine) -> dict[str, Any]:
    """Every row of the database of `source` into the empty database of `target` (the
    schema made there first), from one snapshot of the source, in one transaction on the
    target; `verify` on both."""
    schema.check(schema.current_revision(source), _shown(source.url))
    if _same_database(source.url, target.url):
        raise InvalidInput("the source and the target are the same database")
    refuse_unless_empty(target, "a copy")
    with transaction(source, write=False) as conn:
        before = verify(conn)
    _copy_rows(source, target, revision=schema.SCHEMA_REVISION)
    with transaction(target, write=False) as conn:
        after_facts = facts(conn)
        after = verify(conn)
    with transaction(source, write=False) as conn:
        source_facts = facts(conn)
    return {
        "source": {"database": _shown(source.url), **source_facts, "verify": before.to_dict()},
        "target": {"database": _shown(target.url), **after_facts, "verify": after.to_dict()},
    }


def _same_file(url: URL, path: Path) -> bool:
    database = str(url.database or "").removeprefix("file:")
    return (
        bool(database) and database != ":memory:" and (Path(database).resolve() == path.resolve())
    )


def _same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return _same_file(a, Path(str(b.database or "").removeprefix("file:")))
    return (a.host, a.port, a.database) == (b.host, b.port, b.database)


def _copy_rows(source: Engine, target: Engine, *, revision: str) -> None:
    """The schema at `revision` on the target, then every table's rows in key order, from
    one read transaction on the source into one write transaction on the target."""
    _upgrade_to(target, revision)
    with _snapshot(source) as reading, transaction(target, write=True) as writing:
        for table in metadata.sorted_tables:
            if table is database_identity:  # the target's own: its locations' triggers renew it
                continue
            if not inspect(reading).has_table(table.name):
                continue
            wanted = [c for c in table.columns if c.name in _columns(reading, table.name)]
            order = [c for c in table.primary_key.columns] or wanted
            rows = reading.execution_options(yield_per=COPY_BATCH).execute(
                select(*wanted).order_by(*order)
            )
            for batch in rows.partitions():
                writing.execute(insert(table), [row._asdict() for row in batch])
        if writing.dialect.name == "postgresql":
            _reset_sequences(writing)


def _columns(conn: Connection, name: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(name)}


def _upgrade_to(engine: Engine, revision: str) -> None:
    """The schema at `revision` (the source's), made afresh on an empty database."""
    if engine.dialect.name == "postgresql":
        _drop_tracelot_tables(engine)
    else:
        with engine.begin() as conn:  # what `tracelot init` made: it holds nothing
            if inspect(conn).has_table("alembic_version"):
                for name in reversed(metadata.sorted_tables):
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name.name}"'))
                conn.execute(text("DROP TABLE alembic_version"))
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(schema.alembic_config(conn), revision)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one commit throughout."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _reset_sequences(conn: Connection) -> None:
    """Ids were copied as they were: each id sequence goes on after the largest."""
    present = set(inspect(conn).get_table_names())  # an older schema has fewer tables
    for table in metadata.sorted_tables:
        if table.name not in present:
            continue
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not keys[0].autoincrement or keys[0].type.python_type is not int:
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": keys[0].name}
        ).scalar()
        if sequence is None:
            continue
        conn.execute(
            text(
                f'SELECT setval(:s, COALESCE((SELECT max("{keys[0].name}") FROM "{table.name}"),'
                " 0) + 1, false)"
            ),
            {"s": sequence},
        )
