"""Issue 24, part 2: tracelot at 1 and 10 million units on PostgreSQL.

    .venv/bin/python bench/scale.py --units 1M     # build the plant (or reuse it), measure
    .venv/bin/python bench/scale.py --units 10M
    .venv/bin/python bench/scale.py --compare 1M 10M   # each figure's growth

THE PLANT. The electronics plant of `plant.py` (a four-level bill of materials, five
builds a device), run for a year and scaled by its devices: 40,000 devices are 1.12M
units and 200,000 builds ("1M"); 400,000 devices are 11.2M units and 2M builds ("10M").
Everything goes through tracelot's own bulk paths, in the order a plant would do it, one
work order of 1,000 devices at a time, each dated on its day of the year:

    receive     its components at the dock (serial ranges; RESIN and CAP lots when a new
                supplier lot starts; screws), and 10,000 more chips that stay in stock
    put away    each receipt's units from the dock to a bin (one move of all of them)
    kit         the components the order uses from the bin to the line (one move)
    build       five production runs (`build_run`), one per level, 1,000 outputs each
    ship        three devices in four, to one of twenty customers (one shipment)
    re-slot     every four months, the idle chips to the next bin (a move per work order's)

That is about 102 ledger lines a device: 4.1M at 1M units, 41M at 10M.

THE DATABASE. A PostgreSQL server of `scripts/pg-test-server` with its data in
bench/out/scale-pg (kept out of git, kept between runs: a plant built once is measured
again without rebuilding it; `--rebuild` builds it afresh), or `--pg URL` for a server of
yours. One database per size (`tracelot_scale_1m`, ...).

THE FIGURES, each reported with its growth from 1M to 10M by `--compare`: receiving
100,000 serials, `where`, `stock` of an item, the forward trace of a supplier lot and
the backward trace of a device (as their affected lists, JSON Lines), `recall open` on
that lot, turnover and reorder over the year, valuation as of a date, `verify`. Results
go to bench/out/scale-<units>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import tracelot

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import plant  # noqa: E402
from harness import fmt_s, machine, once, repeat, say  # noqa: E402

ORDER = 1_000  # devices per work order
STOCK_CHIPS = 10  # chips a device received beyond the ten its boards use (they stay)
BINS = [f"B{i:02d}" for i in range(1, 21)]
SIZES = {"1M": 40_000, "3M": 120_000, "10M": 400_000}
PG_PORT = 54339
RESLOTS = 3  # the year's re-slotting of the idle chips: every four months


def sizes_of(devices: int) -> plant.Sizes:
    return plant.Sizes(
        devices=devices, order=ORDER, chips=20 * devices, chip_receipt=50_000,
        resin_lot=10_000, cap_lot=5_000, api_orders=0, shipment=750,
    )  # fmt: skip


# -- the plant ----------------------------------------------------------------------------


def chip_ranges(sizes: plant.Sizes, k: int) -> list[tuple[int, int]]:
    """The chips work order k uses: its boards' eight each, its power boards' two each."""
    first, last = k * sizes.order, min((k + 1) * sizes.order, sizes.devices)
    psub = 8 * sizes.devices
    return [(8 * first + 1, 8 * last), (psub + 2 * first + 1, psub + 2 * last)]


def stock_range(sizes: plant.Sizes, k: int) -> tuple[int, int]:
    """The chips received with work order k that no board uses: they stay in stock."""
    base = 10 * sizes.devices + k * STOCK_CHIPS * sizes.order
    return base + 1, base + STOCK_CHIPS * sizes.order


def chip_refs(lo: int, hi: int) -> list[str]:
    return [f"CHIP:{plant.serial('CHIP', n)}" for n in range(lo, hi + 1)]


def build_plant(tl: tracelot.Tracelot, sizes: plant.Sizes, year_end: dt.datetime,
                log: Callable[[str], None]) -> dict[str, float]:  # fmt: skip
    """Run the plant's year through tracelot's bulk paths; seconds spent by each step."""
    plant.master_data(tl)
    tl.add_location("DOCK", kind="warehouse")
    for code in BINS:
        tl.add_location(code, parent="WH")
    spent = dict.fromkeys(("receive", "put away", "kit", "build", "ship", "re-slot"), 0.0)
    orders = sizes.orders
    day = dt.timedelta(days=365) / orders
    start = year_end - dt.timedelta(days=365)
    resin_done = cap_done = 0
    idle: list[tuple[str, int, int]] = []  # (bin, first, last) of the idle chips
    began = time.perf_counter()

    def step(name: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> None:
        t0 = time.perf_counter()
        fn(*args, **kw)
        spent[name] += time.perf_counter() - t0

    def receive(item: str, at: dt.datetime, **kw: Any) -> None:
        step("receive", tl.receive, item, to="DOCK", at=at, **kw)

    def span(item: str, lo: int, hi: int) -> str:
        return f"{plant.serial(item, lo)}..{plant.serial(item, hi)}"

    for k in range(orders):
        moment = start + k * day
        first, last = k * sizes.order, min((k + 1) * sizes.order, sizes.devices)
        to_bin = BINS[k % len(BINS)]
        received: list[str] = []

        for n, (lo, hi) in enumerate(chip_ranges(sizes, k)):
            receive("CHIP", moment, serials=span("CHIP", lo, hi), supplier="CHIPCO",
                    supplier_lot=f"W{2 * k + n + 1:05d}", cost="0.35")  # fmt: skip
            received += chip_refs(lo, hi)
        lo, hi = stock_range(sizes, k)
        receive("CHIP", moment, serials=span("CHIP", lo, hi), supplier="CHIPCO",
                supplier_lot=f"S{k + 1:05d}", cost="0.35")  # fmt: skip
        idle.append((to_bin, lo, hi))
        for item, cost in (("SENSOR", "2.10"), ("COIL", "0.80"), ("CASE", "3.00")):
            receive(item, moment, serials=span(item, first + 1, last), supplier="PARTCO", cost=cost)
            received += [f"{item}:{plant.serial(item, n)}" for n in range(first + 1, last + 1)]
        lots = []
        while resin_done < plant.resin_lot(sizes, last - 1):
            resin_done += 1
            receive("RESIN", moment, lot=f"R{resin_done:02d}", qty=sizes.resin_lot + 50,
                    supplier="RESCO", supplier_lot=f"RS-{resin_done:04d}",
                    cost="0.125")  # fmt: skip
            lots.append(f"RESIN@R{resin_done:02d}")
        while cap_done < (last - 1) // sizes.cap_lot + 1:
            cap_done += 1
            receive("CAP", moment, lot=f"C{cap_done:02d}", qty=2 * sizes.cap_lot + 100,
                    supplier="CAPCO", supplier_lot=f"CP-{cap_done:04d}", cost="0.02")  # fmt: skip
            lots.append(f"CAP@C{cap_done:02d}")
        receive("SCREW", moment, qty=4 * (last - first))
        later = moment + dt.timedelta(hours=1)
        stock = chip_refs(lo, hi)
        step("put away", tl.move, *received, *stock, *lots, "SCREW", to=to_bin, from_="DOCK",
             at=later)  # fmt: skip
        later += dt.timedelta(hours=1)
        step("kit", tl.move, *received, to="LINE", at=later)
        for level in plant.order_builds(sizes, k):
            later += dt.timedelta(minutes=30)
            outputs = [{"serial": b.serial, "consume": list(b.consume)} for b in level]
            step("build", tl.build_run, level[0].item, to=level[0].to, outputs=outputs, at=later)
        shipped = [f"DEVICE:{plant.serial('DEVICE', n + 1)}" for n in range(first, last)
                   if n % 4 != 3]  # fmt: skip
        later += dt.timedelta(hours=1)
        step("ship", tl.ship, *shipped, to=plant.CUSTOMERS[k % 20], reference=f"SO-{k + 1:05d}",
             at=later)  # fmt: skip
        every = orders // RESLOTS
        if every and (k + 1) % every == 0:  # re-slot the idle chips to the next bin
            later += dt.timedelta(hours=1)
            moved = []
            for b, lo_, hi_ in idle:
                nxt = BINS[(BINS.index(b) + 1) % len(BINS)]
                step("re-slot", tl.move, *chip_refs(lo_, hi_), to=nxt, at=later)
                moved.append((nxt, lo_, hi_))
            idle = moved
        if (k + 1) % 10 == 0 or k + 1 == orders:
            took = time.perf_counter() - began
            log(f"  work order {k + 1:,}/{orders:,} ({took:.0f} s; "
                + ", ".join(f"{n} {s:.0f} s" for n, s in spent.items()) + ")")  # fmt: skip
    return spent


# -- the figures --------------------------------------------------------------------------


def _timed(fn: Callable[[], Any], n: int = 1) -> tuple[float, Any]:
    """One call (`harness.once`), or the median of n after one not counted
    (`harness.repeat`); and the (last) call's result."""
    if n == 1:
        return once(fn)
    stats, results = repeat(lambda _: fn(), [None] * n, warmup=1)
    return stats.median, results[-1]


