"""Issue 20: a sales order of 1,000 lines (each its own lot-tracked item, its stock in two
lots at two bins) taken and confirmed (its stock reserved, first-expiry-first-out), picked
by scanning (in batches of 250 scans, each its own transaction) and shipped, against the
same rows written by hand-written SQL into the same tables, in the same run: the order
and its lines, the reservations, the picks, the shipment's operation and moves, the
balances taken, the shipment rows and the lines' shipped quantities. A first small order
warms the statement caches; the order is read back after the clock."""

from __future__ import annotations

from pathlib import Path

from harness import Context, Target, fresh, once, raw, remove_db

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
        tl.add_item("WARM", name="Warm-up part", tracking="lot", cost=2)
        tl.receive("WARM", to="A1", lot="W1", qty=5, expires="2090-01-01")
        for k in range(lines):
            tl.add_item(f"P{k:04d}", name=f"Part {k}", tracking="lot", cost=2)
            tl.receive(f"P{k:04d}", to="A1", lot="OLD", qty=3, expires="2090-01-01")
            tl.receive(f"P{k:04d}", to="A2", lot="NEW", qty=10, expires="2095-01-01")
    specs = [f"P{k:04d}:5:9.5" for k in range(lines)]
    # the picker takes the 3 of the old lot at A1, then 2 of the new at A2 (FEFO)
    scans = [s for k in range(lines) for s in (f"P{k:04d}@OLD=3", f"P{k:04d}@NEW=2")]

    def sell() -> int:
        order = tl.so_create("ACME", lines=specs, reference="BENCH", confirm=True)
        for start in range(0, len(scans), BATCH):
            tl.so_pick(order["id"], scans[start : start + BATCH])
        tl.ship(so=order["id"])
        return order["id"]

    # a first small order warms the statement caches, as a running server has them warm
    # (J.3 and I.2 do the same)
    warm = tl.so_create("ACME", lines=["WARM:2:9.5"], confirm=True)
    tl.so_pick(warm["id"], ["WARM@W1=2"])
    tl.ship(so=warm["id"])
    # the hand-written SQL writes the same order into a copy of the database as it stands
    # now: the same balances and cost layers to take from
    copy = path.with_name("orders-by-hand.db")
    remove_db(copy)
    with raw(path) as db, raw(copy) as into:
        db.backup(into)
    plan = _plan(copy)
    took, so_id = once(sell)
    order = tl.sales_order(so_id)  # read after the clock: the hand-written SQL reads nothing
    tl.close()
    import tracelot

    with tracelot.connect(f"sqlite:///{path}") as check:
        ctx.check(check.verify().ok, "verify after the order")
    baseline = _hand_written(copy, plan)
    same = {name: [_state(p, sql) for p in (path, copy)] for name, sql in _WRITTEN.items()}
    ctx.check(all(a == b for a, b in same.values()),
              "the hand-written SQL left other rows than tracelot: "
              f"{[name for name, (a, b) in same.items() if a != b]}")  # fmt: skip
    row = ctx.row(
        f"a {lines:,}-line order: confirmed (reserved), picked by {len(scans):,} scans in "
        f"batches of {BATCH}, shipped",
        took,
        baseline=baseline,
        baseline_name="the same rows written into the same tables by hand-written SQL (order, "
        "lines, reservations, picks, operation, moves, balances, shipments)",
        targets=[Target("max_ratio", 3.0)],
    )
    ctx.check(order["status"] == "shipped" and all(ln["shipped"] == 5 for ln in order["lines"]),
              f"the order is {order['status']}", row)  # fmt: skip


Take = tuple[int, int, int, int, int]  # item, location, lot, quantity, cost layer

#: what the order leaves, the same whoever writes it (ids and moments aside)
_WRITTEN = {
    "balances": "SELECT item_id, location_id, lot_id, qty FROM stock ORDER BY 1, 2, 3",
    "cost layers": "SELECT id, qty_left FROM cost_layers ORDER BY id",
    "moves": "SELECT item_id, lot_id, from_location_id, to_location_id, qty, value FROM moves"
    " WHERE operation_id = (SELECT max(id) FROM operations) ORDER BY 1, 2, 3",
    "picks": "SELECT so_line_id, item_id, location_id, lot_id, qty, shipped_op_id IS NULL"
    " FROM so_picks WHERE so_id = (SELECT max(id) FROM sales_orders) ORDER BY 1, 3",
    "lines": "SELECT id, item_id, qty, shipped FROM so_lines ORDER BY id",
    "shipments": "SELECT so_line_id, qty FROM so_shipments ORDER BY 1",
    "reservations": "SELECT COUNT(*) FROM reservations",
    "orders": "SELECT id, status FROM sales_orders ORDER BY id",
}


def _state(path: Path, sql: str) -> list[tuple]:
    with raw(path) as db:
        return db.execute(sql).fetchall()


