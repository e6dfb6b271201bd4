"""holds, recalls and repairs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:19:40.342798
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracelot.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("roots", sa.Text(), nullable=False),
        sa.Column("opened_op_id", sa.Integer(), nullable=False),
        sa.Column("closed_op_id", sa.Integer(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_recalls_status")),
        sa.ForeignKeyConstraint(
            ["closed_op_id"], ["operations.id"], name=op.f("fk_recalls_closed_op_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["opened_op_id"], ["operations.id"], name=op.f("fk_recalls_opened_op_id_operations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recalls")),
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recall_id", sa.Integer(), nullable=True),
        sa.Column("placed_op_id", sa.Integer(), nullable=False),
        sa.Column("released_op_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_holds_item_id_items")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_holds_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["placed_op_id"], ["operations.id"], name=op.f("fk_holds_placed_op_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["recall_id"], ["recalls.id"], name=op.f("fk_holds_recall_id_recalls")
        ),
        sa.ForeignKeyConstraint(
            ["released_op_id"], ["operations.id"], name=op.f("fk_holds_released_op_id_operations")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_holds_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holds_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_holds_recall_id"), ["recall_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_holds_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "recall_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recall_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("qty", tracelot.store.types.Exact(precision=20, scale=6), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("shipment_ref", sa.String(length=200), nullable=True),
        sa.Column("shipment_date", tracelot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("needs_action", sa.Boolean(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("disposition_op_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["parties.id"], name=op.f("fk_recall_items_customer_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["disposition_op_id"],
            ["operations.id"],
            name=op.f("fk_recall_items_disposition_op_id_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_recall_items_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_recall_items_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_recall_items_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["recall_id"], ["recalls.id"], name=op.f("fk_recall_items_recall_id_recalls")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_recall_items_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_items")),
    )
    with op.batch_alter_table("recall_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recall_items_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recall_items_recall_id"), ["recall_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recall_items_unit_id"), ["unit_id"], unique=False)

    with op.batch_alter_table("genealogy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_op_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_genealogy_removed_op_id_operations"),
            "operations",
            ["removed_op_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("genealogy", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_genealogy_removed_op_id_operations"), type_="foreignkey"
        )
        batch_op.drop_column("removed_op_id")

    with op.batch_alter_table("recall_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recall_items_unit_id"))
        batch_op.drop_index(batch_op.f("ix_recall_items_recall_id"))
        batch_op.drop_index(batch_op.f("ix_recall_items_lot_id"))

    op.drop_table("recall_items")
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holds_unit_id"))
        batch_op.drop_index(batch_op.f("ix_holds_recall_id"))
        batch_op.drop_index(batch_op.f("ix_holds_lot_id"))

    op.drop_table("holds")
    op.drop_table("recalls")
