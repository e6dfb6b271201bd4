"""ledger, master data and projections

Revision ID: 0001
Revises:
Create Date: 2026-11-25 03:33:03.887210
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracelot.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tracking", sa.String(length=10), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("uom", sa.String(length=16), server_default="EA", nullable=False),
        sa.Column("shelf_life_days", sa.Integer(), nullable=True),
        sa.Column(
            "standard_cost", tracelot.store.types.Exact(precision=20, scale=6), nullable=True
        ),
        sa.Column("created_at", tracelot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("tracking IN ('none', 'lot', 'serial')", name=op.f("ck_items_tracking")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("code", name=op.f("uq_items_code")),
        sa.UniqueConstraint("gtin", name=op.f("uq_items_gtin")),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("virtual", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", tracelot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["locations.id"], name=op.f("fk_locations_parent_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("code", name=op.f("uq_locations_code")),
        sa.UniqueConstraint("path", name=op.f("uq_locations_path")),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", tracelot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('supplier', 'customer')", name=op.f("ck_parties_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("code", name=op.f("uq_parties_code")),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", tracelot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", tracelot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_operations_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operations_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_operations_party_id"), ["party_id"], unique=False)

    op.create_table(
        "lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("made", sa.Date(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("supplier_lot", sa.String(length=64), nullable=True),
        sa.Column("unit_cost", tracelot.store.types.Exact(precision=20, scale=6), nullable=True),
        sa.Column("created_op_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_op_id"], ["operations.id"], name=op.f("fk_lots_created_op_id_operations")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_lots_item_id_items")),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["parties.id"], name=op.f("fk_lots_supplier_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
        sa.UniqueConstraint("item_id", "code", name=op.f("uq_lots_item_id_code")),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lots_supplier_id_supplier_lot"),
            ["supplier_id", "supplier_lot"],
            unique=False,
        )

    op.create_table(
        "stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("qty", tracelot.store.types.Exact(precision=20, scale=6), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_stock_item_id_items")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_stock_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_stock_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock")),
    )
    with op.batch_alter_table("stock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_location_id"), ["location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("made", sa.Date(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("supplier_lot", sa.String(length=64), nullable=True),
        sa.Column("unit_cost", tracelot.store.types.Exact(precision=20, scale=6), nullable=True),
        sa.Column("created_op_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_op_id"], ["operations.id"], name=op.f("fk_units_created_op_id_operations")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_units_item_id_items")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_units_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_units_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_units_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["parties.id"], name=op.f("fk_units_supplier_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("item_id", "serial", name=op.f("uq_units_item_id_serial")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_lot_id"), ["lot_id"], unique=False)

    # one balance per item, location and lot; a NULL lot counts as one value here
    op.create_index(
        "uq_stock_item_location_lot",
        "stock",
        ["item_id", "location_id", sa.text("coalesce(lot_id, 0)")],
        unique=True,
    )
    op.create_table(
        "genealogy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("parent_item_id", sa.Integer(), nullable=False),
        sa.Column("parent_unit_id", sa.Integer(), nullable=True),
        sa.Column("parent_lot_id", sa.Integer(), nullable=True),
        sa.Column("child_item_id", sa.Integer(), nullable=False),
        sa.Column("child_unit_id", sa.Integer(), nullable=True),
        sa.Column("child_lot_id", sa.Integer(), nullable=True),
        sa.Column("qty", tracelot.store.types.Exact(precision=20, scale=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_item_id"], ["items.id"], name=op.f("fk_genealogy_child_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["child_lot_id"], ["lots.id"], name=op.f("fk_genealogy_child_lot_id_lots")
        ),
        sa.ForeignKeyConstraint(
            ["child_unit_id"], ["units.id"], name=op.f("fk_genealogy_child_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_genealogy_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["parent_item_id"], ["items.id"], name=op.f("fk_genealogy_parent_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["parent_lot_id"], ["lots.id"], name=op.f("fk_genealogy_parent_lot_id_lots")
        ),
        sa.ForeignKeyConstraint(
            ["parent_unit_id"], ["units.id"], name=op.f("fk_genealogy_parent_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genealogy")),
    )
    with op.batch_alter_table("genealogy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_genealogy_child_item_id"), ["child_item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_genealogy_child_lot_id"), ["child_lot_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_genealogy_child_unit_id"), ["child_unit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_genealogy_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_genealogy_parent_lot_id"), ["parent_lot_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_genealogy_parent_unit_id"), ["parent_unit_id"], unique=False
        )

    op.create_table(
        "moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("qty", tracelot.store.types.Exact(precision=20, scale=6), nullable=False),
        sa.CheckConstraint(
            "from_location_id <> to_location_id", name=op.f("ck_moves_from_to_differ")
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_moves_qty_positive")),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"], name=op.f("fk_moves_from_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_moves_item_id_items")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_moves_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_moves_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_moves_to_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_moves_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moves")),
    )
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moves_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_moves_operation_id"), ["operation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_moves_unit_id"), ["unit_id"], unique=False)

    _forbid_changes("operations")
    _forbid_changes("moves")


def _forbid_changes(table: str) -> None:
    """The ledger is append-only: the database itself refuses UPDATE and DELETE."""
    message = f"the ledger is append-only: {table} rows are never changed or deleted"
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"""CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql"""
        )
        op.execute(
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"""
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"""CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        )


def downgrade() -> None:
    for table in ("moves", "operations"):
        if op.get_context().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION {table}_append_only()")
        else:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
    op.drop_index("uq_stock_item_location_lot", table_name="stock")
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moves_unit_id"))
        batch_op.drop_index(batch_op.f("ix_moves_operation_id"))
        batch_op.drop_index(batch_op.f("ix_moves_lot_id"))

    op.drop_table("moves")
    with op.batch_alter_table("genealogy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genealogy_parent_unit_id"))
        batch_op.drop_index(batch_op.f("ix_genealogy_parent_lot_id"))
        batch_op.drop_index(batch_op.f("ix_genealogy_operation_id"))
        batch_op.drop_index(batch_op.f("ix_genealogy_child_unit_id"))
        batch_op.drop_index(batch_op.f("ix_genealogy_child_lot_id"))
        batch_op.drop_index(batch_op.f("ix_genealogy_child_item_id"))

    op.drop_table("genealogy")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_lot_id"))

    op.drop_table("units")
    with op.batch_alter_table("stock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_lot_id"))
        batch_op.drop_index(batch_op.f("ix_stock_location_id"))

    op.drop_table("stock")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_supplier_id_supplier_lot"))

    op.drop_table("lots")
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operations_party_id"))
        batch_op.drop_index(batch_op.f("ix_operations_occurred_at"))

    op.drop_table("operations")
    op.drop_table("parties")
    op.drop_table("locations")
    op.drop_table("items")
