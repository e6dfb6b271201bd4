"""each case a move or shipment took along remembers where it was, so that a void of the
move or shipment takes the case back there with what it holds; a case that an earlier
void left at the customer (or wherever the move took it) while what it holds came back
goes back to where its contents are

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
    _cases_left_behind(op.get_bind())


def _cases_left_behind(conn: sa.Connection) -> None:
    """Before 0026 a void of a move or shipment took the units back, not their case: each
    case at a virtual place (a customer) whose units are all at one real place goes there,
    naming no customer, then each pallet whose cases are all at one real place."""
    virtual = {r[0] for r in conn.execute(sa.text("SELECT id FROM locations WHERE virtual"))}
    while True:
        cases = dict(conn.execute(sa.text("SELECT id, location_id FROM logistic_units")).all())
        contents = conn.execute(sa.text(
            "SELECT c.lu_id, u.location_id, k.location_id FROM lu_contents c "
            "LEFT JOIN units u ON u.id = c.unit_id "
            "LEFT JOIN logistic_units k ON k.id = c.child_lu_id"
        )).all()  # fmt: skip
        places: dict[int, set[int | None]] = {}
        for lu_id, unit_place, child_place in contents:
            if cases[lu_id] in virtual:
                places.setdefault(lu_id, set()).add(unit_place or child_place)
        back = {lu_id: next(iter(p)) for lu_id, p in places.items()
                if len(p) == 1 and None not in p and not p & virtual}  # fmt: skip
        if not back:
            return
        for lu_id, place in back.items():
            conn.execute(
                sa.text(
                    "UPDATE logistic_units SET location_id = :place, party_id = NULL WHERE id = :id"
                ),
                {"place": place, "id": lu_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("lu_moves") as batch:
        batch.drop_constraint(op.f("fk_lu_moves_from_location_id_locations"), type_="foreignkey")
        batch.drop_column("from_location_id")
