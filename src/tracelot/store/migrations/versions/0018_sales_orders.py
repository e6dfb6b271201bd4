"""sales orders: their lines, the stock reserved for them, what was picked for them and
their shipments

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import Exact, UtcDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, other: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{other}.id"], name=op.f(f"fk_{table}_{column}_{other}")
    )


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "sales_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ship_by", sa.Date()),
        sa.Column("reference", sa.String(200)),
        sa.Column("note", sa.Text()),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("confirmed_at", UtcDateTime()),
        sa.Column("closed_at", UtcDateTime()),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'partly_shipped', 'shipped', 'cancelled')",
            name=op.f("ck_sales_orders_status"),
        ),
        _fk("sales_orders", "customer_id", "parties"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_orders")),
    )
    _index("sales_orders", "status", "id")
    op.create_table(
        "so_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("so_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("qty", Exact(), nullable=False),
        sa.Column("price", Exact()),
        sa.Column("shipped", Exact(), nullable=False, server_default="0"),
        sa.CheckConstraint("qty > 0", name=op.f("ck_so_lines_qty_positive")),
        sa.CheckConstraint(
            "shipped >= 0 AND shipped <= qty", name=op.f("ck_so_lines_shipped_within")
        ),
        _fk("so_lines", "so_id", "sales_orders"),
        _fk("so_lines", "item_id", "items"),
        _fk("so_lines", "lot_id", "lots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_so_lines")),
        sa.UniqueConstraint("so_id", "line_no", name=op.f("uq_so_lines_so_id_line_no")),
    )
    _index("so_lines", "item_id")
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("so_id", sa.Integer(), nullable=False),
        sa.Column("so_line_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("unit_id", sa.Integer()),
        sa.Column("qty", Exact(), nullable=False),
        sa.CheckConstraint("qty > 0", name=op.f("ck_reservations_qty_positive")),
        _fk("reservations", "so_id", "sales_orders"),
        _fk("reservations", "so_line_id", "so_lines"),
        _fk("reservations", "item_id", "items"),
        _fk("reservations", "location_id", "locations"),
        _fk("reservations", "lot_id", "lots"),
        _fk("reservations", "unit_id", "units"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_reservations_unit_id")),
    )
    _index("reservations", "so_id")
    _index("reservations", "so_line_id")
    _index("reservations", "item_id", "location_id")
    op.create_table(
        "so_picks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("so_id", sa.Integer(), nullable=False),
        sa.Column("so_line_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("unit_id", sa.Integer()),
        sa.Column("qty", Exact(), nullable=False),
        sa.Column("picked_at", UtcDateTime(), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("shipped_op_id", sa.Integer()),
        sa.CheckConstraint("qty > 0", name=op.f("ck_so_picks_qty_positive")),
        _fk("so_picks", "so_id", "sales_orders"),
        _fk("so_picks", "so_line_id", "so_lines"),
        _fk("so_picks", "item_id", "items"),
        _fk("so_picks", "location_id", "locations"),
        _fk("so_picks", "lot_id", "lots"),
        _fk("so_picks", "unit_id", "units"),
        _fk("so_picks", "shipped_op_id", "operations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_so_picks")),
    )
    _index("so_picks", "so_id")
    op.create_table(
        "so_shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("so_line_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("qty", Exact(), nullable=False),
        _fk("so_shipments", "so_line_id", "so_lines"),
        _fk("so_shipments", "operation_id", "operations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_so_shipments")),
    )
    _index("so_shipments", "so_line_id")
    _index("so_shipments", "operation_id")


def downgrade() -> None:
    for table in ("so_shipments", "so_picks", "reservations", "so_lines", "sales_orders"):
        op.drop_table(table)
