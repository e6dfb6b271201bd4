"""Issue 19, I.1: a count of a 10,000-unit bin, scanned (by counters sending their scans
in batches of 1,000, each batch its own transaction) and posted (ten units missing),
against the same rows written by hand-written SQL in the same run: the snapshot of what
is expected, a scan row per unit found by its serial, and the posting's lines."""

from __future__ import annotations

import sqlite3

from harness import Context, Target, fresh, once

UNITS = 10_000
BATCH = 1_000
MISSING = 10


def run(ctx: Context) -> None:
    path, tl = fresh(ctx, "count")
    tl.add_location("WH", kind="warehouse")
    tl.add_location("BIN", parent="WH")
    tl.add_item("PART", name="Part", tracking="serial", cost=3)
    tl.receive("PART", to="BIN", serials=f"S{1:05d}..S{UNITS:05d}")
    scans = [f"PART:S{k:05d}" for k in range(1, UNITS - MISSING + 1)]

    def count() -> dict:
        n = tl.count_start("BIN")["count"]
        for start in range(0, len(scans), BATCH):
            tl.count_scan(n, scans[start : start + BATCH], at="BIN")
        return tl.count_post(n)

    took, posted = once(count)
    tl.close()
    baseline = _hand_written(str(path), [s.split(":")[1] for s in scans])
    row = ctx.row(
        f"count a {UNITS:,}-unit bin: start, {len(scans):,} scans in batches of {BATCH:,}, post",
        took,
        baseline=baseline,
        baseline_name="the same rows written by hand-written SQL (snapshot, scans, lines)",
        targets=[Target("max_ratio", 3.0)],
    )
    ctx.check(posted["total"]["missing"] == MISSING and posted["present"] == len(scans),
              f"the count found {posted['total']['missing']} missing", row)  # fmt: skip
    import tracelot

    with tracelot.connect(f"sqlite:///{path}") as check:
        ctx.check(check.verify().ok, "verify after the count")


def _hand_written(path: str, serials: list[str]) -> float:
    """The rows a count writes, by hand: into tables of the same shape as tracelot's."""
    db = sqlite3.connect(path, isolation_level=None)
    for table in ("count_expected", "count_scans", "moves"):
        db.execute(f"CREATE TABLE bench_{table} AS SELECT * FROM {table} WHERE 0")
    item, bin_ = db.execute(
        "SELECT i.id, l.id FROM items i, locations l WHERE i.code = 'PART' AND l.code = 'BIN'"
    ).fetchone()

    def write() -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO bench_count_expected (count_id, item_id, lot_id, unit_id, "
                   "location_id, qty) SELECT 1, item_id, lot_id, id, location_id, 1 FROM units "
                   "WHERE location_id = ?", (bin_,))  # fmt: skip
        db.execute("COMMIT")
        for start in range(0, len(serials), BATCH):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO bench_count_scans (count_id, item_id, lot_id, unit_id, location_id,"
                " qty, ledger_location_id, scanned_at, user_name, input) SELECT 1, item_id, "
                "lot_id, id, ?, 1, location_id, '2030-01-01 00:00:00.000000', 'bench', ? "
                "FROM units WHERE item_id = ? AND serial = ?",
                [(bin_, f"PART:{s}", item, s) for s in serials[start : start + BATCH]],
            )
            db.execute("COMMIT")
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO bench_moves (operation_id, item_id, unit_id, from_location_id, "
                   "to_location_id, qty, value) SELECT 1, item_id, id, location_id, 0, 1, 3 "
                   "FROM units WHERE location_id = ? AND id NOT IN (SELECT unit_id FROM "
                   "bench_count_scans)", (bin_,))  # fmt: skip
        db.execute("COMMIT")

    took, _ = once(write)
    for table in ("count_expected", "count_scans", "moves"):
        db.execute(f"DROP TABLE bench_{table}")
    db.close()
    return took
