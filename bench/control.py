"""Issue 5: the turnover and reorder reports over two years of ledger with a million moves
and 5,000 items, each against one hand-written SQL aggregate of the same figure.

THE LEDGER. 5,000 untracked items at one warehouse bin, over the 730 days up to today:
each item is received about every four weeks (at a cost that drifts) and shipped to a
customer on about a quarter of the days, never more than it has: about 200 lines an item,
a million in all, each its own operation.

FIXTURE GENERATOR. `write_ledger` is not the API. It writes what `Tracelot.receive` and
`Tracelot.ship` write for such a ledger (operations, moves with their first-in-first-out
values, the stock balances, the cost layers) with plain sqlite3, a million rows in
seconds. `fidelity_check` runs the same small plan through the API and through the
generator and compares the rows; `tracelot.verify()` checks the big ledger.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from harness import Context, Target, connect, fresh, once, raw

import tracelot

LOOKBACK = 90


@dataclass(frozen=True)
class Line:
    day: int  # 0: the first day of the ledger
    item: int  # 0-based
    kind: str  # receive or ship
    qty: int
    cost: Decimal | None = None  # of a receipt


def plan(items: int, days: int, seed: int) -> list[Line]:
    """The ledger's lines in time order: receipts every ~28 days, shipments on ~24% of
    days, never more than is on hand."""
    rng = random.Random(seed)
    lines: list[Line] = []
    on_hand = [0] * items
    next_receipt = [rng.randrange(0, 28) for _ in range(items)]
    base = [Decimal(rng.randrange(100, 5000)) / 100 for _ in range(items)]
    for day in range(days):
        for item in range(items):
            if day >= next_receipt[item]:
                qty = rng.randrange(50, 200)
                cost = (base[item] * Decimal(1 + day / days / 5)).quantize(Decimal("0.01"))
                lines.append(Line(day, item, "receive", qty, cost))
                on_hand[item] += qty
                next_receipt[item] = day + rng.randrange(20, 36)
            if on_hand[item] and rng.random() < 0.24:
                qty = min(on_hand[item], rng.randrange(1, 12))
                lines.append(Line(day, item, "ship", qty))
                on_hand[item] -= qty
    return lines


def _code(item: int) -> str:
    return f"I{item:05d}"


def master_data(tl: tracelot.Tracelot, items: int) -> None:
    tl.add_location("WH", kind="warehouse")
    tl.add_party("SUP", name="Supplier", kind="supplier")
    tl.add_party("CUST", name="Customer", kind="customer")
    with tl.atomic():
        for item in range(items):
            tl.add_item(_code(item), name=f"Item {item}", tracking="none")


def _moment(first: dt.date, day: int) -> dt.datetime:
    return dt.datetime.combine(first + dt.timedelta(days=day), dt.time(12), tzinfo=dt.UTC)


def through_api(tl: tracelot.Tracelot, lines: list[Line], first: dt.date) -> None:
    with tl.atomic():
        for ln in lines:
            at = _moment(first, ln.day)
            if ln.kind == "receive":
                tl.receive(_code(ln.item), to="WH", qty=ln.qty, cost=ln.cost, supplier="SUP",
                           at=at)  # fmt: skip
            else:
                tl.ship(_code(ln.item), to="CUST", qty=ln.qty, at=at)


def _exact(value: Decimal) -> int | float:
    """As tracelot's Exact column keeps a number in SQLite."""
    return int(value) if value == value.to_integral_value() else float(value)


