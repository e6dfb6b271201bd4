"""Locations that never change (code, parent, kind), and the database's identity token
that tells a process's kept locations whether they still stand

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-10 12:00:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIXED = "the code, parent and kind of a location never change, and no location is deleted"


def upgrade() -> None:
    op.create_table(
        "database_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_database_identity_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_database_identity")),
    )
    op.execute(f"INSERT INTO database_identity (id, token) VALUES (1, '{uuid.uuid4().hex}')")
    if op.get_context().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _sqlite() -> None:
    changed = " OR ".join(
        f"NEW.{c} IS NOT OLD.{c}" for c in ("code", "parent_id", "kind", "path", "virtual")
    )
    op.execute(
        f"""CREATE TRIGGER locations_fixed BEFORE UPDATE ON locations WHEN {changed}
        BEGIN SELECT RAISE(ABORT, '{FIXED}'); END"""
    )
    op.execute(
        f"""CREATE TRIGGER locations_no_delete BEFORE DELETE ON locations
        BEGIN SELECT RAISE(ABORT, '{FIXED}'); END"""
    )
    # any other change of the locations (a new one, a new name or GLN) is a new identity
    renew = """INSERT OR REPLACE INTO database_identity (id, token)
        VALUES (1, lower(hex(randomblob(16))))"""
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"""CREATE TRIGGER locations_renew_identity_{event.lower()} AFTER {event}
            ON locations BEGIN {renew}; END"""
        )


def _postgresql() -> None:
    changed = " OR ".join(
        f"NEW.{c} IS DISTINCT FROM OLD.{c}"
        for c in ("code", "parent_id", "kind", "path", "virtual")
    )
    op.execute(
        f"""CREATE FUNCTION locations_fixed() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR {changed} THEN RAISE EXCEPTION '{FIXED}'; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql"""
    )
    op.execute(
        """CREATE TRIGGER locations_fixed BEFORE UPDATE OR DELETE ON locations
        FOR EACH ROW EXECUTE FUNCTION locations_fixed()"""
    )
    # any other change of the locations (new ones, a new name or GLN, a TRUNCATE that
    # empties the database) is a new identity
    op.execute(
        """CREATE FUNCTION database_identity_renew() RETURNS trigger AS $$
        BEGIN
            INSERT INTO database_identity (id, token)
            VALUES (1, md5(random()::text || clock_timestamp()::text))
            ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
            RETURN NULL;
        END $$ LANGUAGE plpgsql"""
    )
    op.execute(
        """CREATE TRIGGER locations_renew_identity
        AFTER INSERT OR UPDATE OR TRUNCATE ON locations
        FOR EACH STATEMENT EXECUTE FUNCTION database_identity_renew()"""
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER locations_renew_identity ON locations")
        op.execute("DROP FUNCTION database_identity_renew()")
        op.execute("DROP TRIGGER locations_fixed ON locations")
        op.execute("DROP FUNCTION locations_fixed()")
    else:
        for name in ("fixed", "no_delete", "renew_identity_insert", "renew_identity_update"):
            op.execute(f"DROP TRIGGER locations_{name}")
    op.drop_table("database_identity")
