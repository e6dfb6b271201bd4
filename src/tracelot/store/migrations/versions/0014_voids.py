"""Voids: each operation voided, by which operation of kind `void`, and why (one void an
operation: a unique index makes the second of two racing voids fail)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("void_op_id", sa.Integer(), nullable=False),
        sa.Column("voided_op_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["void_op_id"], ["operations.id"], name=op.f("fk_voids_void_op_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["voided_op_id"], ["operations.id"], name=op.f("fk_voids_voided_op_id_operations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voids")),
        sa.UniqueConstraint("void_op_id", name=op.f("uq_voids_void_op_id")),
        sa.UniqueConstraint("voided_op_id", name=op.f("uq_voids_voided_op_id")),
    )


def downgrade() -> None:
    op.drop_table("voids")
