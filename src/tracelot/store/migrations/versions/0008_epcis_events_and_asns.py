"""EPCIS: the events imported (to skip them the second time), and advance shipping
notices with their lines

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracelot.store.types import Exact, UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(300), nullable=False),
        sa.Column("supplier_id", sa.Integer()),
        sa.Column("sender", sa.String(300)),
        sa.Column("sscc", sa.String(18)),
        sa.Column("shipped_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("received_op_id", sa.Integer()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'received')", name=op.f("ck_asns_status")),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["parties.id"], name=op.f("fk_asns_supplier_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["received_op_id"], ["operations.id"], name=op.f("fk_asns_received_op_id_operations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asns")),
    )
    op.create_index(op.f("ix_asns_sscc"), "asns", ["sscc"])
    op.create_table(
        "asn_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asn_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(64)),
        sa.Column("serial", sa.String(64)),
        sa.Column("qty", Exact(), nullable=False),
        sa.Column("expires", sa.Date()),
        sa.Column("made", sa.Date()),
        sa.ForeignKeyConstraint(["asn_id"], ["asns.id"], name=op.f("fk_asn_lines_asn_id_asns")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_asn_lines_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asn_lines")),
    )
    op.create_index(op.f("ix_asn_lines_asn_id"), "asn_lines", ["asn_id"])
    op.create_table(
        "epcis_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(300), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("biz_step", sa.String(200)),
        sa.Column("event_time", UtcDateTime(), nullable=False),
        sa.Column("operation_id", sa.Integer()),
        sa.Column("asn_id", sa.Integer()),
        sa.Column("effect", sa.String(300), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_epcis_events_operation_id_operations"),
        ),
        sa.ForeignKeyConstraint(["asn_id"], ["asns.id"], name=op.f("fk_epcis_events_asn_id_asns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_epcis_events_event_id")),
    )


def downgrade() -> None:
    op.drop_table("epcis_events")
    op.drop_index(op.f("ix_asn_lines_asn_id"), table_name="asn_lines")
    op.drop_table("asn_lines")
    op.drop_index(op.f("ix_asns_sscc"), table_name="asns")
    op.drop_table("asns")
