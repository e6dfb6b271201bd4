"""Master data that can change, with its history: items, locations and parties that can
be deactivated (with a reason; users have `disabled` already), a location's place in the
walking order, the change log, and locations whose parent and kind tracelot may change

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import UtcDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIXED = "the code of a location never changes, and no location is deleted"
MOVED = "the parent and kind of a location change only through tracelot location set"
OLD_FIXED = "the code, parent and kind of a location never change, and no location is deleted"


def upgrade() -> None:
    for table in ("items", "locations", "parties"):
        op.add_column(table, sa.Column("active", sa.Boolean(), nullable=False,
                                       server_default="1"))  # fmt: skip
        op.add_column(table, sa.Column("inactive_reason", sa.Text()))
    op.add_column("users", sa.Column("inactive_reason", sa.Text()))
    op.add_column("locations", sa.Column("pick_sequence", sa.Integer()))
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(10), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("before", sa.Text()),
        sa.Column("after", sa.Text()),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.CheckConstraint("entity IN ('item', 'location', 'party', 'user')",
                           name=op.f("ck_changes_entity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )  # fmt: skip
    op.create_index(op.f("ix_changes_entity_code"), "changes", ["entity", "code"])
    op.create_index(op.f("ix_changes_at"), "changes", ["at"])
    # the locations tracelot is re-parenting in the open transaction: a row here lets
    # the trigger pass a change of its parent, kind and path (and nothing else)
    op.create_table(
        "location_edits",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_location_edits")),
    )
    if op.get_context().dialect.name == "postgresql":
        _postgresql(FIXED, MOVED, permit=True)
    else:
        _sqlite(FIXED, MOVED, permit=True)


def _conditions(distinct: str, permit: bool) -> tuple[str, str]:
    fixed = " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in ("code", "virtual"))
    moved = " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in ("parent_id", "kind", "path"))
    if permit:
        allowed = "SELECT 1 FROM location_edits e WHERE e.location_id = NEW.id"
        moved = f"({moved}) AND NOT EXISTS ({allowed})"
    return fixed, moved


def _sqlite(fixed_text: str, moved_text: str, *, permit: bool) -> None:
    fixed, moved = _conditions("IS NOT", permit)
    op.execute("DROP TRIGGER locations_fixed")
    op.execute(
        f"""CREATE TRIGGER locations_fixed BEFORE UPDATE ON locations WHEN {fixed}
        BEGIN SELECT RAISE(ABORT, '{fixed_text}'); END"""
    )
    op.execute("DROP TRIGGER locations_no_delete")
    op.execute(
        f"""CREATE TRIGGER locations_no_delete BEFORE DELETE ON locations
        BEGIN SELECT RAISE(ABORT, '{fixed_text}'); END"""
    )
    if permit:
        op.execute(
            f"""CREATE TRIGGER locations_moved BEFORE UPDATE ON locations WHEN {moved}
            BEGIN SELECT RAISE(ABORT, '{moved_text}'); END"""
        )


def _postgresql(fixed_text: str, moved_text: str, *, permit: bool) -> None:
    fixed, moved = _conditions("IS DISTINCT FROM", permit)
    op.execute(
        f"""CREATE OR REPLACE FUNCTION locations_fixed() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR {fixed} THEN RAISE EXCEPTION '{fixed_text}'; END IF;
            IF {moved} THEN RAISE EXCEPTION '{moved_text}'; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql"""
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        changed = " OR ".join(
            f"NEW.{c} IS DISTINCT FROM OLD.{c}"
            for c in ("code", "parent_id", "kind", "path", "virtual")
        )
        op.execute(
            f"""CREATE OR REPLACE FUNCTION locations_fixed() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR {changed} THEN RAISE EXCEPTION '{OLD_FIXED}'; END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql"""
        )
    else:
        op.execute("DROP TRIGGER locations_moved")
        op.execute("DROP TRIGGER locations_fixed")
        op.execute("DROP TRIGGER locations_no_delete")
        op.execute(
            f"""CREATE TRIGGER locations_no_delete BEFORE DELETE ON locations
            BEGIN SELECT RAISE(ABORT, '{OLD_FIXED}'); END"""
        )
        changed = " OR ".join(
            f"NEW.{c} IS NOT OLD.{c}" for c in ("code", "parent_id", "kind", "path", "virtual")
        )
        op.execute(
            f"""CREATE TRIGGER locations_fixed BEFORE UPDATE ON locations WHEN {changed}
            BEGIN SELECT RAISE(ABORT, '{OLD_FIXED}'); END"""
        )
    op.drop_table("location_edits")
    op.drop_index(op.f("ix_changes_at"), table_name="changes")
    op.drop_index(op.f("ix_changes_entity_code"), table_name="changes")
    op.drop_table("changes")
    op.drop_column("locations", "pick_sequence")
    op.drop_column("users", "inactive_reason")
    for table in ("items", "locations", "parties"):
        op.drop_column(table, "inactive_reason")
        op.drop_column(table, "active")
