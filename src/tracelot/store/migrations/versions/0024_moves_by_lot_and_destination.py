"""the moves of a lot by where they went (issue 24): what of a lot went back to its
supplier is found without reading every move of it (a lot consumed by ten thousand builds
has ten thousand); the index replaces the one on the lot alone, which it serves as well

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_moves_lot_id_to_location_id", "moves", ["lot_id", "to_location_id"])
    op.drop_index("ix_moves_lot_id", table_name="moves")


def downgrade() -> None:
    op.create_index("ix_moves_lot_id", "moves", ["lot_id"])
    op.drop_index("ix_moves_lot_id_to_location_id", table_name="moves")