def _plan(path: Path) -> list[list[Take]]:
    """Each line's takes as first-expiry-first-out gives them: 3 of the old lot, 2 of the
    new. Only the balances of real places: the supplier's (virtual) balances of the same
    lots are not stock to take (counting them doubled the baseline's rows until now)."""
    with raw(path) as db:
        rows = db.execute(
            "SELECT i.id, s.location_id, s.lot_id, l.code, c.id FROM items i JOIN stock s ON "
            "s.item_id = i.id JOIN lots l ON l.id = s.lot_id JOIN locations p ON "
            "p.id = s.location_id JOIN cost_layers c ON c.item_id = i.id AND c.lot_id = l.id "
            "AND c.location_id = p.id WHERE i.code LIKE 'P%' AND NOT p.virtual "
            "ORDER BY i.id, l.expires"
        ).fetchall()
    by_item: dict[int, list[Take]] = {}
    for item_id, loc, lot, code, layer in rows:
        take = 3 if code == "OLD" else 2
        by_item.setdefault(item_id, []).append((item_id, loc, lot, take, layer))
    return list(by_item.values())


def _hand_written(path: Path, plan: list[list[Take]]) -> float:
    """The rows an order writes, by hand, into tracelot's own tables (their indexes and
    triggers too; without the foreign key checks tracelot's connections make, unless
    `--baseline-foreign-keys`), in a copy
    of the database as tracelot found it: the same order, its cost layers taken and the
    balances it empties deleted."""
    with raw(path) as db:
        (customer,) = db.execute("SELECT id FROM parties WHERE code = 'ACME'").fetchone()
        (to_id,) = db.execute("SELECT id FROM locations WHERE code = 'CUSTOMER'").fetchone()
        (first_line,) = db.execute("SELECT COALESCE(max(id), 0) + 1 FROM so_lines").fetchone()
        now = "2030-01-01 00:00:00.000000"
        picks = [(first_line + n, *take) for n, takes in enumerate(plan) for take in takes]

        def write() -> None:
            db.execute("BEGIN IMMEDIATE")
            so = db.execute("INSERT INTO sales_orders (customer_id, status, reference, user_name, "
                            "created_at) VALUES (?, 'open', 'BENCH', 'bench', ?)",
                            (customer, now)).lastrowid  # fmt: skip
            db.executemany("INSERT INTO so_lines (id, so_id, line_no, item_id, qty, price, "
                           "shipped) VALUES (?, ?, ?, ?, 5, 9.5, 0)",
                           [(first_line + n, so, n + 1, takes[0][0])
                            for n, takes in enumerate(plan)])  # fmt: skip
            db.executemany("INSERT INTO reservations (so_id, so_line_id, item_id, location_id, "
                           "lot_id, qty) VALUES (?, ?, ?, ?, ?, ?)",
                           [(so, *p[:-1]) for p in picks])  # fmt: skip
            db.execute("COMMIT")
            for start in range(0, len(picks), BATCH):
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT INTO so_picks (so_id, so_line_id, item_id, location_id, "
                               "lot_id, qty, picked_at, user_name) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, 'bench')",
                               [(so, *p[:-1], now)
                                for p in picks[start : start + BATCH]])  # fmt: skip
                db.execute("COMMIT")
            db.execute("BEGIN IMMEDIATE")
            op = db.execute("INSERT INTO operations (kind, occurred_at, recorded_at, user_name, "
                            "reference, party_id) VALUES ('ship', ?, ?, 'bench', "
                            "'SO 2 (BENCH)', ?)", (now, now, customer)).lastrowid  # fmt: skip
            db.executemany("INSERT INTO moves (operation_id, item_id, lot_id, from_location_id, "
                           "to_location_id, qty, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(op, item, lot, loc, to_id, q, 2 * q)
                            for _, item, loc, lot, q, _ in picks])  # fmt: skip
            db.executemany("UPDATE cost_layers SET qty_left = qty_left - ? WHERE id = ?",
                           [(q, layer) for *_, q, layer in picks])  # fmt: skip
            db.executemany("INSERT INTO stock (item_id, location_id, lot_id, qty) VALUES "
                           "(?, ?, ?, ?) ON CONFLICT (item_id, location_id, COALESCE(lot_id, 0)) "
                           "DO UPDATE SET qty = stock.qty + excluded.qty",
                           [(item, where, lot, sign * q) for _, item, loc, lot, q, _ in picks
                            for where, sign in ((loc, -1), (to_id, 1))])  # fmt: skip
            db.executemany("DELETE FROM stock WHERE item_id = ? AND location_id = ? AND "
                           "COALESCE(lot_id, 0) = ? AND qty = 0",
                           [(item, loc, lot) for _, item, loc, lot, _, _ in picks])  # fmt: skip
            db.executemany("INSERT INTO so_shipments (so_line_id, operation_id, qty) "
                           "VALUES (?, ?, 5)",
                           [(first_line + n, op) for n in range(len(plan))])  # fmt: skip
            db.execute("UPDATE so_lines SET shipped = qty WHERE so_id = ?", (so,))
            db.execute("UPDATE so_picks SET shipped_op_id = ? WHERE so_id = ?", (op, so))
            db.execute("DELETE FROM reservations WHERE so_id = ?", (so,))
            db.execute("UPDATE sales_orders SET status = 'shipped' WHERE id = ?", (so,))
            db.execute("COMMIT")

        took, _ = once(write)
    return took
