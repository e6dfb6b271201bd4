"""Stock counts by scanning: counts, the ledger's expected balances when each began, and
the scans of its counters

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import Exact, UtcDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("items", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("started_by", sa.String(100), nullable=False),
        sa.Column("posted_at", UtcDateTime()),
        sa.Column("posted_by", sa.String(100)),
        sa.Column("posted_op_id", sa.Integer()),
        sa.Column("variances", sa.Text()),
        sa.CheckConstraint("status IN ('open', 'posted')", name=op.f("ck_counts_status")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"],
                                name=op.f("fk_counts_location_id_locations")),
        sa.ForeignKeyConstraint(["posted_op_id"], ["operations.id"],
                                name=op.f("fk_counts_posted_op_id_operations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counts")),
    )  # fmt: skip
    op.create_table(
        "count_expected",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("unit_id", sa.Integer()),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("qty", Exact(), nullable=False),
        sa.ForeignKeyConstraint(["count_id"], ["counts.id"],
                                name=op.f("fk_count_expected_count_id_counts")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name=op.f("fk_count_expected_item_id_items")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"],
                                name=op.f("fk_count_expected_lot_id_lots")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_count_expected_unit_id_units")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"],
                                name=op.f("fk_count_expected_location_id_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_expected")),
    )  # fmt: skip
    op.create_index(op.f("ix_count_expected_count_id"), "count_expected", ["count_id"])
    op.create_table(
        "count_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("unit_id", sa.Integer()),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("qty", Exact(), nullable=False),
        sa.Column("ledger_location_id", sa.Integer()),
        sa.Column("ledger_qty", Exact()),
        sa.Column("scanned_at", UtcDateTime(), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("input", sa.Text()),
        sa.CheckConstraint("qty > 0", name=op.f("ck_count_scans_qty_positive")),
        sa.ForeignKeyConstraint(["count_id"], ["counts.id"],
                                name=op.f("fk_count_scans_count_id_counts")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name=op.f("fk_count_scans_item_id_items")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_count_scans_lot_id_lots")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"],
                                name=op.f("fk_count_scans_unit_id_units")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"],
                                name=op.f("fk_count_scans_location_id_locations")),
        sa.ForeignKeyConstraint(["ledger_location_id"], ["locations.id"],
                                name=op.f("fk_count_scans_ledger_location_id_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_scans")),
    )  # fmt: skip
    op.create_index(op.f("ix_count_scans_count_id"), "count_scans", ["count_id"])
    op.create_index("uq_count_scans_count_id_unit_id", "count_scans", ["count_id", "unit_id"],
                    unique=True)  # fmt: skip


def downgrade() -> None:
    op.drop_table("count_scans")
    op.drop_table("count_expected")
    op.drop_table("counts")
