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
    naming no customer, then each pallet whose cases are all at one real place; a case of
    lot quantities alone goes where the voided operation took them from."""
    virtual = {r[0] for r in conn.execute(sa.text("SELECT id FROM locations WHERE virtual"))}
    while True:
        cases = dict(conn.execute(sa.text("SELECT id, location_id FROM logistic_units")).all())
        contents = conn.execute(sa.text(
            "SELECT c.lu_id, u.location_id, k.location_id FROM lu_contents c "
            "LEFT JOIN units u ON u.id = c.unit_id "
            "LEFT JOIN logistic_units k ON k.id = c.child_lu_id"
        )).all()  # fmt: skip
        places: dict[int, set[int]] = {}
        for lu_id, unit_place, child_place in contents:
            if cases[lu_id] in virtual:
                place = unit_place or child_place
                places.setdefault(lu_id, set()).update([place] if place else [])
        for lu_id, source in _lots_voided(conn).items():
            if cases[lu_id] in virtual and not places.get(lu_id):
                places[lu_id] = {source}
        back = {lu_id: next(iter(p)) for lu_id, p in places.items()
                if len(p) == 1 and not p & virtual}  # fmt: skip
        if not back:
            return
        for lu_id, place in back.items():
            conn.execute(
                sa.text(
                    "UPDATE logistic_units SET location_id = :place, party_id = NULL WHERE id = :id"
                ),
                {"place": place, "id": lu_id},
            )


def _lots_voided(conn: sa.Connection) -> dict[int, int]:
    """Cases of lot quantities whose last move or shipment was voided: the one place that
    operation took their lots from."""
    rows = conn.execute(sa.text(
        "SELECT c.lu_id, m.from_location_id FROM lu_contents c "
        "JOIN lu_moves lm ON lm.lu_id = c.lu_id AND lm.operation_id = "
        "  (SELECT MAX(operation_id) FROM lu_moves WHERE lu_id = c.lu_id) "
        "JOIN voids v ON v.voided_op_id = lm.operation_id "
        "JOIN moves m ON m.operation_id = lm.operation_id AND m.item_id = c.item_id "
        "  AND COALESCE(m.lot_id, 0) = COALESCE(c.lot_id, 0) AND m.unit_id IS NULL "
        "WHERE c.unit_id IS NULL AND c.child_lu_id IS NULL"
    )).all()  # fmt: skip
    found: dict[int, set[int]] = {}
    for lu_id, source in rows:
        found.setdefault(lu_id, set()).add(source)
    return {lu_id: next(iter(s)) for lu_id, s in found.items() if len(s) == 1}


def downgrade() -> None:
    with op.batch_alter_table("lu_moves") as batch:
        batch.drop_constraint(op.f("fk_lu_moves_from_location_id_locations"), type_="foreignkey")
        batch.drop_column("from_location_id")
