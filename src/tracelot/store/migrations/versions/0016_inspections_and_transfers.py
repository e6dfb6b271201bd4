"""incoming inspection (rules per item and supplier, each receipt's inspection) and
transfers between sites with their stock in transit

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import Exact, UtcDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, other: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{other}.id"], name=op.f(f"fk_{table}_{column}_{other}")
    )


def upgrade() -> None:
    op.create_table(
        "inspection_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer()),
        sa.Column("inspect", sa.Boolean(), nullable=False),
        _fk("inspection_rules", "item_id", "items"),
        _fk("inspection_rules", "supplier_id", "parties"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_rules")),
    )
    op.create_index(
        op.f("ix_inspection_rules_item_id"), "inspection_rules", ["item_id"], unique=False
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer()),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("qty", Exact(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer()),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("received_op_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("result_op_id", sa.Integer()),
        sa.Column("inspector", sa.String(100)),
        sa.Column("decided_at", UtcDateTime()),
        sa.Column("note", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("disposition", sa.String(32)),
        sa.CheckConstraint(
            "status IN ('waiting', 'passed', 'failed')", name=op.f("ck_inspections_status")
        ),
        _fk("inspections", "item_id", "items"),
        _fk("inspections", "unit_id", "units"),
        _fk("inspections", "lot_id", "lots"),
        _fk("inspections", "location_id", "locations"),
        _fk("inspections", "supplier_id", "parties"),
        _fk("inspections", "hold_id", "holds"),
        _fk("inspections", "received_op_id", "operations"),
        _fk("inspections", "result_op_id", "operations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    for columns in (["unit_id"], ["lot_id"], ["hold_id"], ["received_op_id"], ["status", "id"]):
        name = op.f("ix_inspections_" + "_".join(columns))
        op.create_index(name, "inspections", columns, unique=False)
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("transit_location_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(200)),
        sa.Column("reference", sa.String(200)),
        sa.Column("sent_op_id", sa.Integer(), nullable=False),
        sa.Column("closed_op_id", sa.Integer()),
        sa.CheckConstraint("status IN ('open', 'received')", name=op.f("ck_transfers_status")),
        _fk("transfers", "from_location_id", "locations"),
        _fk("transfers", "to_location_id", "locations"),
        _fk("transfers", "transit_location_id", "locations"),
        _fk("transfers", "sent_op_id", "operations"),
        _fk("transfers", "closed_op_id", "operations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index(op.f("ix_transfers_status_id"), "transfers", ["status", "id"], unique=False)
    op.create_table(
        "transfer_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("unit_id", sa.Integer()),
        sa.Column("qty", Exact(), nullable=False),
        sa.Column("received", Exact(), nullable=False, server_default="0"),
        sa.Column("missing", Exact(), nullable=False, server_default="0"),
        sa.CheckConstraint("qty > 0", name=op.f("ck_transfer_lines_qty_positive")),
        sa.CheckConstraint(
            "received >= 0 AND missing >= 0 AND received + missing <= qty",
            name=op.f("ck_transfer_lines_within"),
        ),
        _fk("transfer_lines", "transfer_id", "transfers"),
        _fk("transfer_lines", "item_id", "items"),
        _fk("transfer_lines", "lot_id", "lots"),
        _fk("transfer_lines", "unit_id", "units"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_lines")),
    )
    for column in ("transfer_id", "lot_id", "unit_id"):
        name = op.f(f"ix_transfer_lines_{column}")
        op.create_index(name, "transfer_lines", [column], unique=False)
    op.create_table(
        "transfer_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        _fk("transfer_receipts", "transfer_id", "transfers"),
        _fk("transfer_receipts", "operation_id", "operations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_receipts")),
    )
    op.create_index(
        op.f("ix_transfer_receipts_transfer_id"), "transfer_receipts", ["transfer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("transfer_receipts")
    op.drop_table("transfer_lines")
    op.drop_table("transfers")
    op.drop_table("inspections")
    op.drop_table("inspection_rules")
