"""The data set of the trace benchmarks: an electronics plant with a four-level bill of
materials, and how it is generated.

    level 1, purchased   CHIP (serial, received in supplier lots W0001...), RESIN and CAP
                         (lot-tracked: one tracelot lot per supplier lot), SENSOR, COIL,
                         CASE (serial), SCREW (untracked)
    level 2              BOARD  = 8 CHIP + 1 RESIN        PSUB = 2 CHIP + 2 CAP
    level 3              MODULE = BOARD + SENSOR          PSU  = PSUB + COIL
    level 4              DEVICE = MODULE + PSU + CASE + 4 SCREW

Five builds per device. Devices are made in work orders: the boards of the order, then
its power boards, modules, power supplies and devices. One RESIN lot feeds `resin_lot`
consecutive boards, so one supplier lot reaches that many finished devices. Three devices
in four are shipped, in shipments of `shipment` devices to twenty customers.

Receipts and shipments go through the Python API. Builds go through the API
(`Tracelot.build`, one operation each) for the last `api_orders` work orders, and through
`FixtureBuilds` for the others.

FIXTURE GENERATOR. `FixtureBuilds` is not the API. It writes what `Tracelot.build` writes
for a whole level of a work order at once: the operations, the consumption and output
moves, the output units, the genealogy links (through tracelot's tables), the unit
projection (`services.ledger.move_units`) and the balances
(`services.ledger.apply_stock_deltas`), valuing the lines as the API does
(`services.costing.cost_lines`, which takes the cost layers). It covers only what this
plant needs (no expiry, no holds, each lot or untracked item at one location).
`fidelity_check` builds the same small plant both ways and compares every row;
`tracelot.verify()` then checks the ledger of the whole data set against its projections.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, text

import tracelot
from tracelot.domain.refs import parse_consume
from tracelot.services.costing import cost_lines, money
from tracelot.services.ledger import Line, apply_stock_deltas, move_units, now
from tracelot.store import reach
from tracelot.store.engine import transaction
from tracelot.store.tables import genealogy, items, lots, moves, operations, units

LEVELS = ("BOARD", "PSUB", "MODULE", "PSU", "DEVICE")
INPUTS = {"BOARD": 9, "PSUB": 3, "MODULE": 2, "PSU": 2, "DEVICE": 4}
CUSTOMERS = [f"CUST{i:02d}" for i in range(1, 21)]


@dataclass(frozen=True)
class Sizes:
    devices: int
    order: int  # devices per work order
    chips: int  # CHIP units received (the boards use 10 per device; the rest stay in stock)
    chip_receipt: int  # CHIP units per receipt (one supplier lot each)
    resin_lot: int  # boards per RESIN lot: the devices one supplier lot reaches
    cap_lot: int  # power boards per CAP lot
    api_orders: int  # work orders built through the API (the last ones)
    shipment: int  # devices per shipment

    @property
    def builds(self) -> int:
        return 5 * self.devices

    @property
    def orders(self) -> int:
        return -(-self.devices // self.order)


FULL = Sizes(40_000, 1_000, 800_000, 50_000, 10_000, 5_000, 1, 1_000)
QUICK = Sizes(400, 100, 8_000, 2_000, 100, 50, 1, 100)


@dataclass(frozen=True)
class Build:
    item: str
    serial: str
    to: str
    consume: tuple[str, ...]


def serial(item: str, n: int) -> str:
    """The serial of the n-th (1-based) unit of an item."""
    if item == "CHIP":
        return f"C{n:07d}"
    prefix = {
        "SENSOR": "S",
        "COIL": "L",
        "CASE": "K",
        "BOARD": "B",
        "PSUB": "P",
        "MODULE": "M",
        "PSU": "W",
        "DEVICE": "D",
    }[item]
    return f"{prefix}{n:06d}"


def resin_lot(sizes: Sizes, board: int) -> int:
    return board // sizes.resin_lot + 1


def order_builds(sizes: Sizes, k: int) -> list[list[Build]]:
    """The builds of work order k, level by level (boards first, devices last)."""
    first, last = k * sizes.order, min((k + 1) * sizes.order, sizes.devices)
    psub_chips = 8 * sizes.devices
    out: dict[str, list[Build]] = {name: [] for name in LEVELS}
    for i in range(first, last):
        n = i + 1
        chips = [f"CHIP:{serial('CHIP', 8 * i + j)}" for j in range(1, 9)]
        out["BOARD"].append(
            Build(
                "BOARD", serial("BOARD", n), "LINE", (*chips, f"RESIN@R{resin_lot(sizes, i):02d}=1")
            )
        )
        chips = [f"CHIP:{serial('CHIP', psub_chips + 2 * i + j)}" for j in (1, 2)]
        cap = i // sizes.cap_lot + 1
        out["PSUB"].append(Build("PSUB", serial("PSUB", n), "LINE", (*chips, f"CAP@C{cap:02d}=2")))
        out["MODULE"].append(
            Build(
                "MODULE",
                serial("MODULE", n),
                "LINE",
                (f"BOARD:{serial('BOARD', n)}", f"SENSOR:{serial('SENSOR', n)}"),
            )
        )
        out["PSU"].append(
            Build(
                "PSU",
                serial("PSU", n),
                "LINE",
                (f"PSUB:{serial('PSUB', n)}", f"COIL:{serial('COIL', n)}"),
            )
        )
        out["DEVICE"].append(
            Build(
                "DEVICE",
                serial("DEVICE", n),
                "FG",
                (
                    f"MODULE:{serial('MODULE', n)}",
                    f"PSU:{serial('PSU', n)}",
                    f"CASE:{serial('CASE', n)}",
                    "SCREW=4",
                ),
            )
        )
    return [out[name] for name in LEVELS]


def master_data(tl: tracelot.Tracelot) -> None:
    tl.add_location("WH", kind="warehouse")
    tl.add_location("LINE", kind="production")
    tl.add_location("FG", kind="warehouse")
    for code, name in (
        ("CHIPCO", "Chip Co"),
        ("RESCO", "Resin Co"),
        ("CAPCO", "Cap Co"),
        ("PARTCO", "Parts Co"),
    ):
        tl.add_party(code, name=name, kind="supplier")
    for code in CUSTOMERS:
        tl.add_party(code, name=f"Customer {code[-2:]}", kind="customer")
    for code, tracking, cost in (
        ("CHIP", "serial", None),
        ("RESIN", "lot", None),
        ("CAP", "lot", None),
        ("SENSOR", "serial", None),
        ("COIL", "serial", None),
        ("CASE", "serial", None),
        ("SCREW", "none", "0.01"),
        ("BOARD", "serial", None),
        ("PSUB", "serial", None),
        ("MODULE", "serial", None),
        ("PSU", "serial", None),
        ("DEVICE", "serial", None),
    ):
        tl.add_item(code, name=code.title(), tracking=tracking, cost=cost)


def receive_all(tl: tracelot.Tracelot, sizes: Sizes) -> int:
    """Every purchased component, through the API; returns the number of receipts."""
    receipts = 0
    for start in range(1, sizes.chips + 1, sizes.chip_receipt):
        end = min(start + sizes.chip_receipt - 1, sizes.chips)
        k = start // sizes.chip_receipt + 1
        tl.receive(
            "CHIP",
            to="WH",
            serials=f"{serial('CHIP', start)}..{serial('CHIP', end)}",
            supplier="CHIPCO",
            supplier_lot=f"W{k:04d}",
            cost="0.35",
        )
        receipts += 1
    for item, cost in (("SENSOR", "2.10"), ("COIL", "0.80"), ("CASE", "3.00")):
        tl.receive(
            item,
            to="WH",
            serials=f"{serial(item, 1)}..{serial(item, sizes.devices)}",
            supplier="PARTCO",
            cost=cost,
        )
        receipts += 1
    for k in range(1, resin_lot(sizes, sizes.devices - 1) + 1):
        tl.receive(
            "RESIN",
            to="WH",
            lot=f"R{k:02d}",
            qty=sizes.resin_lot + 50,
            supplier="RESCO",
            supplier_lot=f"RS-{k:04d}",
            cost="0.125",
        )
        receipts += 1
    for k in range(1, (sizes.devices - 1) // sizes.cap_lot + 2):
        tl.receive(
            "CAP",
            to="WH",
            lot=f"C{k:02d}",
            qty=2 * sizes.cap_lot + 100,
            supplier="CAPCO",
            supplier_lot=f"CP-{k:04d}",
            cost="0.02",
        )
        receipts += 1
    tl.receive("SCREW", to="WH", qty=4 * sizes.devices + 1_000)
    return receipts + 1


def api_builds(tl: tracelot.Tracelot, builds: list[Build]) -> None:
    for b in builds:
        tl.build(b.item, to=b.to, serial=b.serial, consume=list(b.consume))


def ship_all(tl: tracelot.Tracelot, sizes: Sizes) -> int:
    """Three devices in four, in shipments to the customers in turn; returns the count."""
    shipped = [serial("DEVICE", i + 1) for i in range(sizes.devices) if i % 4 != 3]
    for k, start in enumerate(range(0, len(shipped), sizes.shipment)):
        refs = [f"DEVICE:{s}" for s in shipped[start : start + sizes.shipment]]
        tl.ship(*refs, to=CUSTOMERS[k % len(CUSTOMERS)], reference=f"SO-{k + 1:05d}")
    return len(shipped)


# -- the fixture generator ----------------------------------------------------------------


class FixtureBuilds:
    """FIXTURE GENERATOR (see the module's docstring): writes the rows that `Tracelot.build`
    would write for many builds at once, through tracelot's tables and ledger functions."""

    def __init__(self, tl: tracelot.Tracelot) -> None:
        self.tl = tl
        with transaction(tl.engine, write=False) as conn:
            self.items = {r.code: r for r in conn.execute(select(items))}
            self.loc = dict(conn.execute(text("SELECT code, id FROM locations")).all())
        for row in self.items.values():
            if row.shelf_life_days:
                raise NotImplementedError("the fixture generator does not derive expiries")

    def build(self, builds: list[Build]) -> None:
        """One level of a work order (no build may consume another build of the same call)."""
        with transaction(self.tl.engine, write=True) as conn:
            self._build(conn, builds)

    def _build(self, conn: Connection, builds: list[Build]) -> None:
        production = self.loc["PRODUCTION"]
        specs = [[parse_consume(c) for c in b.consume] for b in builds]
        unit_rows = self._units(conn, [ref for spec in specs for ref, _ in spec])
        stock_at = self._stock(conn, [ref for spec in specs for ref, _ in spec])
        moment = now()
        op_ids = (
            conn.execute(
                insert(operations).returning(operations.c.id, sort_by_parameter_order=True),
                [
                    {
                        "kind": "build",
                        "occurred_at": moment,
                        "recorded_at": moment,
                        "user_name": self.tl.user,
                        "reference": None,
                        "note": None,
                        "party_id": None,
                    }
                    for _ in builds
                ],
            )
            .scalars()
            .all()
        )
        consumed: list[list[Line]] = []
        for spec in specs:
            lines = []
            for ref, qty in spec:
                item = self.items[ref.code]
                if ref.kind == "unit":
                    u = unit_rows[(item.id, ref.key)]
                    lines.append(
                        Line(item.id, u.location_id, production, Decimal(1), u.lot_id, u.id)
                    )
                else:
                    lot_id, location_id = stock_at[(ref.code, ref.key)]
                    lines.append(Line(item.id, location_id, production, qty or Decimal(1), lot_id))
            consumed.append(lines)
        # valued as the API values them: first in, first out across the level
        valued = iter(cost_lines(conn, [ln for lines in consumed for ln in lines]))
        consumed = [[next(valued) for _ in lines] for lines in consumed]
        costs = []
        for b, lines in zip(builds, consumed, strict=True):
            total = sum((ln.value or 0 for ln in lines), Decimal(0))
            standard = self.items[b.item].standard_cost
            costs.append(money(total) if total or standard is None else standard)
        today = moment.date()
        out_ids = (
            conn.execute(
                insert(units).returning(units.c.id, sort_by_parameter_order=True),
                [
                    {
                        "item_id": self.items[b.item].id,
                        "serial": b.serial,
                        "lot_id": None,
                        "location_id": self.loc[b.to],
                        "party_id": None,
                        "expires": None,
                        "made": today,
                        "supplier_id": None,
                        "supplier_lot": None,
                        "unit_cost": cost,
                        "created_op_id": op,
                    }
                    for b, cost, op in zip(builds, costs, op_ids, strict=True)
                ],
            )
            .scalars()
            .all()
        )
        move_rows, links, unit_lines = [], [], []
        deltas: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
        for b, lines, op, out, cost in zip(builds, consumed, op_ids, out_ids, costs, strict=True):
            out_item = self.items[b.item].id
            output = Line(out_item, production, self.loc[b.to], Decimal(1), None, out, cost)
            for ln in [*lines, output]:
                move_rows.append(
                    {
                        "operation_id": op,
                        "item_id": ln.item_id,
                        "lot_id": ln.lot_id,
                        "unit_id": ln.unit_id,
                        "from_location_id": ln.from_id,
                        "to_location_id": ln.to_id,
                        "qty": ln.qty,
                        "value": ln.value,
                    }
                )
                deltas[(ln.item_id, ln.from_id, ln.lot_id)] -= ln.qty
                deltas[(ln.item_id, ln.to_id, ln.lot_id)] += ln.qty
            unit_lines += [ln for ln in lines if ln.unit_id is not None]
            links += [
                {
                    "operation_id": op,
                    "parent_item_id": out_item,
                    "parent_unit_id": out,
                    "parent_lot_id": None,
                    "child_item_id": ln.item_id,
                    "child_unit_id": ln.unit_id,
                    "child_lot_id": ln.lot_id,
                    "qty": ln.qty,
                }
                for ln in lines
            ]
        conn.execute(insert(moves), move_rows)
        move_units(conn, unit_lines, None)
        apply_stock_deltas(conn, deltas)
        conn.execute(insert(genealogy), links)
        reach.extend(conn, op_ids, may_chain=True)  # as the builds add it (a batch may chain)

    def _units(self, conn: Connection, refs: list) -> dict[tuple[int, str], Any]:
        wanted: dict[int, list[str]] = defaultdict(list)
        for ref in refs:
            if ref.kind == "unit":
                wanted[self.items[ref.code].id].append(ref.key)
        found = {}
        query = text(
            "SELECT id, item_id, serial, location_id, lot_id, unit_cost FROM units"
            " WHERE item_id = :item AND serial IN (SELECT value FROM json_each(:serials))"
        ).columns(unit_cost=units.c.unit_cost.type)
        for item_id, serials in wanted.items():
            for r in conn.execute(query, {"item": item_id, "serials": json.dumps(serials)}):
                found[(r.item_id, r.serial)] = r
        return found

    def _stock(self, conn: Connection, refs: list) -> dict[tuple[str, str | None], tuple]:
        """(lot id, the one location holding it) of each lot or untracked item."""
        out = {}
        for ref in refs:
            if ref.kind == "unit" or (ref.code, ref.key) in out:
                continue
            item = self.items[ref.code]
            lot = None
            if ref.kind == "lot":
                lot = conn.execute(
                    select(lots).where(lots.c.item_id == item.id, lots.c.code == ref.key)
                ).one()
            rows = (
                conn.execute(
                    text(
                        "SELECT s.location_id FROM stock s JOIN locations l ON l.id = s.location_id"
                        " WHERE s.item_id = :item AND coalesce(s.lot_id, 0) = :lot AND s.qty > 0"
                        " AND NOT l.virtual"
                    ),
                    {"item": item.id, "lot": lot.id if lot is not None else 0},
                )
                .scalars()
                .all()
            )
            if len(rows) != 1:
                raise NotImplementedError(f"{ref} is at {len(rows)} locations, not one")
            out[(ref.code, ref.key)] = (lot.id if lot is not None else None, rows[0])
        return out


# -- generation ---------------------------------------------------------------------------


@dataclass
class Generated:
    receive_s: float = 0.0
    receipts: int = 0
    fixture_s: float = 0.0
    fixture_builds: int = 0
    api_s: dict[str, float] | None = None  # seconds per build, by level
    api_builds: int = 0
    ship_s: float = 0.0
    shipped: int = 0


def generate(
    tl: tracelot.Tracelot,
    sizes: Sizes,
    clock: Callable[[], float],
    log: Callable[[str], None] = lambda _: None,
) -> Generated:
    """Make the plant in an initialised database: receipts, builds, shipments."""
    gen = Generated(api_s={})
    master_data(tl)
    start = clock()
    gen.receipts = receive_all(tl, sizes)
    gen.receive_s = clock() - start
    log(f"  received in {gen.receive_s:.1f} s ({gen.receipts} receipts)")
    fixture = FixtureBuilds(tl)
    api_from = sizes.orders - sizes.api_orders
    api_time: dict[str, float] = defaultdict(float)
    api_count: dict[str, int] = defaultdict(int)
    for k in range(sizes.orders):
        for name, level in zip(LEVELS, order_builds(sizes, k), strict=True):
            start = clock()
            if k >= api_from:
                api_builds(tl, level)
                api_time[name] += clock() - start
                api_count[name] += len(level)
                gen.api_builds += len(level)
            else:
                fixture.build(level)
                gen.fixture_s += clock() - start
                gen.fixture_builds += len(level)
        if (k + 1) % 10 == 0 or k + 1 == sizes.orders:
            log(
                f"  work order {k + 1}/{sizes.orders}: fixture {gen.fixture_s:.1f} s, "
                f"API {sum(api_time.values()):.1f} s"
            )
    gen.api_s = {name: api_time[name] / api_count[name] for name in LEVELS if api_count[name]}
    start = clock()
    gen.shipped = ship_all(tl, sizes)
    gen.ship_s = clock() - start
    log(f"  shipped {gen.shipped:,} devices in {gen.ship_s:.1f} s")
    return gen


# -- the fixture's fidelity ---------------------------------------------------------------

_COMPARED = {
    "operations": "SELECT id, kind, user_name, reference, note, party_id FROM operations",
    "moves": "SELECT * FROM moves",
    "units": "SELECT * FROM units",
    "lots": "SELECT * FROM lots",
    "stock": "SELECT item_id, location_id, lot_id, qty FROM stock",
    "genealogy": "SELECT * FROM genealogy",
    "genealogy_reach": "SELECT * FROM genealogy_reach ORDER BY 1, 2, 3, 4",
    "cost_layers": "SELECT * FROM cost_layers",
}


def fidelity_check(
    make: Callable[[str], tuple[Path, tracelot.Tracelot]], devices: int = 30
) -> list[str]:
    """Build one small plant through the API and the same plant through the fixture; the
    differences between their rows (none, when the fixture is faithful)."""
    sizes = Sizes(devices, 10, 10 * devices + 20, 100, 15, 8, 0, 10)
    tables = []
    for how in ("api", "fixture"):
        path, tl = make(f"fidelity_{how}")
        master_data(tl)
        receive_all(tl, sizes)
        fixture = FixtureBuilds(tl)
        for k in range(sizes.orders):
            for level in order_builds(sizes, k):
                if how == "api":
                    api_builds(tl, level)
                else:
                    fixture.build(level)
        tl.close()
        conn = sqlite3.connect(path)
        tables.append(
            {t: sorted(conn.execute(q).fetchall(), key=repr) for t, q in _COMPARED.items()}
        )
        conn.close()
    api, fix = tables
    problems = []
    for t in _COMPARED:
        if api[t] != fix[t]:
            diff = [(a, b) for a, b in zip(api[t], fix[t], strict=False) if a != b][:1]
            problems.append(
                f"{t}: {len(api[t])} rows through the API, {len(fix[t])} by the "
                f"fixture; first difference {diff}"
            )
    return problems
