"""Issue 19, points 4 and 5: a transfer of 10,000 serials sent and received, and a receipt
of 10,000 serials held for inspection and passed, each against the same rows written by
hand-written SQL (sqlite3, one transaction) in the same run. A plain `move` of the same
units is noted beside them: sending and receiving cost what a move does (the ledger's
`post`: locks, costing, the lines), which is where the ratio to hand-written SQL goes.

The baselines write what the operation must write at the least: for a transfer's send or
receipt, an operation row, a ledger line per unit, each unit's new location, the two
balances, and a line per unit of the transfer (its `received` updated on receipt); for a
receipt held for inspection, the units and their lines, a hold and an inspection per
unit; for the pass, the holds released, the inspections decided and an operation.
"""

from __future__ import annotations

from pathlib import Path

from harness import Context, Target, fresh, once, raw, remove_db


def _size(ctx: Context) -> int:
    return 2_000 if ctx.quick else 10_000


def run(ctx: Context) -> None:
    n = _size(ctx)
    path, tl = fresh(ctx, "flow")
    tl.add_location("WH", kind="warehouse")
    tl.add_location("A1", parent="WH")
    tl.add_location("WHQ", parent="WH", kind="quarantine")
    tl.add_location("WH2", kind="warehouse")
    tl.add_location("B1", parent="WH2")
    tl.add_location("B2", parent="WH2")
    tl.add_party("SUP", name="Supplier", kind="supplier")
    tl.add_item("PART", name="Part", tracking="serial", cost="1.25")
    tl.add_item("CHECKED", name="Checked part", tracking="serial", cost="2")
    tl.item_set_inspection("CHECKED", inspect=True)
    tl.receive("PART", to="A1", serials=f"T{1:06d}..T{n:06d}", supplier="SUP")
    refs = [f"PART:T{i:06d}" for i in range(1, n + 1)]

    send_s, sent = once(lambda: tl.transfer(*refs, from_="WH", to="WH2"))
    ctx.check(len(sent["lines"]) == 1 and sent["lines"][0]["qty"] == n, "the transfer's lines")
    receive_s, got = once(lambda: tl.transfer_receive(sent["transfer"], to="B1"))
    ctx.check(got["status"] == "received", "the transfer was not received whole")
    base_send, base_receive = _baseline_transfer(ctx, n)
    by_hand = "the same rows by hand-written SQL"
    ctx.row(f"send a transfer of {n:,} serials (named one by one)", send_s, baseline=base_send,
            baseline_name=by_hand, targets=[Target("max_ratio", 3.0)])  # fmt: skip
    ctx.row(f"receive it whole at the destination ({n:,} serials)", receive_s,
            baseline=base_receive, baseline_name="the same rows by hand-written SQL",
            targets=[Target("max_ratio", 3.0)])  # fmt: skip

    move_s, _ = once(lambda: tl.move(*refs, to="B2"))
    ctx.note("a move of the same units in one site (the ledger path they share)", f"{move_s:.3f} s")

    plain_s, _ = once(lambda: tl.receive("PART", to="A1", serials=f"P{1:06d}..P{n:06d}",
                                         lot="PL", supplier="SUP"))  # fmt: skip
    held_s, _ = once(lambda: tl.receive("CHECKED", to="A1", serials=f"C{1:06d}..C{n:06d}",
                                        lot="CL", supplier="SUP"))  # fmt: skip
    ctx.check(len(tl.inspections()) == n, "every unit of the receipt waits for inspection")
    pass_s, passed = once(lambda: tl.inspect_pass("CHECKED@CL", to="A1"))
    ctx.check(passed["inspected"][0]["qty"] == n and not tl.inspections(), "the pass")
    base_held, base_pass = _baseline_inspection(ctx, n)
    ctx.row(f"receive {n:,} serials held for inspection", held_s, baseline=base_held,
            baseline_name=by_hand, targets=[Target("max_ratio", 3.0)])  # fmt: skip
    ctx.note("the same receipt without inspection", f"{plain_s:.3f} s")
    ctx.row(f"pass their inspection by the lot, put away ({n:,} units)", pass_s,
            baseline=base_pass, baseline_name="the same rows by hand-written SQL",
            targets=[Target("max_ratio", 3.0)])  # fmt: skip
    ctx.check(tl.verify().ok, "verify after the transfers and inspections")
    tl.close()


_TABLES = """
CREATE TABLE operations (id INTEGER PRIMARY KEY, kind TEXT, occurred_at TEXT, user_name TEXT);
CREATE TABLE units (id INTEGER PRIMARY KEY, item_id INTEGER, serial TEXT, lot_id INTEGER,
                    location_id INTEGER, UNIQUE (item_id, serial));
CREATE TABLE moves (id INTEGER PRIMARY KEY, operation_id INTEGER, item_id INTEGER,
                    lot_id INTEGER, unit_id INTEGER, from_location_id INTEGER,
                    to_location_id INTEGER, qty NUMERIC, value NUMERIC);
CREATE INDEX ix_moves_operation_id ON moves (operation_id);
CREATE INDEX ix_moves_unit_id ON moves (unit_id);
CREATE TABLE stock (id INTEGER PRIMARY KEY, item_id INTEGER, location_id INTEGER,
                    lot_id INTEGER, qty NUMERIC);
CREATE UNIQUE INDEX uq_stock ON stock (item_id, location_id, coalesce(lot_id, 0));
CREATE TABLE transfer_lines (id INTEGER PRIMARY KEY, transfer_id INTEGER, item_id INTEGER,
                             unit_id INTEGER, qty NUMERIC, received NUMERIC DEFAULT 0);
CREATE INDEX ix_transfer_lines_unit_id ON transfer_lines (unit_id);
CREATE TABLE holds (id INTEGER PRIMARY KEY, item_id INTEGER, unit_id INTEGER, reason TEXT,
                    placed_op_id INTEGER, released_op_id INTEGER);
CREATE INDEX ix_holds_unit_id ON holds (unit_id);
CREATE TABLE inspections (id INTEGER PRIMARY KEY, unit_id INTEGER, hold_id INTEGER,
                          status TEXT, result_op_id INTEGER, inspector TEXT);
CREATE INDEX ix_inspections_hold_id ON inspections (hold_id);
"""

