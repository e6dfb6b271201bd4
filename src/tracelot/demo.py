"""The demo data set: an electronics assembler making a handheld scanner, the HX-2.

`load_demo(tl)` fills an empty database through the public Python API only, with
operations back-dated over the last 120 days (`at=`): receipts from three suppliers and
their put-away into bins, eight production runs that build battery packs from cell lots
and devices from a board, a pack, an enclosure, screws and adhesive, shipments to four
customers, a pack that fails its test and is scrapped, a cycle count, a device returned
under an RMA, repaired (its board replaced) and sent back, and a cell lot put on hold.
Items carry categories, suppliers and lead times, and an order of cells is open.

The data set is deterministic: only the dates move with `today`. Adhesive lots are dated
so that, seen from `today`, one has expired and two expire within 30 days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from tracelot.app import Tracelot
from tracelot.domain.errors import Conflict
from tracelot.domain.values import gtin_check_digit

SUPPLIERS = {
    "VOLTA": "Volta Cells Ltd",
    "CIRCUITA": "Circuita PCB Works",
    "FIXMECH": "Fixmech Components GmbH",
}
CUSTOMERS = {
    "NORDRETAIL": "Nord Retail AB",
    "HELIX": "Helix Field Services",
    "MARLOW": "Marlow Outdoor Supply",
    "KESTREL": "Kestrel Logistics",
}

#: The device's GTIN-13: a GS1 example company prefix and its check digit.
DEV_GTIN_BODY = "950600012345"
DEV_GTIN = DEV_GTIN_BODY + str(gtin_check_digit(DEV_GTIN_BODY))

#: (code, location kind, parent, name)
LOCATIONS = [
    ("WH", "warehouse", None, "Main warehouse"),
    ("WH-RCV", "zone", "WH", "Receiving dock"),
    ("WH-A", "zone", "WH", "Storage aisle A"),
    ("WH-A-01", "bin", "WH-A", "Cells"),
    ("WH-A-02", "bin", "WH-A", "Boards"),
    ("WH-A-03", "bin", "WH-A", "Mechanical parts"),
    ("WH-A-04", "bin", "WH-A", "Adhesives"),
    ("WH-FG", "zone", "WH", "Finished goods"),
    ("LINE-1", "production", None, "Assembly line 1"),
    ("QA-HOLD", "quarantine", None, "Quality hold"),
]

#: (code, name, tracking, uom, shelf life in days, standard cost, GTIN)
ITEMS = [
    ("CELL", "Li-ion cell 18650 3500 mAh", "lot", "EA", 730, "3.10", None),
    ("PCB", "Main board HX-2 rev C", "serial", "EA", None, "18.40", None),
    ("ENCL", "Enclosure HX-2, ABS", "none", "EA", None, "4.75", None),
    ("SCREW", "Screw M2 x 6 Torx", "none", "EA", None, "0.02", None),
    ("GLUE", "Structural adhesive, 2-part", "lot", "ML", 180, "0.06", None),
    ("PACK", "Battery pack 2S1P", "serial", "EA", None, "7.20", None),
    ("DEV", "Handheld scanner HX-2", "serial", "EA", None, "59.00", DEV_GTIN),
]

#: Planning: (item, category, supplier, lead time in days, pack size)
PLANNING = [
    ("CELL", "cells", "VOLTA", 21, 100),
    ("PCB", "boards", "CIRCUITA", 28, None),
    ("ENCL", "mechanical", "FIXMECH", 10, 50),
    ("SCREW", "mechanical", "FIXMECH", 10, 1000),
    ("GLUE", "consumables", "FIXMECH", 14, 250),
    ("PACK", "assemblies", None, None, None),
    ("DEV", "finished goods", None, None, None),
]
#: A purchase order still open: (supplier, lines, expected in days)
OPEN_ORDER = ("VOLTA", ["CELL:200:2.95"], 9)

#: What one device takes besides its board and its pack, and what one pack takes.
CELLS_PER_PACK = 2
SCREWS_PER_DEV = 4
GLUE_PER_DEV = Decimal("2.5")

#: Cell lots: (lot, supplier lot, qty, received days ago, unit cost, purchase order);
#: all from VOLTA, made 30 days before they arrive.
CELL_LOTS = [
    ("CL-101", "VT-88412", 130, 120, "3.10", "PO-5101"),
    ("CL-102", "VT-88797", 100, 68, "3.05", "PO-5134"),
    ("CL-103", "VT-89230", 120, 18, "2.98", "PO-5178"),
]
#: Adhesive lots: (lot, supplier lot, ml, received days ago, made days ago, purchase
#: order); from FIXMECH. With 180 days of shelf life, GL-201 expired 10 days ago, GL-203
#: and GL-202 expire within 12 and 25 days, GL-204 is fresh.
GLUE_LOTS = [
    ("GL-201", "AX-5521", 150, 120, 190, "PO-5102"),
    ("GL-202", "AX-5608", 200, 80, 155, "PO-5127"),
    ("GL-203", "AX-5611", 60, 40, 168, "PO-5150"),
    ("GL-204", "AX-5702", 250, 9, 14, "PO-5183"),
]
#: Enclosures and screws: (item, qty, received days ago, purchase order); from FIXMECH.
MECHANICAL_RECEIPTS = [
    ("ENCL", 100, 120, "PO-5102"),
    ("SCREW", 2000, 120, "PO-5102"),
    ("ENCL", 60, 50, "PO-5146"),
]
#: Board receipts: (first serial number, last, supplier lot, received days ago, purchase
#: order); from CIRCUITA.
PCB_RECEIPTS = [(1, 60, "CPW-7731", 120, "PO-5100"), (61, 100, "CPW-7802", 66, "PO-5131")]

#: Production runs: ten devices each, every twelve days from 112 days ago, with the cell
#: and adhesive lot each run uses; each run's devices ship three days later.
RUN_SIZE = 10
RUNS = [
    # (days ago, cell lot, glue lot, shipped three days later: qty, customer)
    (112, "CL-101", "GL-201", 6, "NORDRETAIL"),
    (100, "CL-101", "GL-201", 9, "HELIX"),
    (88, "CL-101", "GL-201", 8, "MARLOW"),
    (76, "CL-101", "GL-201", 10, "KESTREL"),
    (64, "CL-101", "GL-202", 7, "NORDRETAIL"),
    (52, "CL-102", "GL-202", 9, "HELIX"),
    (40, "CL-102", "GL-202", 8, "MARLOW"),
    (28, "CL-102", "GL-202", 5, "NORDRETAIL"),
]
#: The run whose fifth pack fails its end-of-line test and is scrapped.
SCRAP_RUN, SCRAP_PACK = 3, 4
#: The cycle count of screws (days ago, how many fewer were counted than booked).
COUNT_DAY, SCREWS_MISSING = 30, 24
#: The RMA: HELIX sends back its first device; its board is replaced by a spare.
RMA = "RMA-2001"
RETURN_DAY, REPAIR_DAY, RESHIP_DAY = 15, 13, 11
HELD_LOT = "CL-103"


def pcb(n: int) -> str:
    return f"PCB-{n:06d}"


def pack(n: int) -> str:
    return f"PK-{n:05d}"


def dev(n: int) -> str:
    return f"HX2-{n:05d}"


def load_demo(tl: Tracelot, *, today: dt.date | None = None) -> dict[str, Any]:
    """Load the demo into the empty, initialized database of `tl`; returns a summary.

    Refuses (Conflict) a database that already has items, locations or parties. The
    load is one transaction: all of it or nothing.
    """
    with tl.atomic():
        _refuse_if_not_empty(tl)
        story = _Story(tl, today or dt.datetime.now(dt.UTC).date())
        story.master_data()
        story.schedule()
        story.play()
        supplier, lines, expected_in = OPEN_ORDER
        tl.po_create(supplier, lines=lines, expected=story.today + dt.timedelta(days=expected_in))
    return story.summary()


def _refuse_if_not_empty(tl: Tracelot) -> None:
    found = {
        ("item", "items"): len(tl.items()),
        ("location", "locations"): len(tl.locations()),
        ("party", "parties"): len(tl.parties()),
    }
    if any(found.values()):
        has = ", ".join(f"{n} {names[n != 1]}" for names, n in found.items() if n)
        raise Conflict(
            f"the database is not empty (it has {has}): the demo loads only into an empty database"
        )


@dataclass
class _Run:
    """A production run: a work order for RUN_SIZE devices, and what it built."""

    number: int
    days_ago: int
    cell_lot: str
    glue_lot: str
    ship_qty: int
    customer: str
    packs: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)

    @property
    def order(self) -> str:
        return f"WO-{3001 + self.number}"

    @property
    def pack_count(self) -> int:
        return RUN_SIZE + (1 if self.number == SCRAP_RUN else 0)


class _Story:
    """The steps of the story, each scheduled at its moment and then played in order."""

    def __init__(self, tl: Tracelot, today: dt.date) -> None:
        self.tl = tl
        self.today = today
        self.steps: list[tuple[dt.datetime, int, Callable[[dt.datetime], None]]] = []
        self.operations = self.units = self.lots = 0
        self.first_at: dt.datetime | None = None
        self.last_at: dt.datetime | None = None
        self.next_pack = self.next_dev = 1
        self.finished_goods: deque[str] = deque()  # devices at WH-FG, oldest first
        self.shipped_to: dict[str, list[str]] = defaultdict(list)
        self.board_of: dict[str, str] = {}
        self.returned = ""

    # -- time ---------------------------------------------------------------------------

    def when(self, days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        """A moment of the story: `days_ago` days before today, at a time of day (UTC)."""
        day = self.today - dt.timedelta(days=days_ago)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)

    def at(self, moment: tuple[int, int, int], step: Callable[..., None], *args: Any) -> None:
        """Schedule `step(*args, at)` at (days ago, hour, minute)."""
        self.steps.append((self.when(*moment), len(self.steps), partial(step, *args)))

    def done(self, at: dt.datetime, *, units: int = 0, lots: int = 0) -> None:
        """Count an operation the story recorded."""
        self.operations += 1
        self.units += units
        self.lots += lots
        self.first_at = self.first_at or at
        self.last_at = at

    # -- the story ----------------------------------------------------------------------

    def master_data(self) -> None:
        tl = self.tl
        for code, kind, parent, name in LOCATIONS:
            tl.add_location(code, name=name, parent=parent, kind=kind)
        for code, name in SUPPLIERS.items():
            tl.add_party(code, name=name, kind="supplier")
        for code, name in CUSTOMERS.items():
            tl.add_party(code, name=name, kind="customer")
        for code, name, tracking, uom, shelf_life, cost, gtin in ITEMS:
            tl.add_item(
                code, name=name, tracking=tracking, uom=uom, shelf_life_days=shelf_life,
                cost=cost, gtin=gtin,
            )  # fmt: skip
        for code, category, supplier, lead_time, pack in PLANNING:
            tl.set_item(code, category=category, supplier=supplier, lead_time_days=lead_time,
                        pack_size=pack)  # fmt: skip

    def schedule(self) -> None:
        for first, last, supplier_lot, days_ago, order in PCB_RECEIPTS:
            self.at((days_ago, 8, 0), self.receive_boards, first, last, supplier_lot, order)
            self.at((days_ago, 10, 0), self.put_boards_away, first, last)
        for lot, supplier_lot, qty, days_ago, cost, order in CELL_LOTS:
            self.at((days_ago, 8, 30), self.receive_cells, lot, supplier_lot, qty, cost, order)
            self.at((days_ago - 1, 9, 0), self.put_cells_away, lot)
        for lot, supplier_lot, qty, days_ago, made_ago, order in GLUE_LOTS:
            self.at((days_ago, 9, 0), self.receive_glue, lot, supplier_lot, qty, made_ago, order)
            self.at((days_ago, 11, 0), self.put_away, f"GLUE@{lot}", None, "WH-A-04")
        for item, qty, days_ago, order in MECHANICAL_RECEIPTS:
            self.at((days_ago, 9, 30), self.receive_mechanical, item, qty, order)
            self.at((days_ago, 11, 30), self.put_away, item, qty, "WH-A-03")
        for number, spec in enumerate(RUNS):
            run = _Run(number, *spec)
            self.at((run.days_ago, 7, 0), self.stage_kit, run)
            self.at((run.days_ago, 8, 0), self.build_packs, run)
            self.at((run.days_ago, 10, 0), self.build_devices, run)
            self.at((run.days_ago, 15, 0), self.to_finished_goods, run)
            self.at((run.days_ago - 3, 14, 0), self.ship, run)
        self.at((COUNT_DAY, 16, 0), self.count_screws)
        self.at((RETURN_DAY, 10, 0), self.take_back)
        self.at((REPAIR_DAY, 11, 0), self.repair)
        self.at((REPAIR_DAY, 15, 0), self.release_repaired)
        self.at((RESHIP_DAY, 14, 0), self.send_back)
        self.at((1, 16, 0), self.hold_cells)

    def play(self) -> None:
        for at, _, step in sorted(self.steps, key=lambda s: s[:2]):
            step(at)

    # receiving and putting away

    def receive_boards(
        self, first: int, last: int, supplier_lot: str, order: str, at: dt.datetime
    ) -> None:
        self.tl.receive(
            "PCB", to="WH-RCV", serials=f"{pcb(first)}..{pcb(last)}", supplier="CIRCUITA",
            supplier_lot=supplier_lot, reference=order, at=at,
        )  # fmt: skip
        self.done(at, units=last - first + 1)

    def put_boards_away(self, first: int, last: int, at: dt.datetime) -> None:
        self.tl.move(*(f"PCB:{pcb(n)}" for n in range(first, last + 1)), to="WH-A-02", at=at)
        self.done(at)

    def receive_cells(
        self, lot: str, supplier_lot: str, qty: int, cost: str, order: str, at: dt.datetime
    ) -> None:
        self.tl.receive(
            "CELL", to="WH-RCV", lot=lot, qty=qty, made=at.date() - dt.timedelta(days=30),
            supplier="VOLTA", supplier_lot=supplier_lot, cost=cost, reference=order, at=at,
        )  # fmt: skip
        self.done(at, lots=1)

    def put_cells_away(self, lot: str, at: dt.datetime) -> None:
        # the newest lot waits in quarantine for its incoming inspection
        self.put_away(f"CELL@{lot}", None, "QA-HOLD" if lot == HELD_LOT else "WH-A-01", at)

    def receive_glue(
        self, lot: str, supplier_lot: str, qty: int, made_ago: int, order: str, at: dt.datetime
    ) -> None:
        self.tl.receive(
            "GLUE", to="WH-RCV", lot=lot, qty=qty, supplier="FIXMECH", supplier_lot=supplier_lot,
            made=self.today - dt.timedelta(days=made_ago), reference=order, at=at,
        )  # fmt: skip
        self.done(at, lots=1)

    def receive_mechanical(self, item: str, qty: int, order: str, at: dt.datetime) -> None:
        self.tl.receive(item, to="WH-RCV", qty=qty, supplier="FIXMECH", reference=order, at=at)
        self.done(at)

    def put_away(self, ref: str, qty: int | None, to: str, at: dt.datetime) -> None:
        self.tl.move(ref, to=to, qty=qty, from_="WH-RCV", at=at)
        self.done(at)

    # production and shipping

    def stage_kit(self, run: _Run, at: dt.datetime) -> None:
        """Move the run's cells, enclosures, screws and adhesive to the line."""
        kit = [
            (f"CELL@{run.cell_lot}", run.pack_count * CELLS_PER_PACK, "WH-A-01"),
            ("ENCL", RUN_SIZE, "WH-A-03"),
            ("SCREW", RUN_SIZE * SCREWS_PER_DEV, "WH-A-03"),
            (f"GLUE@{run.glue_lot}", RUN_SIZE * GLUE_PER_DEV, "WH-A-04"),
        ]
        for i, (ref, qty, from_) in enumerate(kit):
            moment = at + dt.timedelta(minutes=5 * i)
            self.tl.move(ref, to="LINE-1", qty=qty, from_=from_, reference=run.order, at=moment)
            self.done(moment)

    def build_packs(self, run: _Run, at: dt.datetime) -> None:
        for i in range(run.pack_count):
            moment = at + dt.timedelta(minutes=3 * i)
            serial = pack(self.next_pack)
            self.next_pack += 1
            self.tl.build(
                "PACK", to="LINE-1", serial=serial, reference=run.order, at=moment,
                consume=[f"CELL@{run.cell_lot}={CELLS_PER_PACK}"],
            )  # fmt: skip
            self.done(moment, units=1)
            run.packs.append(serial)
        if run.number == SCRAP_RUN:
            failed = run.packs.pop(SCRAP_PACK)
            moment = at + dt.timedelta(minutes=3 * run.pack_count + 10)
            self.tl.scrap(
                f"PACK:{failed}", reason="failed end-of-line capacity test",
                reference=run.order, at=moment,
            )  # fmt: skip
            self.done(moment)

    def build_devices(self, run: _Run, at: dt.datetime) -> None:
        for i, pack_serial in enumerate(run.packs):
            moment = at + dt.timedelta(minutes=4 * i)
            serial, board = dev(self.next_dev), pcb(self.next_dev)
            self.next_dev += 1
            self.tl.build(
                "DEV", to="LINE-1", serial=serial, reference=run.order, at=moment,
                consume=[
                    f"PCB:{board}", f"PACK:{pack_serial}", "ENCL=1", f"SCREW={SCREWS_PER_DEV}",
                    f"GLUE@{run.glue_lot}={GLUE_PER_DEV}",
                ],
            )  # fmt: skip
            self.done(moment, units=1)
            self.board_of[serial] = board
            run.devices.append(serial)

    def to_finished_goods(self, run: _Run, at: dt.datetime) -> None:
        for i, serial in enumerate(run.devices):
            moment = at + dt.timedelta(minutes=i)
            self.tl.move(f"DEV:{serial}", to="WH-FG", reference=run.order, at=moment)
            self.done(moment)
            self.finished_goods.append(serial)

    def ship(self, run: _Run, at: dt.datetime) -> None:
        """One sales order: the oldest devices in finished goods."""
        serials = [self.finished_goods.popleft() for _ in range(run.ship_qty)]
        self.tl.ship(
            *(f"DEV:{s}" for s in serials), to=run.customer,
            reference=f"SO-{1001 + run.number}", at=at,
        )  # fmt: skip
        self.shipped_to[run.customer].extend(serials)
        self.done(at)

    # the cycle count and the RMA

    def count_screws(self, at: dt.datetime) -> None:
        booked = sum(Decimal(r["qty"]) for r in self.tl.stock(item="SCREW", location="WH-A-03"))
        self.tl.adjust(
            "SCREW", at_location="WH-A-03", counted=booked - SCREWS_MISSING,
            reference="CC-0042", note="cycle count", at=at,
        )  # fmt: skip
        self.done(at)

    def take_back(self, at: dt.datetime) -> None:
        self.returned = self.shipped_to["HELIX"][0]
        self.tl.return_(
            f"DEV:{self.returned}", from_customer="HELIX", to="QA-HOLD", reference=RMA,
            note="does not power on", at=at,
        )  # fmt: skip
        self.done(at)

    def repair(self, at: dt.datetime) -> None:
        board = self.board_of[self.returned]
        spare = pcb(self.next_dev)  # the first board no device has used
        self.tl.replace(
            f"DEV:{self.returned}", remove=f"PCB:{board}", install=f"PCB:{spare}", scrap=True,
            reference=RMA, note=f"board {board} shorted: replaced by {spare}", at=at,
        )  # fmt: skip
        self.board_of[self.returned] = spare
        self.done(at)

    def release_repaired(self, at: dt.datetime) -> None:
        self.tl.move(f"DEV:{self.returned}", to="WH-FG", reference=RMA, at=at)
        self.done(at)

    def hold_cells(self, at: dt.datetime) -> None:
        reason = "incoming inspection: capacity test pending"
        self.tl.hold(f"CELL@{HELD_LOT}", reason=reason, at=at)
        self.done(at)

    def send_back(self, at: dt.datetime) -> None:
        self.tl.ship(
            f"DEV:{self.returned}", to="HELIX", reference=f"SO-{1001 + len(RUNS)}",
            note=f"repaired under {RMA}", at=at,
        )  # fmt: skip
        self.done(at)

    # -- the result ---------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        tl = self.tl
        rows = tl.stock()
        on_hand: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows:
            on_hand[row["item"]] += Decimal(row["qty"])
        glue = {r["lot"]: r["expires"] for r in rows if r["item"] == "GLUE"}
        soon = self.today + dt.timedelta(days=30)
        first_customer = RUNS[0][4]
        return {
            "items": len(tl.items()),
            "locations": len(tl.locations()),
            "parties": len(tl.parties()),
            "units": self.units,
            "lots": self.lots,
            "operations": self.operations,
            "from": self.first_at.date() if self.first_at else None,
            "to": self.last_at.date() if self.last_at else None,
            "devices": {
                "built": self.next_dev - 1,
                "shipped": sum(len(s) for s in self.shipped_to.values()),
                "in_stock": int(on_hand["DEV"]),
            },
            "on_hand": dict(sorted(on_hand.items())),
            "examples": {
                "shipped_unit": f"DEV:{self.shipped_to[first_customer][0]}",
                "customer": first_customer,
                "repaired_unit": f"DEV:{self.returned}",
                "supplier": "VOLTA",
                "supplier_lot": CELL_LOTS[0][1],
                "cell_lot": f"CELL@{CELL_LOTS[0][0]}",
                "expired_lots": sorted(f"GLUE@{lot}" for lot, d in glue.items() if d < self.today),
                "expiring_lots": sorted(
                    f"GLUE@{lot}" for lot, d in glue.items() if self.today <= d <= soon
                ),
                "held_lot": f"CELL@{HELD_LOT}",
            },
        }
