"""Issue 20: a sales order of 1,000 lines (each its own lot-tracked item, its stock in two
lots at two bins) taken and confirmed (its stock reserved, first-expiry-first-out), picked
by scanning (in batches of 250 scans, each its own transaction) and shipped, against the
same rows written by hand-written SQL in the same run: the order and its lines, the
reservations, the picks, the shipment's operation and moves, the balances taken, the
shipment rows and the lines' shipped quantities."""

from __future__ import annotations

import sqlite3

from harness import Context, Target, fresh, once

LINES = 1_000
BATCH = 250


def run(ctx: Context) -> None:
    lines = 100 if ctx.quick else LINES
    path, tl = fresh(ctx, "orders")
    with tl.atomic():
        tl.add_location("WH", kind="warehouse")
        tl.add_location("A1", parent="WH")
        tl.add_location("A2", parent="WH")
        tl.add_party("ACME", name="Acme", kind="customer")
        for k in range(lines):
            tl.add_item(f"P{k:04d}", name=f"Part {k}", tracking="lot", cost=2)
            tl.receive(f"P{k:04d}", to="A1", lot="OLD", qty=3, expires="2090-01-01")
            tl.receive(f"P{k:04d}", to="A2", lot="NEW", qty=10, expires="2095-01-01")
    specs = [f"P{k:04d}:5:9.5" for k in range(lines)]
    # the picker takes the 3 of the old lot at A1, then 2 of the new at A2 (FEFO)
    scans = [s for k in range(lines) for s in (f"P{k:04d}@OLD=3", f"P{k:04d}@NEW=2")]

    def sell() -> dict:
        order = tl.so_create("ACME", lines=specs, reference="BENCH", confirm=True)
        for start in range(0, len(scans), BATCH):
            tl.so_pick(order["id"], scans[start : start + BATCH])
        tl.ship(so=order["id"])
        return tl.sales_order(order["id"])

    took, order = once(sell)
    tl.close()
    baseline = _hand_written(str(path), lines)
    row = ctx.row(
        f"a {lines:,}-line order: confirmed (reserved), picked by {len(scans):,} scans in "
        f"batches of {BATCH}, shipped",
        took,
        baseline=baseline,
        baseline_name="the same rows written by hand-written SQL (order, lines, reservations, "
        "picks, operation, moves, balances, shipments)",
        targets=[Target("max_ratio", 3.0)],
    )
    ctx.check(order["status"] == "shipped" and all(ln["shipped"] == 5 for ln in order["lines"]),
              f"the order is {order['status']}", row)  # fmt: skip
    import tracelot

    with tracelot.connect(f"sqlite:///{path}") as check:
        ctx.check(check.verify().ok, "verify after the order")


TABLES = ("sales_orders", "so_lines", "reservations", "so_picks", "operations", "moves",
          "so_shipments")  # fmt: skip


def _hand_written(path: str, lines: int) -> float:
    """The rows an order writes, by hand: into tables of the same shape as tracelot's."""
    db = sqlite3.connect(path, isolation_level=None)
    for table in TABLES + ("stock",):
        db.execute(f"CREATE TABLE bench_{table} AS SELECT * FROM {table}"
                   + (" WHERE 0" if table != "stock" else ""))  # fmt: skip
    db.execute("CREATE INDEX bench_stock_key ON bench_stock (item_id, location_id, lot_id)")
    (customer,) = db.execute("SELECT id FROM parties WHERE code = 'ACME'").fetchone()
    (to_id,) = db.execute("SELECT id FROM locations WHERE code = 'CUSTOMER'").fetchone()
    rows = db.execute(
        "SELECT i.id, s.location_id, s.lot_id, l.code FROM items i JOIN stock s ON "
        "s.item_id = i.id JOIN lots l ON l.id = s.lot_id WHERE i.code LIKE 'P%' "
        "ORDER BY i.id, l.expires"
    ).fetchall()
    by_item: dict[int, list] = {}
    for item_id, loc, lot, code in rows:
        by_item.setdefault(item_id, []).append((loc, lot, 3 if code == "OLD" else 2))
    now = "2030-01-01 00:00:00.000000"

    def write() -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO bench_sales_orders (id, customer_id, status, reference, "
                   "user_name, created_at) VALUES (1, ?, 'open', 'BENCH', 'bench', ?)",
                   (customer, now))  # fmt: skip
        db.executemany("INSERT INTO bench_so_lines (id, so_id, line_no, item_id, qty, price, "
                       "shipped) VALUES (?, 1, ?, ?, 5, 9.5, 0)",
                       [(n, n, item) for n, item in enumerate(by_item, 1)])  # fmt: skip
        db.executemany("INSERT INTO bench_reservations (so_id, so_line_id, item_id, "
                       "location_id, lot_id, qty) VALUES (1, ?, ?, ?, ?, ?)",
                       [(n, item, loc, lot, q) for n, (item, takes) in
                        enumerate(by_item.items(), 1) for loc, lot, q in takes])  # fmt: skip
        db.execute("COMMIT")
        picks = [(n, item, loc, lot, q) for n, (item, takes) in enumerate(by_item.items(), 1)
                 for loc, lot, q in takes]  # fmt: skip
        for start in range(0, len(picks), BATCH):
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO bench_so_picks (so_id, so_line_id, item_id, "
                           "location_id, lot_id, qty, picked_at, user_name) VALUES "
                           "(1, ?, ?, ?, ?, ?, ?, 'bench')",
                           [(*p, now) for p in picks[start : start + BATCH]])  # fmt: skip
            db.execute("COMMIT")
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO bench_operations (id, kind, occurred_at, recorded_at, "
                   "user_name, reference, party_id) VALUES (1, 'ship', ?, ?, 'bench', "
                   "'SO 1 (BENCH)', ?)", (now, now, customer))  # fmt: skip
        db.executemany(
            "INSERT INTO bench_moves (operation_id, item_id, lot_id, "
            "from_location_id, to_location_id, qty, value) VALUES "
            "(1, ?, ?, ?, ?, ?, ?)",
            [(item, lot, loc, to_id, q, 2 * q) for _, item, loc, lot, q in picks],
        )
        db.executemany("UPDATE bench_stock SET qty = qty - ? WHERE item_id = ? AND "
                       "location_id = ? AND lot_id = ?",
                       [(q, item, loc, lot) for _, item, loc, lot, q in picks])  # fmt: skip
        db.executemany("UPDATE bench_stock SET qty = qty + ? WHERE item_id = ? AND "
                       "location_id = ? AND lot_id = ?",
                       [(q, item, to_id, lot) for _, item, loc, lot, q in picks])  # fmt: skip
        db.executemany("INSERT INTO bench_so_shipments (so_line_id, operation_id, qty) "
                       "VALUES (?, 1, 5)", [(n,) for n in range(1, lines + 1)])  # fmt: skip
        db.execute("UPDATE bench_so_lines SET shipped = qty")
        db.execute("UPDATE bench_so_picks SET shipped_op_id = 1")
        db.execute("DELETE FROM bench_reservations")
        db.execute("UPDATE bench_sales_orders SET status = 'shipped'")
        db.execute("COMMIT")

    took, _ = once(write)
    for table in TABLES + ("stock",):
        db.execute(f"DROP TABLE bench_{table}")
    db.close()
    return took