_STOCK = ("INSERT INTO stock (item_id, location_id, lot_id, qty) VALUES (1, ?, NULL, ?) "
          "ON CONFLICT (item_id, location_id, coalesce(lot_id, 0)) "
          "DO UPDATE SET qty = stock.qty + excluded.qty")  # fmt: skip


def _database(ctx: Context, name: str, n: int) -> Path:
    path = ctx.db_path(name)
    with raw(path) as conn:
        conn.executescript(_TABLES)
        conn.execute("BEGIN")
        unit = "INSERT INTO units (id, item_id, serial, location_id) VALUES (?, 1, ?, 1)"
        conn.executemany(unit, ((i, f"T{i:06d}") for i in range(1, n + 1)))
        conn.execute(_STOCK, (1, n))
        conn.execute("COMMIT")
    return path


def _move_all(conn, op: int, n: int, source: int, dest: int) -> None:  # noqa: ANN001
    conn.execute("INSERT INTO operations (id, kind, occurred_at, user_name) "
                 "VALUES (?, 'transfer', datetime('now'), 'bench')", (op,))  # fmt: skip
    conn.executemany("INSERT INTO moves (operation_id, item_id, unit_id, from_location_id, "
                     "to_location_id, qty, value) VALUES (?, 1, ?, ?, ?, 1, 1.25)",
                     ((op, i, source, dest) for i in range(1, n + 1)))  # fmt: skip
    conn.executemany("UPDATE units SET location_id = ? WHERE id = ? AND location_id = ?",
                     ((dest, i, source) for i in range(1, n + 1)))  # fmt: skip
    conn.execute(_STOCK, (source, -n))
    conn.execute(_STOCK, (dest, n))


def _baseline_transfer(ctx: Context, n: int) -> tuple[float, float]:
    path = _database(ctx, "flow_baseline_transfer", n)
    with raw(path) as conn:

        def send() -> None:
            conn.execute("BEGIN")
            _move_all(conn, 1, n, 1, 2)
            conn.executemany("INSERT INTO transfer_lines (transfer_id, item_id, unit_id, qty) "
                             "VALUES (1, 1, ?, 1)", ((i,) for i in range(1, n + 1)))  # fmt: skip
            conn.execute("COMMIT")

        def receive() -> None:
            conn.execute("BEGIN")
            _move_all(conn, 2, n, 2, 3)
            conn.executemany("UPDATE transfer_lines SET received = received + 1 WHERE id = ?",
                             ((i,) for i in range(1, n + 1)))  # fmt: skip
            conn.execute("COMMIT")

        send_s, _ = once(send)
        receive_s, _ = once(receive)
    remove_db(path)
    return send_s, receive_s


def _baseline_inspection(ctx: Context, n: int) -> tuple[float, float]:
    path = ctx.db_path("flow_baseline_inspection")
    with raw(path) as conn:
        conn.executescript(_TABLES)

        def held() -> None:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO operations (id, kind, occurred_at, user_name) "
                         "VALUES (1, 'receive', datetime('now'), 'bench')")  # fmt: skip
            conn.executemany("INSERT INTO units (id, item_id, serial, lot_id, location_id) "
                             "VALUES (?, 1, ?, 1, 2)",
                             ((i, f"C{i:06d}") for i in range(1, n + 1)))  # fmt: skip
            conn.executemany("INSERT INTO moves (operation_id, item_id, lot_id, unit_id, "
                             "from_location_id, to_location_id, qty, value) "
                             "VALUES (1, 1, 1, ?, 0, 2, 1, 2)",
                             ((i,) for i in range(1, n + 1)))  # fmt: skip
            conn.execute(_STOCK, (2, n))
            conn.executemany("INSERT INTO holds (id, item_id, unit_id, reason, placed_op_id) "
                             "VALUES (?, 1, ?, 'awaiting inspection', 1)",
                             ((i, i) for i in range(1, n + 1)))  # fmt: skip
            waiting = "INSERT INTO inspections (unit_id, hold_id, status) VALUES (?, ?, 'waiting')"
            conn.executemany(waiting, ((i, i) for i in range(1, n + 1)))
            conn.execute("COMMIT")

        def passed() -> None:
            conn.execute("BEGIN")
            ids = [r[0] for r in conn.execute("SELECT hold_id FROM inspections "
                                              "WHERE status = 'waiting'")]  # fmt: skip
            _move_all(conn, 2, n, 2, 1)
            conn.executemany("UPDATE holds SET released_op_id = 2 WHERE id = ?",
                             ((i,) for i in ids))  # fmt: skip
            decide = (
                "UPDATE inspections SET status = 'passed', result_op_id = 2, "
                "inspector = 'bench' WHERE hold_id = ?"
            )
            conn.executemany(decide, ((i,) for i in ids))
            conn.execute("COMMIT")

        held_s, _ = once(held)
        pass_s, _ = once(passed)
    remove_db(path)
    return held_s, pass_s