def measure(tl: tracelot.Tracelot, url: str, sizes: plant.Sizes, year_end: dt.datetime,
            log: Callable[[str], None]) -> dict[str, Any]:  # fmt: skip
    """Each figure: {"seconds": ..., "how": ..., "rows": ...}."""
    figures: dict[str, Any] = {}

    def put(name: str, seconds: float, how: str, **extra: Any) -> None:
        figures[name] = {"seconds": round(seconds, 6), "how": how, **extra}
        log(f"  {name}: {fmt_s(seconds)} ({how}{'; ' if extra else ''}"
            + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                        for k, v in extra.items()) + ")")  # fmt: skip

    import random

    rng = random.Random(20261203)
    devices = [
        f"DEVICE:{plant.serial('DEVICE', rng.randint(1, sizes.devices))}" for _ in range(200)
    ]
    chips = [f"CHIP:{plant.serial('CHIP', rng.randint(1, sizes.chips))}" for _ in range(200)]
    refs = [r for pair in zip(devices, chips, strict=True) for r in pair]
    it = iter(refs * 2)
    s, _ = _timed(lambda: tl.where(next(it)), 200)
    put("where of a unit", s, "median of 200: devices and chips")
    s, rows = _timed(lambda: tl.stock(item="CHIP"), 20)
    put("stock of an item (CHIP)", s, "median of 20", rows=len(rows))

    def listed(direction: str, *refs: str, **kw: Any) -> str:
        out = io.StringIO()
        tl.write_affected(out, direction, *refs, fmt="jsonl", **kw)
        return out.getvalue()

    s, text_ = _timed(lambda: listed("forward", supplier="RESCO", supplier_lot="RS-0001"), 3)
    put("forward trace of supplier lot RS-0001 (JSON Lines)", s, "median of 3",
        rows=text_.count("\n"))  # fmt: skip
    it = iter(devices * 2)
    s, text_ = _timed(lambda: listed("backward", next(it)), 100)
    put("backward trace of a device (JSON Lines)", s, "median of 100", rows=text_.count("\n"))
    start, end = (year_end - dt.timedelta(days=364)).date(), year_end.date()
    s, report = _timed(lambda: tl.turnover(start=start, end=end))
    put("turnover over the year", s, "once", items=len(report.get("rows", [])))
    s, report = _timed(lambda: tl.reorder(lookback_days=365))
    put("reorder over the year", s, "once")
    mid = (year_end - dt.timedelta(days=182)).date()
    s, report = _timed(lambda: tl.valuation(as_of=mid))
    put(f"valuation as of {mid}", s, "once")
    s, report = _timed(tl.verify)
    put("verify", s, "once", ok=report.ok)
    if not report.ok:
        raise SystemExit(f"verify found problems: {report.problems[:5]}")

    run = int(time.time())
    tl.add_item(f"PROBE{run}", name="a receipt measured", tracking="serial")
    s, _ = _timed(lambda: tl.receive(f"PROBE{run}", to="DOCK", serials="P000001..P100000"))
    put("receive 100,000 serials", s, "once")
    for old in tl.recalls():  # left open by a run that stopped halfway
        if old["status"] == "open" and old["scope"].get("supplier_lot") == "RS-0001":
            tl.recall_close(old["recall"], force=True, reason="bench")
    s, recall = _timed(lambda: tl.recall_open(reason="bench", supplier="RESCO",
                                               supplier_lot="RS-0001"))  # fmt: skip
    put("recall open on supplier lot RS-0001", s, "once", affected=recall["affected"])
    tl.recall_close(recall["recall"], force=True, reason="bench")
    return figures