def write_ledger(path: Path, lines: list[Line], first: dt.date) -> None:
    """The generator: the rows the API would write for `lines`, in one transaction."""
    with raw(path) as db:
        ids = dict(db.execute("SELECT code, id FROM locations"))
        items = dict(db.execute("SELECT code, id FROM items"))
        parties = dict(db.execute("SELECT code, id FROM parties"))
        wh, supplier, customer = ids["WH"], ids["SUPPLIER"], ids["CUSTOMER"]
        op_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM operations").fetchone()[0]
        layer_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM cost_layers").fetchone()[0]
        operations, moves = [], []
        layers: dict[int, deque] = {}  # item -> [layer id, qty left, unit cost] oldest first
        all_layers: list[list] = []
        balance: dict[int, int] = {}
        for ln in lines:
            op_id += 1
            item = items[_code(ln.item)]
            when = _moment(first, ln.day).strftime("%Y-%m-%d %H:%M:%S.%f")
            if ln.kind == "receive":
                operations.append((op_id, "receive", when, when, "bench", parties["SUP"]))
                value = ln.cost * ln.qty
                moves.append((op_id, item, supplier, wh, ln.qty, _exact(value)))
                layer_id += 1
                layer = [layer_id, item, op_id, ln.qty, ln.qty, ln.cost]
                layers.setdefault(item, deque()).append(layer)
                all_layers.append(layer)
                balance[item] = balance.get(item, 0) + ln.qty
            else:
                operations.append((op_id, "ship", when, when, "bench", parties["CUST"]))
                remaining, value = ln.qty, Decimal(0)
                queue = layers[item]
                while remaining:
                    layer = queue[0]
                    take = min(layer[4], remaining)
                    layer[4] -= take
                    value += take * layer[5]
                    remaining -= take
                    if layer[4] == 0:
                        queue.popleft()
                moves.append((op_id, item, wh, customer, ln.qty, _exact(value)))
                balance[item] -= ln.qty
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO operations (id, kind, occurred_at, recorded_at, user_name, party_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            operations,
        )
        db.executemany(
            "INSERT INTO moves (operation_id, item_id, from_location_id, to_location_id, qty,"
            " value) VALUES (?, ?, ?, ?, ?, ?)",
            moves,
        )
        db.executemany(
            "INSERT INTO cost_layers (id, item_id, location_id, operation_id, qty_in, qty_left,"
            " unit_cost) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(lid, item, wh, op, qin, left, _exact(cost))
             for lid, item, op, qin, left, cost in all_layers],
        )  # fmt: skip
        received: dict[int, int] = {}
        shipped: dict[int, int] = {}
        for _, item, src, _, qty, _ in moves:
            (received if src == supplier else shipped)[item] = (
                received if src == supplier else shipped
            ).get(item, 0) + qty
        stock = [(item, supplier, -qty) for item, qty in received.items()]
        stock += [(item, customer, qty) for item, qty in shipped.items()]
        stock += [(item, wh, qty) for item, qty in balance.items() if qty]
        db.executemany(
            "INSERT INTO stock (item_id, location_id, lot_id, qty) VALUES (?, ?, NULL, ?)", stock
        )
        db.execute("COMMIT")


_COMPARED = {
    "operations": "SELECT id, kind, occurred_at, user_name, party_id FROM operations",
    "moves": "SELECT operation_id, item_id, lot_id, unit_id, from_location_id, to_location_id,"
    " qty, value FROM moves",
    "stock": "SELECT item_id, location_id, lot_id, qty FROM stock",
    "cost_layers": "SELECT item_id, lot_id, location_id, seq, operation_id, qty_in, qty_left,"
    " unit_cost FROM cost_layers",
}


def fidelity_check(ctx: Context, first: dt.date) -> list[str]:
    lines = plan(12, 60, ctx.seed)
    tables = []
    for how in ("api", "fixture"):
        path, tl = fresh(ctx, f"control_fidelity_{how}")
        master_data(tl, 12)
        if how == "api":
            through_api(tl, lines, first)
        tl.close()
        if how == "fixture":
            write_ledger(path, lines, first)
        conn = sqlite3.connect(path)
        tables.append(
            {t: sorted(conn.execute(q).fetchall(), key=repr) for t, q in _COMPARED.items()}
        )
        conn.close()
    api, fixture = tables
    return [
        f"{t}: {len(api[t])} rows through the API, {len(fixture[t])} by the fixture"
        for t in _COMPARED
        if api[t] != fixture[t]
    ]


#: the hand-written aggregates: cost of goods issued and the mean daily inventory value of
#: every item over the period (turnover); each item's daily issues, their sum and sum of
#: squares over the look-back (reorder)
HAND_TURNOVER = """
SELECT m.item_id,
  SUM(CASE WHEN o.occurred_at >= :start AND m.to_location_id = :customer
      THEN m.value ELSE 0 END) AS issued,
  SUM(CASE WHEN m.to_location_id = :wh THEN 1 ELSE -1 END * m.value *
      CASE WHEN o.occurred_at < :start THEN :days
      ELSE :end_day - CAST(julianday(substr(o.occurred_at, 1, 10)) AS INTEGER) + 1 END)
      / :days AS average
FROM moves m JOIN operations o ON o.id = m.operation_id
WHERE o.occurred_at < :until
GROUP BY m.item_id
"""
HAND_DEMAND = """
SELECT item_id, SUM(q), SUM(q * q) FROM (
  SELECT m.item_id, substr(o.occurred_at, 1, 10) AS d, SUM(m.qty) AS q
  FROM moves m JOIN operations o ON o.id = m.operation_id
  WHERE m.to_location_id = :customer AND o.occurred_at >= :start AND o.occurred_at < :until
  GROUP BY m.item_id, d
) GROUP BY item_id
"""


