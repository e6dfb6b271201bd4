"""Creating and migrating the schema with Alembic.

Alembic is imported only to migrate: everyday commands compare the database's
revision with `SCHEMA_REVISION`, which a test keeps equal to the newest migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError

from tracelot.domain.errors import Conflict, NotMigrated

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest migration in migrations/versions (checked by the test suite).
SCHEMA_REVISION = "0026"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at tracelot's migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


#: The PostgreSQL advisory lock that one migration at a time holds.
MIGRATION_LOCK = "tracelot.migrate"


def upgrade(engine: Engine) -> None:
    """Create or migrate the database to the newest schema, one migration at a time: the
    others wait for it (PostgreSQL's advisory lock; SQLite's write lock, taken up front
    by BEGIN IMMEDIATE), then find the schema up to date and do nothing. A database
    written by a newer tracelot is refused (NotMigrated), unchanged."""
    from alembic import command

    try:
        with engine.connect() as conn:
            conn.execution_options(tracelot_write=True)  # SQLite: BEGIN IMMEDIATE
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                        {"name": MIGRATION_LOCK},
                    )
                refuse_newer(revision_of(conn))
                command.upgrade(alembic_config(conn), "head")
    except OperationalError as exc:
        if "database is locked" in str(exc.orig):  # SQLite's busy timeout ran out
            raise Conflict(
                "the database is busy (another tracelot is migrating it, or writing a long "
                "operation): run `tracelot init` again when it is done"
            ) from exc
        raise


def known_revisions() -> list[str]:
    """The revisions of the migration scripts this tracelot has, oldest first (from their
    file names, without loading Alembic)."""
    return sorted(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def refuse_newer(current: str | None) -> None:
    """Refuse a database whose schema this tracelot does not know: a newer tracelot's."""
    if current is None or current == SCHEMA_REVISION or current in known_revisions():
        return
    if current.isdigit() and SCHEMA_REVISION.isdigit() and int(current) < int(SCHEMA_REVISION):
        return
    raise NotMigrated(
        f"this database was written by a newer tracelot (schema {current}; this tracelot "
        f"knows {SCHEMA_REVISION}): use that tracelot, or upgrade this one",
        code="newer_schema",
    )


def check(current: str | None, url: str) -> None:
    """Refuse to work on a database that `tracelot init` has not brought up to date,
    saying which: no schema, an older one (migrate), or a newer tracelot's."""
    if current is None:
        raise NotMigrated(f"no tracelot database at {url}: run `tracelot init`")
    refuse_newer(current)
    if current != SCHEMA_REVISION:
        raise NotMigrated(f"the database schema is at {current}: run `tracelot init` to migrate")


def revision_of(conn: Connection) -> str | None:
    """The revision the database of `conn` is at, or None when it has no tracelot schema."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    """The newest revision among the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it has no tracelot schema."""
    with engine.connect() as conn:
        return revision_of(conn)
