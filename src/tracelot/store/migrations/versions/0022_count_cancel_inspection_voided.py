"""A count can be cancelled (by whom, when, why); an inspection whose receipt was voided
is `voided`; the index of count scans by count alone goes (the unique index by count and
unit serves it)

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-03 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import UtcDateTime

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = {
    "counts": ("('open', 'posted')", "('open', 'posted', 'cancelled')"),
    "inspections": ("('waiting', 'passed', 'failed')", "('waiting', 'passed', 'failed', 'voided')"),
}


def _statuses(new: bool) -> None:
    for table, (old_set, new_set) in STATUSES.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_status"), type_="check")
            batch.create_check_constraint("status", f"status IN {new_set if new else old_set}")


def upgrade() -> None:
    op.drop_index(op.f("ix_count_scans_count_id"), table_name="count_scans")
    _statuses(new=True)
    with op.batch_alter_table("counts") as batch:
        batch.add_column(sa.Column("cancelled_at", UtcDateTime()))
        batch.add_column(sa.Column("cancelled_by", sa.String(100)))
        batch.add_column(sa.Column("cancel_reason", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("counts") as batch:
        for column in ("cancel_reason", "cancelled_by", "cancelled_at"):
            batch.drop_column(column)
    _statuses(new=False)
    op.create_index(op.f("ix_count_scans_count_id"), "count_scans", ["count_id"])
