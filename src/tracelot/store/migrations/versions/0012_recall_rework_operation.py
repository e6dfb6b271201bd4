"""A recall's `reworked` disposition names the repair (or build) that reworked the unit or
lot: `recall_items.rework_op_id`

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recall_items") as batch:  # SQLite: the table is rebuilt
        batch.add_column(sa.Column("rework_op_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_recall_items_rework_op_id_operations", "operations", ["rework_op_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("recall_items") as batch:
        batch.drop_column("rework_op_id")
