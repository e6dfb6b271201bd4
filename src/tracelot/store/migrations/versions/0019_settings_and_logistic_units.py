"""Database-wide settings, and logistic units (cases and pallets with SSCCs): what each
holds now, the ledger of packing and unpacking, and the cases each move or shipment
took

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import Exact, UtcDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, other: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{other}.id"], name=op.f(f"fk_{table}_{column}_{other}")
    )


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "logistic_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sscc", sa.String(18)),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer()),
        sa.Column("created_op_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('case', 'pallet')", name=op.f("ck_logistic_units_kind")),
        _fk("logistic_units", "location_id", "locations"),
        _fk("logistic_units", "party_id", "parties"),
        _fk("logistic_units", "created_op_id", "operations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logistic_units")),
        sa.UniqueConstraint("sscc", name=op.f("uq_logistic_units_sscc")),
    )
    op.create_table(
        "lu_contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lu_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer()),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("unit_id", sa.Integer()),
        sa.Column("child_lu_id", sa.Integer()),
        sa.Column("qty", Exact(), nullable=False),
        sa.CheckConstraint("qty > 0", name=op.f("ck_lu_contents_qty_positive")),
        _fk("lu_contents", "lu_id", "logistic_units"),
        _fk("lu_contents", "item_id", "items"),
        _fk("lu_contents", "lot_id", "lots"),
        _fk("lu_contents", "unit_id", "units"),
        _fk("lu_contents", "child_lu_id", "logistic_units"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lu_contents")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_lu_contents_unit_id")),
        sa.UniqueConstraint("child_lu_id", name=op.f("uq_lu_contents_child_lu_id")),
    )
    op.create_index(op.f("ix_lu_contents_lu_id"), "lu_contents", ["lu_id"], unique=False)
    op.create_index(op.f("ix_lu_contents_lot_id"), "lu_contents", ["lot_id"], unique=False)
    op.create_index(
        op.f("ix_lu_contents_item_id_lot_id"), "lu_contents", ["item_id", "lot_id"], unique=False
    )
    op.create_table(
        "lu_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("lu_id", sa.Integer(), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        sa.Column("item_id", sa.Integer()),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("unit_id", sa.Integer()),
        sa.Column("child_lu_id", sa.Integer()),
        sa.Column("qty", Exact(), nullable=False),
        sa.CheckConstraint("qty > 0", name=op.f("ck_lu_lines_qty_positive")),
        _fk("lu_lines", "operation_id", "operations"),
        _fk("lu_lines", "lu_id", "logistic_units"),
        _fk("lu_lines", "item_id", "items"),
        _fk("lu_lines", "lot_id", "lots"),
        _fk("lu_lines", "unit_id", "units"),
        _fk("lu_lines", "child_lu_id", "logistic_units"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lu_lines")),
    )
    for column in ("operation_id", "lu_id", "lot_id", "unit_id", "child_lu_id"):
        op.create_index(op.f(f"ix_lu_lines_{column}"), "lu_lines", [column], unique=False)
    op.create_table(
        "lu_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("lu_id", sa.Integer(), nullable=False),
        sa.Column("outermost", sa.Boolean(), nullable=False),
        _fk("lu_moves", "operation_id", "operations"),
        _fk("lu_moves", "lu_id", "logistic_units"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lu_moves")),
    )
    for column in ("operation_id", "lu_id"):
        op.create_index(op.f(f"ix_lu_moves_{column}"), "lu_moves", [column], unique=False)


def downgrade() -> None:
    op.drop_table("lu_moves")
    op.drop_table("lu_lines")
    op.drop_table("lu_contents")
    op.drop_table("logistic_units")
    op.drop_table("settings")
