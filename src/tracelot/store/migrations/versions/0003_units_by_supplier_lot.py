"""units by supplier lot: tracing or recalling a supplier's lot of serialized units

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_units_supplier_id_supplier_lot"), "units", ["supplier_id", "supplier_lot"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_units_supplier_id_supplier_lot"), table_name="units")
