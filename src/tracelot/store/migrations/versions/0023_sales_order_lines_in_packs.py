"""sales order lines in a pack unit with a price per pack (issue 20, point 4), as
purchase order lines have been since 0020

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import Exact

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a sales order line ordered in a pack: its name, its size then, and the price of one
    op.add_column("so_lines", sa.Column("pack", sa.String(32)))
    op.add_column("so_lines", sa.Column("pack_qty", Exact()))
    op.add_column("so_lines", sa.Column("pack_price", Exact()))


def downgrade() -> None:
    op.drop_column("so_lines", "pack_price")
    op.drop_column("so_lines", "pack_qty")
    op.drop_column("so_lines", "pack")
