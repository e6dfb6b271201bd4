"""an item's GTINs (its own and its suppliers'), a location's GLN: what scans name

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_gtins",
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_gtins_item_id_items")
        ),
        sa.PrimaryKeyConstraint("gtin", name=op.f("pk_item_gtins")),
    )
    op.create_index(op.f("ix_item_gtins_item_id"), "item_gtins", ["item_id"])
    op.execute(
        "INSERT INTO item_gtins (gtin, item_id) SELECT gtin, id FROM items WHERE gtin IS NOT NULL"
    )
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("gln", sa.String(13)))
        batch.create_unique_constraint(op.f("uq_locations_gln"), ["gln"])


def downgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.drop_constraint(op.f("uq_locations_gln"), type_="unique")
        batch.drop_column("gln")
    op.drop_index(op.f("ix_item_gtins_item_id"), table_name="item_gtins")
    op.drop_table("item_gtins")
