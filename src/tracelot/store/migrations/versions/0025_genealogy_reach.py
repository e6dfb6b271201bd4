"""what each unit and lot reached forward through the genealogy, kept as rows (issue 24):
a forward trace of a supplier's lot reads its reach by key instead of walking the links;
filled here from the links already written

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store import reach

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "genealogy_reach",
        sa.Column("from_kind", sa.String(4), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("to_kind", sa.String(4), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "from_kind", "from_id", "to_kind", "to_id", name=op.f("pk_genealogy_reach")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_genealogy_reach_to", "genealogy_reach", ["to_kind", "to_id"])
    reach.fill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_genealogy_reach_to", table_name="genealogy_reach")
    op.drop_table("genealogy_reach")
