"""Replaying the ledger: rebuild the projections in memory and compare, check conservation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, func, literal, select, union_all

from tracelot.domain.status import LocationKind
from tracelot.domain.values import normalize
from tracelot.services import packed
from tracelot.store import reach
from tracelot.store.tables import (
    cost_layers,
    items,
    locations,
    lots,
    moves,
    operations,
    stock,
    units,
    voids,
)


@dataclass
class VerifyReport:
    operations: int = 0
    moves: int = 0
    units: int = 0
    balances: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "operations": self.operations,
            "moves": self.moves,
            "units": self.units,
            "balances": self.balances,
            "problems": self.problems,
        }


def verify(conn: Connection, *, limit: int = 100) -> VerifyReport:
    """Check every invariant that the ledger and the projections must satisfy."""
    report = VerifyReport(
        operations=conn.execute(select(func.count()).select_from(operations)).scalar_one(),
        moves=conn.execute(select(func.count()).select_from(moves)).scalar_one(),
        units=conn.execute(select(func.count()).select_from(units)).scalar_one(),
    )
    names = _Names(conn)
    projected = _check_balances(conn, report, names)
    _check_cost_layers(conn, report, names, projected)
    _check_units(conn, report, names)
    _check_voids(conn, report)
    _check_transit(conn, report, names)
    _check_reservations(conn, report, names)
    report.problems += packed.problems(conn)  # a case's contents are where the case is
    report.problems += reach.problems(conn)  # the genealogy's closure is what its links make
    del report.problems[limit:]
    return report


class _Names:
    def __init__(self, conn: Connection) -> None:
        self.items = dict(conn.execute(select(items.c.id, items.c.code)).all())
        self.locations = dict(conn.execute(select(locations.c.id, locations.c.path)).all())
        self.virtual = set(
            conn.execute(select(locations.c.id).where(locations.c.virtual)).scalars()
        )
        self.conn = conn

    def ref(self, item_id: int, lot_id: int | None) -> str:
        if lot_id is None:
            return self.items[item_id]
        lot = self.conn.execute(select(lots.c.code).where(lots.c.id == lot_id)).scalar_one()
        return f"{self.items[item_id]}@{lot}"


Balances = dict[tuple[int, int, int | None], Decimal]


def _check_balances(conn: Connection, report: VerifyReport, names: _Names) -> Balances:
    signed = union_all(
        select(moves.c.item_id, moves.c.lot_id, moves.c.to_location_id.label("loc"), moves.c.qty),
        select(
            moves.c.item_id,
            moves.c.lot_id,
            moves.c.from_location_id.label("loc"),
            (literal(0) - moves.c.qty).label("qty"),
        ),
    ).subquery()
    replayed = {
        (r.item_id, r.loc, r.lot_id): Decimal(r.qty)
        for r in conn.execute(
            select(
                signed.c.item_id, signed.c.loc, signed.c.lot_id, func.sum(signed.c.qty).label("qty")
            ).group_by(signed.c.item_id, signed.c.loc, signed.c.lot_id)
        )
        if r.qty != 0
    }
    projected = {
        (r.item_id, r.location_id, r.lot_id): r.qty
        for r in conn.execute(
            select(stock.c.item_id, stock.c.location_id, stock.c.lot_id, stock.c.qty)
        )
        if r.qty != 0
    }
    report.balances = len(projected)
    for key in sorted(set(replayed) | set(projected), key=lambda k: (k[0], k[1], k[2] or 0)):
        want, have = replayed.get(key, Decimal(0)), projected.get(key, Decimal(0))
        item_id, loc, lot_id = key
        where = f"{names.ref(item_id, lot_id)} at {names.locations[loc]}"
        if want != have:
            report.problems.append(
                f"balance of {where}: ledger says {normalize(want)}, "
                f"projection says {normalize(have)}"
            )
        if loc not in names.virtual and want < 0:
            report.problems.append(f"negative balance of {where}: {normalize(want)}")
    totals: dict[tuple[int, int | None], Decimal] = {}
    for (item_id, _loc, lot_id), qty in projected.items():
        totals[(item_id, lot_id)] = totals.get((item_id, lot_id), Decimal(0)) + qty
    for (item_id, lot_id), total in sorted(
        totals.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
    ):
        if total != 0:
            report.problems.append(
                f"conservation: {names.ref(item_id, lot_id)} nets to {normalize(total)} "
                "over all locations"
            )
    return projected


def _check_cost_layers(
    conn: Connection, report: VerifyReport, names: _Names, projected: Balances
) -> None:
    """The open cost layers of each lot or untracked item at a location hold its balance
    there."""
    layered: Balances = {}
    for r in conn.execute(
        select(
            cost_layers.c.item_id,
            cost_layers.c.location_id,
            cost_layers.c.lot_id,
            func.sum(cost_layers.c.qty_left).label("qty"),
        )
        .where(cost_layers.c.qty_left > 0)
        .group_by(cost_layers.c.item_id, cost_layers.c.location_id, cost_layers.c.lot_id)
    ):
        key = (r.item_id, r.location_id, r.lot_id)
        layered[key] = Decimal(r.qty)
    serial_items = set(
        conn.execute(select(items.c.id).where(items.c.tracking == "serial")).scalars()
    )
    on_hand = {
        key: qty
        for key, qty in projected.items()
        if key[1] not in names.virtual and key[0] not in serial_items
    }
    for key in sorted(set(on_hand) | set(layered), key=lambda k: (k[0], k[1], k[2] or 0)):
        want, have = on_hand.get(key, Decimal(0)), layered.get(key, Decimal(0))
        if want != have:
            item_id, loc, lot_id = key
            report.problems.append(
                f"cost layers of {names.ref(item_id, lot_id)} at {names.locations[loc]} "
                f"hold {normalize(have)}, the balance is {normalize(want)}"
            )


def _check_units(conn: Connection, report: VerifyReport, names: _Names) -> None:
    """Each unit is where its last move took it; its moves form one unbroken chain."""
    ordered = (
        select(
            moves.c.unit_id,
            moves.c.id,
            moves.c.qty,
            moves.c.from_location_id,
            moves.c.to_location_id,
            func.lag(moves.c.to_location_id)
            .over(partition_by=moves.c.unit_id, order_by=moves.c.id)
            .label("prev_to"),
            func.row_number()
            .over(partition_by=moves.c.unit_id, order_by=moves.c.id.desc())
            .label("from_end"),
        )
        .where(moves.c.unit_id.is_not(None))
        .subquery()
    )
    broken = conn.execute(
        select(
            ordered.c.unit_id,
            ordered.c.id,
            ordered.c.qty,
            ordered.c.prev_to,
            ordered.c.from_location_id,
        )
        .where(
            (ordered.c.qty != 1)
            | (ordered.c.prev_to.is_not(None) & (ordered.c.prev_to != ordered.c.from_location_id))
        )
        .limit(100)
    ).all()
    for r in broken:
        source = names.locations[r.from_location_id]
        report.problems.append(
            f"unit #{r.unit_id}: move {r.id} takes {r.qty} from {source}"
            f" but it was at {names.locations.get(r.prev_to, '?')}"
        )
    # each unit's last move from one pass of the window above, set beside the units in
    # Python: joined in SQL, PostgreSQL with statistics from before a big receipt chose a
    # nested loop that re-ran the window for every unit (150,000 units: minutes)
    last_to = dict(
        conn.execute(
            select(ordered.c.unit_id, ordered.c.to_location_id).where(ordered.c.from_end == 1)
        ).all()
    )
    misplaced = []
    for unit in conn.execute(
        select(units.c.id, units.c.serial, units.c.item_id, units.c.location_id)
    ):
        to = last_to.get(unit[0])
        if to is None or to != unit[3]:
            misplaced.append(SimpleNamespace(id=unit[0], serial=unit[1], item_id=unit[2],
                                             location_id=unit[3], to_location_id=to))  # fmt: skip
            if len(misplaced) == 100:
                break
    for r in misplaced:
        ref = f"{names.items[r.item_id]}:{r.serial}"
        if r.to_location_id is None:
            report.problems.append(f"unit {ref} has no move in the ledger")
        else:
            report.problems.append(
                f"unit {ref}: ledger puts it at {names.locations[r.to_location_id]}, "
                f"projection at {names.locations[r.location_id]}"
            )

    # a unit at the customer names its customer, one sent back may name its supplier (a
    # partner's units announced by EPCIS are at SUPPLIER naming no one), no other one does
    def kinds(*wanted: LocationKind) -> Any:
        return select(locations.c.id).where(locations.c.kind.in_([k.value for k in wanted]))

    at_customer = units.c.location_id.in_(kinds(LocationKind.CUSTOMER))
    outside = units.c.location_id.in_(kinds(LocationKind.CUSTOMER, LocationKind.SUPPLIER))
    named = units.c.party_id.is_not(None)
    wrong_party = conn.execute(
        select(func.count()).select_from(units).where((at_customer & ~named) | (named & ~outside))
    ).scalar_one()
    if wrong_party:
        report.problems.append(
            f"{wrong_party} units name a customer or supplier but are not with them, "
            "or the other way"
        )


def _check_voids(conn: Connection, report: VerifyReport) -> None:
    """Each void is of kind `void`, and its lines are its original's, each the other way
    (the same item, lot, unit and quantity): summed with opposite signs, they cancel."""
    wrong = conn.execute(
        select(voids.c.void_op_id)
        .join(operations, operations.c.id == voids.c.void_op_id)
        .where(operations.c.kind != "void")
        .order_by(voids.c.void_op_id)
        .limit(100)
    ).scalars()
    for op_id in wrong:
        report.problems.append(f"operation {op_id} voids another but is no void")
    signed = union_all(
        select(voids.c.voided_op_id.label("op"), moves.c.item_id, moves.c.lot_id,
               moves.c.unit_id, moves.c.from_location_id.label("a"),
               moves.c.to_location_id.label("b"), moves.c.qty)
        .join(moves, moves.c.operation_id == voids.c.voided_op_id),
        select(voids.c.voided_op_id.label("op"), moves.c.item_id, moves.c.lot_id,
               moves.c.unit_id, moves.c.to_location_id.label("a"),
               moves.c.from_location_id.label("b"), (literal(0) - moves.c.qty).label("qty"))
        .join(moves, moves.c.operation_id == voids.c.void_op_id),
    ).subquery()  # fmt: skip
    keys = (signed.c.op, signed.c.item_id, signed.c.lot_id, signed.c.unit_id, signed.c.a,
            signed.c.b)  # fmt: skip
    unbalanced = conn.execute(
        select(signed.c.op)
        .group_by(*keys)
        .having(func.sum(signed.c.qty) != 0)
        .order_by(signed.c.op)
        .limit(100)
    ).scalars()
    for op_id in sorted(set(unbalanced)):
        report.problems.append(f"the void of operation {op_id} does not undo its lines exactly")


def _check_transit(conn: Connection, report: VerifyReport, names: _Names) -> None:
    """What is in transit is what the open transfers still carry (issue 19)."""
    from tracelot.store.tables import transfer_lines, transfers

    transit = [r.id for r in conn.execute(
        select(locations.c.id).where(locations.c.kind == LocationKind.TRANSIT.value)
    )]  # fmt: skip
    there: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    if transit:
        for r in conn.execute(
            select(stock.c.item_id, stock.c.lot_id, stock.c.qty).where(
                stock.c.location_id.in_(transit)
            )
        ):
            there[(r.item_id, r.lot_id)] += Decimal(r.qty)
    carried: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    left = transfer_lines.c.qty - transfer_lines.c.received - transfer_lines.c.missing
    for r in conn.execute(
        select(transfer_lines.c.item_id, transfer_lines.c.lot_id, left.label("left"))
        .join(transfers, transfers.c.id == transfer_lines.c.transfer_id)
        .where(transfers.c.status == "open")
    ):
        carried[(r.item_id, r.lot_id)] += Decimal(r.left)
    for key in sorted(set(there) | set(carried), key=lambda k: (k[0], k[1] or 0)):
        if there.get(key, Decimal(0)) != carried.get(key, Decimal(0)):
            report.problems.append(
                f"in transit: {normalize(there.get(key, Decimal(0)))} of "
                f"{names.ref(*key)}, but open transfers carry "
                f"{normalize(carried.get(key, Decimal(0)))}"
            )


def _check_reservations(conn: Connection, report: VerifyReport, names: _Names) -> None:
    """Reservations never exceed what is on hand where they are; a reserved unit is there
    (issue 20)."""
    from tracelot.store.tables import reservations, units

    reserved: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    for r in conn.execute(select(reservations.c.item_id, reservations.c.location_id,
                                 reservations.c.lot_id, reservations.c.qty)):  # fmt: skip
        reserved[(r.item_id, r.location_id, r.lot_id)] += Decimal(r.qty)
    if not reserved:
        return
    on_hand = {
        (r.item_id, r.location_id, r.lot_id): Decimal(r.qty)
        for r in conn.execute(
            select(stock.c.item_id, stock.c.location_id, stock.c.lot_id, stock.c.qty).where(
                stock.c.qty > 0
            )
        )  # fmt: skip
    }
    for key in sorted(reserved, key=lambda k: (k[0], k[1], k[2] or 0)):
        there = on_hand.get(key, Decimal(0))
        if reserved[key] > there:
            item_id, location_id, lot_id = key
            place = names.locations.get(location_id)
            report.problems.append(
                f"reserved: {normalize(reserved[key])} of {names.ref(item_id, lot_id)} at "
                f"{place}, but {normalize(there)} on hand there"
            )
    for unit_id, serial in conn.execute(
        select(units.c.id, units.c.serial)
        .join(reservations, reservations.c.unit_id == units.c.id)
        .where(units.c.location_id != reservations.c.location_id)
        .order_by(units.c.id)
    ):
        report.problems.append(f"reserved: unit {serial} (id {unit_id}) is not where it is "
                               "reserved")  # fmt: skip
