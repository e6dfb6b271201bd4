"""Issue 19, I.1: a void of a 10,000-serial receipt (every unit back to SUPPLIER, its
lines reversed, the receipt marked voided) against what it writes done by hand-written
SQL in the same run: one operation, the voids row, 10,000 moves, 10,000 units and the two
balances, in one transaction, with no checks."""

from __future__ import annotations

from pathlib import Path

from harness import Context, Target, fresh, once, raw

SERIALS = 10_000


def run(ctx: Context) -> None:
    reps = 3
    path, tl = fresh(ctx, "voids")
    tl.add_location("WH", kind="warehouse")
    tl.add_location("B1", parent="WH")
    tl.add_party("SUP", name="Supplier", kind="supplier")
    tl.add_item("PART", name="Part", tracking="serial", cost="3.5")
    # receipts to void, and as many for the baseline, among others' stock
    tl.receive("PART", to="B1", serials=f"K{1:06d}..K{100_000 if not ctx.quick else 20_000:06d}")
    receipts = [
        tl.receive("PART", to="B1", serials=f"R{k}{1:05d}..R{k}{SERIALS:05d}", supplier="SUP").id
        for k in range(2 * reps)
    ]
    times = []
    for op_id in receipts[:reps]:
        seconds, done = once(lambda op_id=op_id: tl.void(op_id, reason="received by mistake"))
        times.append(seconds)
        ctx.check(done.voids == op_id and done.lines[0].qty == SERIALS,
                  f"the void of receipt {op_id}: {done.lines[0].qty} lines")  # fmt: skip
    ctx.check(tl.verify().ok, "verify after the voids")
    tl.close()
    base_times = [_baseline(path, op_id) for op_id in receipts[reps:]]
    times.sort()
    base_times.sort()
    ctx.row(
        f"void a {SERIALS:,}-serial receipt",
        times[reps // 2],
        how=f"median of {reps}",
        baseline=base_times[reps // 2],
        baseline_name="the same rows written by hand-written SQL (set-based, no checks)",
        targets=[Target("max_ratio", 3.0)],
    )


def _baseline(path: Path, receipt: int) -> float:
    """What a void of the receipt writes, and nothing else, in one transaction."""
    with raw(path) as conn:
        supplier = conn.execute("SELECT id FROM locations WHERE code = 'SUPPLIER'").fetchone()[0]

        def write() -> None:
            conn.execute("BEGIN IMMEDIATE")
            op = conn.execute(
                "INSERT INTO operations (kind, occurred_at, recorded_at, user_name, note)"
                " VALUES ('void', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 'raw', 'x')"
            ).lastrowid
            conn.execute(
                "INSERT INTO voids (void_op_id, voided_op_id, reason) VALUES (?, ?, 'x')",
                (op, receipt),
            )
            conn.execute(
                "INSERT INTO moves (operation_id, item_id, lot_id, unit_id, from_location_id,"
                " to_location_id, qty, value) SELECT ?, item_id, lot_id, unit_id,"
                " to_location_id, from_location_id, qty, value FROM moves"
                " WHERE operation_id = ? ORDER BY id",
                (op, receipt),
            )
            conn.execute(
                "UPDATE units SET location_id = ?, party_id = NULL WHERE id IN"
                " (SELECT unit_id FROM moves WHERE operation_id = ?)",
                (supplier, receipt),
            )
            for sign, column in ((-1, "to_location_id"), (1, "from_location_id")):
                conn.execute(
                    f"UPDATE stock SET qty = qty + ? * (SELECT count(*) FROM moves"
                    f" WHERE operation_id = ?) WHERE (item_id, location_id) IN"
                    f" (SELECT item_id, {column} FROM moves WHERE operation_id = ? LIMIT 1)",
                    (sign, receipt, receipt),
                )
            conn.execute("COMMIT")

        seconds, _ = once(write)
    return seconds