def run(ctx: Context) -> None:
    items, days = (200, 120) if ctx.quick else (5_000, 730)
    today = dt.datetime.now(dt.UTC).date()
    first = today - dt.timedelta(days=days - 1)
    problems = fidelity_check(ctx, first)
    ctx.check(not problems, f"the control fixture generator differs from the API: {problems}")

    lines = plan(items, days, ctx.seed)
    path, tl = fresh(ctx, "control")
    master_data(tl, items)
    tl.close()
    write_s, _ = once(lambda: write_ledger(path, lines, first))
    ctx.note("ledger", f"{len(lines):,} moves of {items:,} items over {days} days, "
                       f"written in {write_s:.1f} s")  # fmt: skip
    tl = connect(path)
    ctx.check(tl.verify().ok, "verify of the control ledger")

    start = first + dt.timedelta(days=days // 2)  # the second year: a year of opening stock
    tl.turnover(start=start, end=today)  # warm-up: statement caches, the file in the cache
    report_s, report = once(lambda: tl.turnover(start=start, end=today))
    with raw(path) as db:
        params = _params(db, start, today)
        hand_s, hand = once(lambda: db.execute(HAND_TURNOVER, params).fetchall())
    ctx.row(
        f"turnover report, {len(lines):,} moves, {items:,} items (the last year, daily balances)",
        report_s,
        baseline=hand_s,
        baseline_name="one hand-written SQL aggregate of issues and mean daily value per item",
        targets=[Target("max_s", 3.0)],
    )
    with raw(path) as db:
        codes = dict(db.execute("SELECT id, code FROM items"))
    by_id = {codes[item_id]: row for item_id, *row in hand}
    wrong = [
        r["item"]
        for r in report["rows"]
        if abs(float(r["issued_value"]) - by_id[r["item"]][0]) > 0.01
        or abs(float(r["average_value"]) - by_id[r["item"]][1]) > 0.01
    ]
    ctx.check(not wrong, f"turnover differs from the hand-written SQL for {wrong[:5]}")

    lookback_start = today - dt.timedelta(days=LOOKBACK - 1)
    tl.reorder(lookback_days=LOOKBACK, every_item=True)
    reorder_s, reorder = once(lambda: tl.reorder(lookback_days=LOOKBACK, every_item=True))
    with raw(path) as db:
        params = _params(db, lookback_start, today)
        demand_s, demand = once(lambda: db.execute(HAND_DEMAND, params).fetchall())
    ctx.row(
        f"reorder report, {len(lines):,} moves, {items:,} items ({LOOKBACK}-day demand)",
        reorder_s,
        baseline=demand_s,
        baseline_name="one hand-written SQL aggregate of daily demand per item",
        targets=[Target("max_s", 3.0)],
    )
    means = {codes[item_id]: total / LOOKBACK for item_id, total, _ in demand}
    wrong = [
        r["item"]
        for r in reorder["rows"]
        if abs(float(r["daily_demand"]) - means.get(r["item"], 0.0)) > 0.0001
    ]
    ctx.check(not wrong, f"daily demand differs from the hand-written SQL for {wrong[:5]}")
    ctx.note("reorder", f"{sum(r['due'] for r in reorder['rows']):,} items due")
    tl.close()


def _params(db: sqlite3.Connection, start: dt.date, end: dt.date) -> dict:
    ids = dict(db.execute("SELECT code, id FROM locations"))
    return {
        "start": f"{start} 00:00:00.000000",
        "until": f"{end + dt.timedelta(days=1)} 00:00:00.000000",
        "days": (end - start).days + 1,
        "end_day": _julian(end),
        "customer": ids["CUSTOMER"],
        "wh": ids["WH"],
    }


def _julian(day: dt.date) -> int:
    """CAST(julianday('YYYY-MM-DD') AS INTEGER) of a day."""
    return day.toordinal() + 1721424
