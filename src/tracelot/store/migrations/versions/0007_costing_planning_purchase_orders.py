"""costing (the value of each move, FIFO cost layers), planning attributes of items,
lead times per supplier, purchase orders and the receipts against them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import Exact, UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moves") as batch:
        batch.add_column(sa.Column("value", Exact()))
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("category", sa.String(64)))
        batch.add_column(sa.Column("supplier_id", sa.Integer()))
        batch.add_column(sa.Column("lead_time_days", sa.Integer()))
        batch.add_column(sa.Column("ordering_cost", Exact()))
        batch.add_column(sa.Column("holding_rate", Exact()))
        batch.add_column(sa.Column("min_qty", Exact()))
        batch.add_column(sa.Column("max_qty", Exact()))
        batch.add_column(sa.Column("pack_size", Exact()))
        batch.create_foreign_key(
            op.f("fk_items_supplier_id_parties"), "parties", ["supplier_id"], ["id"]
        )
    op.create_table(
        "cost_layers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer()),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer()),
        sa.Column("operation_id", sa.Integer()),
        sa.Column("qty_in", Exact(), nullable=False),
        sa.Column("qty_left", Exact(), nullable=False),
        sa.Column("unit_cost", Exact(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_cost_layers_item_id_items")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_cost_layers_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_cost_layers_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_cost_layers_operation_id_operations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_layers")),
    )
    op.create_index(
        op.f("ix_cost_layers_item_id_lot_id_id"), "cost_layers", ["item_id", "lot_id", "id"]
    )
    op.create_index(
        "ix_cost_layers_open",
        "cost_layers",
        ["item_id", "lot_id", "location_id"],
        sqlite_where=sa.text("qty_left > 0"),
        postgresql_where=sa.text("qty_left > 0"),
    )
    op.create_table(
        "item_suppliers",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("lead_time_days", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_suppliers_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["parties.id"], name=op.f("fk_item_suppliers_supplier_id_parties")
        ),
        sa.PrimaryKeyConstraint("item_id", "supplier_id", name=op.f("pk_item_suppliers")),
    )
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("expected", sa.Date()),
        sa.Column("note", sa.Text()),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("ordered_at", UtcDateTime()),
        sa.Column("closed_at", UtcDateTime()),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["parties.id"], name=op.f("fk_purchase_orders_supplier_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'closed')", name=op.f("ck_purchase_orders_status")
        ),
    )
    op.create_table(
        "po_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("qty", Exact(), nullable=False),
        sa.Column("price", Exact()),
        sa.Column("received", Exact(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["po_id"], ["purchase_orders.id"], name=op.f("fk_po_lines_po_id_purchase_orders")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_po_lines_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_po_lines")),
        sa.UniqueConstraint("po_id", "line_no", name=op.f("uq_po_lines_po_id_line_no")),
        sa.CheckConstraint("qty > 0", name=op.f("ck_po_lines_qty_positive")),
    )
    op.create_index(op.f("ix_po_lines_item_id"), "po_lines", ["item_id"])
    op.create_table(
        "po_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("qty", Exact(), nullable=False),
        sa.ForeignKeyConstraint(
            ["po_line_id"], ["po_lines.id"], name=op.f("fk_po_receipts_po_line_id_po_lines")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_po_receipts_operation_id_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_po_receipts")),
    )
    op.create_index(op.f("ix_po_receipts_po_line_id"), "po_receipts", ["po_line_id"])
    _backfill()


def _backfill() -> None:
    """Value the moves written before costing at the cost their unit, lot or item carries
    now, and give each balance of a lot or untracked item one cost layer of that cost."""
    op.execute(
        "UPDATE moves SET value = qty * COALESCE("
        "(SELECT unit_cost FROM units WHERE units.id = moves.unit_id),"
        "(SELECT unit_cost FROM lots WHERE lots.id = moves.lot_id),"
        "(SELECT standard_cost FROM items WHERE items.id = moves.item_id), 0)"
    )
    op.execute(
        "INSERT INTO cost_layers (item_id, lot_id, location_id, operation_id, qty_in, qty_left,"
        " unit_cost) SELECT s.item_id, s.lot_id, s.location_id, l.created_op_id, s.qty, s.qty,"
        " COALESCE(l.unit_cost, i.standard_cost, 0) "
        "FROM stock s JOIN items i ON i.id = s.item_id "
        "JOIN locations loc ON loc.id = s.location_id "
        "LEFT JOIN lots l ON l.id = s.lot_id "
        "WHERE i.tracking <> 'serial' AND NOT loc.virtual AND s.qty > 0"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_po_receipts_po_line_id"), table_name="po_receipts")
    op.drop_table("po_receipts")
    op.drop_index(op.f("ix_po_lines_item_id"), table_name="po_lines")
    op.drop_table("po_lines")
    op.drop_table("purchase_orders")
    op.drop_table("item_suppliers")
    op.drop_index("ix_cost_layers_open", table_name="cost_layers")
    op.drop_index(op.f("ix_cost_layers_item_id_lot_id_id"), table_name="cost_layers")
    op.drop_table("cost_layers")
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint(op.f("fk_items_supplier_id_parties"), type_="foreignkey")
        for column in ("pack_size", "max_qty", "min_qty", "holding_rate", "ordering_cost",
                       "lead_time_days", "supplier_id", "category"):  # fmt: skip
            batch.drop_column(column)
    with op.batch_alter_table("moves") as batch:
        batch.drop_column("value")