# -- the database -------------------------------------------------------------------------


@contextmanager
def server(given: str | None) -> Iterator[str]:
    """The URL of a PostgreSQL server: given, or scripts/pg-test-server's with its data in
    bench/out/scale-pg, left running (and its data kept) for the next run."""
    if given:
        yield given
        return
    env = {**os.environ, "TRACELOT_PG_PORT": str(PG_PORT),
           "TRACELOT_PG_DIR": str(HERE / "out" / "scale-pg"), "TRACELOT_PG_KEEP": "1",
           "TRACELOT_PG_OPTIONS": "-c shared_buffers=4GB -c work_mem=64MB "
                                  "-c maintenance_work_mem=1GB -c max_wal_size=8GB"}  # fmt: skip
    started = subprocess.run([str(HERE.parent / "scripts" / "pg-test-server"), "start"],
                             env=env, capture_output=True, text=True, check=True)  # fmt: skip
    yield started.stdout.strip().splitlines()[-1]


def database(server_url: str, name: str, *, rebuild: bool) -> tuple[str, bool]:
    """The URL of database `name` on the server, and whether it must be built."""
    admin = create_engine(make_url(server_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        there = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        exists = there.first() is not None
        if rebuild and exists:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = False
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return url, not exists


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = ("units", "moves", "operations", "genealogy", "genealogy_reach")
        out = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}
        out["builds"] = conn.execute(
            text(
                "SELECT count(*) FROM units WHERE created_op_id IN"
                " (SELECT id FROM operations WHERE kind = 'build')"
            )  # fmt: skip
        ).scalar_one()
        out["database bytes"] = conn.execute(
            text("SELECT pg_database_size(current_database())")
        ).scalar_one()
    engine.dispose()
    return out


# -- the command line ---------------------------------------------------------------------


def compare(labels: list[str], out_dir: Path) -> None:
    runs = [json.loads((out_dir / f"scale-{label}.json").read_text()) for label in labels]
    base = runs[0]
    say("| figure | " + " | ".join(labels) + " | growth | data grew |")
    say("| --- |" + " --- |" * (len(labels) + 2))
    data = runs[-1]["counts"]["units"] / base["counts"]["units"]
    for name, first in base["figures"].items():
        cells = [fmt_s(r["figures"][name]["seconds"]) if name in r["figures"] else "" for r in runs]
        last = runs[-1]["figures"].get(name)
        grew = f"{last['seconds'] / first['seconds']:.1f}x" if last and first["seconds"] else ""
        say(f"| {name} | " + " | ".join(cells) + f" | {grew} | {data:.1f}x |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", default="1M", help="1M, 3M or 10M, or a number of devices")
    parser.add_argument("--pg", help="a PostgreSQL server URL (default: the bench's own server)")
    parser.add_argument("--rebuild", action="store_true", help="build the plant afresh")
    parser.add_argument("--database", help="the database's name (tracelot_scale_<units>)")
    parser.add_argument("--compare", nargs="+", metavar="UNITS", help="print the growth")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    if args.compare:
        compare(args.compare, args.out)
        return 0
    label = args.units
    devices = SIZES.get(label.upper()) or int(label)
    sizes = sizes_of(devices)
    year_end = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    with server(args.pg) as server_url:
        name = args.database or f"tracelot_scale_{label.lower()}"
        url, build = database(server_url, name, rebuild=args.rebuild)
        say(f"tracelot scale bench: {devices:,} devices on {make_url(url).render_as_string()}")
        tl = tracelot.connect(url, user="bench")
        spent: dict[str, float] = {}
        migrated = 0.0
        if build:
            tl.init()
            say(f"building the plant: {devices:,} devices, {5 * devices:,} builds")
            t0 = time.perf_counter()
            spent = build_plant(tl, sizes, year_end, say)
            spent["total"] = time.perf_counter() - t0
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                t0 = time.perf_counter()
                conn.execute(text("VACUUM ANALYZE"))
                spent["vacuum analyze"] = time.perf_counter() - t0
            engine.dispose()
        else:  # a plant built by an older tracelot: its migrations run on it, timed
            t0 = time.perf_counter()
            tl.init()
            migrated = time.perf_counter() - t0
            say(f"migrated in {migrated:.1f} s")
        found = counts(url)
        say("data: " + ", ".join(f"{k} {v:,}" for k, v in found.items()))
        figures = measure(tl, url, sizes, year_end, say)
        tl.close()
    args.out.mkdir(parents=True, exist_ok=True)
    result = {
        "units": label, "devices": devices, "counts": found, "built_seconds": spent,
        "migrated_seconds": migrated, "figures": figures, "machine": machine(),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    path = args.out / f"scale-{label}.json"
    if not build and path.exists():  # a rerun keeps the build's times
        result["built_seconds"] = json.loads(path.read_text()).get("built_seconds", {})
    path.write_text(json.dumps(result, indent=2) + "\n")
    say(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
