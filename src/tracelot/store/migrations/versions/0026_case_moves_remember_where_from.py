"""each case a move or shipment took along remembers where it was, so that a void of the
move or shipment takes the case back there with what it holds

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lu_moves") as batch:
        batch.add_column(sa.Column("from_location_id", sa.Integer()))
        batch.create_foreign_key(
            op.f("fk_lu_moves_from_location_id_locations"),
            "locations",
            ["from_location_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("lu_moves") as batch:
        batch.drop_constraint(op.f("fk_lu_moves_from_location_id_locations"), type_="foreignkey")
        batch.drop_column("from_location_id")
