"""Parties' contact details, and the recall notices written and sent to customers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN on both databases (no table rebuild under the parties' references)
    op.add_column("parties", sa.Column("contact_name", sa.String(200)))
    op.add_column("parties", sa.Column("email", sa.String(320)))
    op.add_column("parties", sa.Column("phone", sa.String(64)))
    op.add_column("parties", sa.Column("address", sa.Text()))
    op.create_table(
        "recall_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recall_id", sa.Integer(), sa.ForeignKey("recalls.id"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("written_at", UtcDateTime()),
        sa.Column("written_by", sa.String(100)),
        sa.Column("sent_at", UtcDateTime()),
        sa.Column("sent_by", sa.String(100)),
        sa.Column("sent_to", sa.String(320)),
        sa.Column("claimed_at", UtcDateTime()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed_at", UtcDateTime()),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recall_id", "customer_id"),
    )


def downgrade() -> None:
    op.drop_table("recall_notices")
    with op.batch_alter_table("parties") as batch:
        for column in ("address", "phone", "email", "contact_name"):
            batch.drop_column(column)
