"""units of measure and pack sizes: an item's packaging levels (box of 12, case of 144),
each with its quantity in the item's base unit and maybe a GTIN of its own; purchase
order lines in a pack unit with a price per pack

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import Exact, UtcDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("qty", Exact(), nullable=False),
        sa.Column("gtin", sa.String(14)),
        sa.Column("of_name", sa.String(32)),
        sa.Column("of_count", Exact()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("qty > 0", name=op.f("ck_item_packs_qty_positive")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name=op.f("fk_item_packs_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_packs")),
        sa.UniqueConstraint("gtin", name=op.f("uq_item_packs_gtin")),
        sa.UniqueConstraint("item_id", "name", name=op.f("uq_item_packs_item_id_name")),
    )  # fmt: skip
    # a purchase order line ordered in a pack: its name, its size then, and the price of one
    op.add_column("po_lines", sa.Column("pack", sa.String(32)))
    op.add_column("po_lines", sa.Column("pack_qty", Exact()))
    op.add_column("po_lines", sa.Column("pack_price", Exact()))


def downgrade() -> None:
    op.drop_column("po_lines", "pack_price")
    op.drop_column("po_lines", "pack_qty")
    op.drop_column("po_lines", "pack")
    op.drop_table("item_packs")
