"""Issue 19, I.2: a count of a 10,000-unit bin, scanned (by counters sending their scans
in batches of 1,000, each batch its own transaction) and posted (ten units missing), after
a first count of a small shelf (the statement caches warm, as a server's are),
against the same rows written by hand-written SQL in the same run: the snapshot of what
is expected, a scan row per unit found by its serial, and the posting's lines, in the same
tables (as the void's baseline I.1 writes into the ledger's)."""

from __future__ import annotations

from pathlib import Path

from harness import Context, Target, fresh, once, raw

UNITS = 10_000
BATCH = 1_000
MISSING = 10


def run(ctx: Context) -> None:
    path, tl = fresh(ctx, "count")
    tl.add_location("WH", kind="warehouse")
    tl.add_location("BIN", parent="WH")
    tl.add_item("PART", name="Part", tracking="serial", cost=3)
    tl.receive("PART", to="BIN", serials=f"S{1:05d}..S{UNITS:05d}")
    tl.add_location("SHELF", parent="WH")  # a first, small count: a running server's warm
    tl.receive("PART", to="SHELF", serials="W01..W10")  # statement caches, as in I.1
    scans = [f"PART:S{k:05d}" for k in range(1, UNITS - MISSING + 1)]

    def count(bin_: str, scans: list[str]) -> dict:
        n = tl.count_start(bin_)["count"]
        for start in range(0, len(scans), BATCH):
            tl.count_scan(n, scans[start : start + BATCH], at=bin_)
        return tl.count_post(n)

    count("SHELF", [f"PART:W{k:02d}" for k in range(1, 10)])
    took, posted = once(lambda: count("BIN", scans))
    tl.close()
    baseline = _hand_written(str(path), [s.split(":")[1] for s in scans])
    row = ctx.row(
        f"count a {UNITS:,}-unit bin: start, {len(scans):,} scans in batches of {BATCH:,}, post",
        took,
        baseline=baseline,
        baseline_name="the same rows written into the same tables by hand-written SQL",
        targets=[Target("max_ratio", 3.0)],
    )
    ctx.check(posted["total"]["missing"] == MISSING and posted["present"] == len(scans),
              f"the count found {posted['total']['missing']} missing", row)  # fmt: skip
    import tracelot

    with tracelot.connect(f"sqlite:///{path}") as check:
        ctx.check(check.verify().ok, "verify after the count")


def _hand_written(path: str, serials: list[str]) -> float:
    """The rows a count writes, by hand, into the same tables (their indexes too, as the
    void's baseline I.1 does; without the foreign key checks tracelot's connections make,
    unless `--baseline-foreign-keys`):
    the count and its snapshot, a scan row per unit found by its serial (ten batches, each
    its own transaction), and the posting's operation and lines."""
    with raw(Path(path)) as db:
        item, bin_ = db.execute(
            "SELECT i.id, l.id FROM items i, locations l WHERE i.code = 'PART' AND l.code = 'BIN'"
        ).fetchone()
        adjustment = db.execute("SELECT id FROM locations WHERE code = 'ADJUSTMENT'").fetchone()[0]
        stamp = "2030-01-01 00:00:00.000000"

        def write() -> None:
            db.execute("BEGIN IMMEDIATE")
            count = db.execute("INSERT INTO counts (location_id, status, blind, started_at, "
                               "started_by) VALUES (?, 'open', 0, ?, 'bench')",
                               (bin_, stamp)).lastrowid  # fmt: skip
            db.execute("INSERT INTO count_expected (count_id, item_id, lot_id, unit_id, "
                       "location_id, qty) SELECT ?, item_id, lot_id, id, location_id, 1 FROM units "
                       "WHERE location_id = ?", (count, bin_))  # fmt: skip
            db.execute("COMMIT")
            for start in range(0, len(serials), BATCH):
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    "INSERT INTO count_scans (count_id, item_id, lot_id, unit_id, location_id,"
                    " qty, ledger_location_id, scanned_at, user_name, input) SELECT ?, item_id, "
                    "lot_id, id, ?, 1, location_id, ?, 'bench', ? FROM units WHERE item_id = ? "
                    "AND serial = ?",
                    [(count, bin_, stamp, f"PART:{s}", item, s)
                     for s in serials[start : start + BATCH]],
                )  # fmt: skip
                db.execute("COMMIT")
            db.execute("BEGIN IMMEDIATE")
            op = db.execute(
                "INSERT INTO operations (kind, occurred_at, recorded_at, user_name) "
                "VALUES ('count', ?, ?, 'bench')",
                (stamp, stamp),
            ).lastrowid
            db.execute(
                "INSERT INTO moves (operation_id, item_id, unit_id, from_location_id, "
                "to_location_id, qty, value) SELECT ?, item_id, id, location_id, ?, 1, 3 "
                "FROM units WHERE location_id = ? AND id NOT IN (SELECT unit_id FROM "
                "count_scans WHERE count_id = ?)",
                (op, adjustment, bin_, count),
            )
            db.execute("COMMIT")

        took, _ = once(write)
    return took
