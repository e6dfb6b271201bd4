"""A recall's disposition may be `returned-to-supplier`, and an affected item's status
`returned_to_supplier`: the columns are widened

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recall_items") as batch:
        batch.alter_column(
            "disposition", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=True
        )
        batch.alter_column(
            "status", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recall_items") as batch:
        batch.alter_column(
            "disposition", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=True
        )
        batch.alter_column(
            "status", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False
        )
