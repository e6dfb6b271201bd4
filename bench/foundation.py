"""Issue 2, the foundation: a million-serial receipt, look-ups at a million units, shipping
a thousand serials in one operation.

Sections `receive`, `lookup` and `ship` share one database of a million units (made by
`receive`, or by whichever of them runs first).
"""

from __future__ import annotations

from pathlib import Path

from harness import Context, Target, connect, fresh, once, raw, remove_db, repeat, say

ITEM, LOCATION, CUSTOMER = "PART", "WH", "ACME"


def _size(ctx: Context) -> int:
    return 100_000 if ctx.quick else 1_000_000


def _serials(n: int) -> list[str]:
    return [f"S{i:07d}" for i in range(1, n + 1)]


def _setup(ctx: Context, name: str) -> tuple[Path, object]:
    path, tl = fresh(ctx, name)
    tl.add_location(LOCATION, kind="warehouse")
    tl.add_party("SUPCO", name="Supplier Co", kind="supplier")
    tl.add_party(CUSTOMER, name="Acme Corp", kind="customer")
    tl.add_item(ITEM, name="Part", tracking="serial", cost="1.25")
    return path, tl


def _baseline_insert(ctx: Context, serials: list[str]) -> float:
    """The floor: the same serial strings into one table with a unique index, in one
    transaction, by sqlite3.executemany (the list is made before the clock starts)."""
    path = ctx.db_path("baseline_insert")
    with raw(path) as conn:
        conn.execute("CREATE TABLE u (item INTEGER, serial TEXT, UNIQUE (item, serial))")

        def insert() -> None:
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO u (item, serial) VALUES (1, ?)", ((s,) for s in serials))
            conn.execute("COMMIT")

        seconds, _ = once(insert)
        (count,) = conn.execute("SELECT count(*) FROM u").fetchone()
    remove_db(path)
    ctx.check(count == len(serials), f"baseline inserted {count} of {len(serials)} serials")
    return seconds


def million(ctx: Context) -> Path:
    """The shared database of `_size` units of one item (made once per run)."""
    if "million" not in ctx.shared:
        n = _size(ctx)
        say(f"  (making the {n:,}-unit database for the look-ups)")
        path, tl = _setup(ctx, "million")
        tl.receive(ITEM, to=LOCATION, serials=f"S0000001..S{n:07d}", supplier="SUPCO")
        tl.close()
        ctx.shared["million"] = path
    return ctx.shared["million"]


def receive(ctx: Context) -> None:
    """A.1: receive a million serials of one item in one command."""
    n = _size(ctx)
    reps = 1 if ctx.quick else 3
    serials = _serials(n)
    base_times, times = [], []
    for rep in range(reps):
        base_times.append(_baseline_insert(ctx, serials))
        path, tl = _setup(ctx, "million")
        seconds, op = once(
            lambda tl=tl: tl.receive(
                ITEM, to=LOCATION, serials=f"S0000001..S{n:07d}", supplier="SUPCO"
            )
        )
        times.append(seconds)
        ctx.check(op.lines[0].qty == n, f"receipt {rep} recorded {op.lines[0].qty} units, not {n}")
        tl.close()
        say(f"  run {rep + 1}: tracelot {seconds:.2f} s, baseline {base_times[-1]:.2f} s")
    ctx.shared["million"] = path  # the last receipt's database serves the look-ups
    best = sorted(range(reps), key=lambda i: times[i])[reps // 2]  # the median run
    ctx.row(
        f"receive {n:,} serials, one command",
        times[best],
        how="once" if reps == 1 else f"median of {reps}",
        baseline=base_times[best],
        baseline_name="sqlite3.executemany into one indexed table (same run)",
        targets=[Target("max_ratio", 3)],
    )


def lookup(ctx: Context) -> None:
    """A.2: `where` of one unit and `stock(item=...)` at a million units."""
    path = million(ctx)
    n = _size(ctx)
    calls = 200
    rng = ctx.rng("lookup")
    refs = [f"S{rng.randint(1, n):07d}" for _ in range(calls)]
    tl = connect(path)
    stats, rows = repeat(lambda s: tl.where(f"{ITEM}:{s}"), refs)
    ctx.check(all(r[0]["serial"] == s for r, s in zip(rows, refs, strict=True)), "where rows")
    with raw(path) as conn:
        where_sql = """
            SELECT u.serial, l.code, l.path, l.kind, lot.code, COALESCE(u.expires, lot.expires),
                   p.code, p.name
            FROM items i
            JOIN units u ON u.item_id = i.id AND u.serial = ?
            JOIN locations l ON l.id = u.location_id
            LEFT JOIN lots lot ON lot.id = u.lot_id
            LEFT JOIN parties p ON p.id = u.party_id
            WHERE i.code = ?"""
        base, _ = repeat(lambda s: conn.execute(where_sql, (s, ITEM)).fetchone(), refs)
        ctx.repeated(
            f"where ITEM:SERIAL at {n:,} units (random serials)",
            stats,
            baseline=base.median,
            baseline_name="one indexed SELECT by raw sqlite3",
            targets=[Target("max_s", 1e-3)],
        )
        stats, rows = repeat(lambda _: tl.stock(item=ITEM), list(range(calls)))
        ctx.check(rows[0][0]["qty"] == n, f"stock of {ITEM} is {rows[0][0]['qty']}, not {n}")
        stock_sql = """
            SELECT i.code, l.code, l.path, lot.code, s.qty, lot.expires
            FROM stock s JOIN items i ON i.id = s.item_id
            JOIN locations l ON l.id = s.location_id
            LEFT JOIN lots lot ON lot.id = s.lot_id
            WHERE i.code = ? AND NOT l.virtual AND s.qty <> 0"""
        base, _ = repeat(lambda _: conn.execute(stock_sql, (ITEM,)).fetchall(), list(range(calls)))
        ctx.repeated(
            f"stock(item=...) at {n:,} units",
            stats,
            baseline=base.median,
            baseline_name="one SELECT of the balances by raw sqlite3",
            targets=[Target("max_s", 1e-3)],
        )
    tl.close()


def ship(ctx: Context) -> None:
    """A.3: ship 1,000 serials in one operation (random units of the million)."""
    path = million(ctx)
    n = _size(ctx)
    reps = 3
    rng = ctx.rng("ship")
    picks = rng.sample(range(1, n + 1), 1_000 * (2 * reps))
    batches = [[f"S{i:07d}" for i in picks[k * 1_000 : (k + 1) * 1_000]] for k in range(2 * reps)]
    tl = connect(path)
    times = []
    for k in range(reps):
        refs = [f"{ITEM}:{s}" for s in batches[k]]
        seconds, op = once(lambda r=refs, k=k: tl.ship(*r, to=CUSTOMER, reference=f"SO-{k}"))
        times.append(seconds)
        ctx.check(op.lines[0].qty == 1_000, f"shipment {k} moved {op.lines[0].qty} units")
    tl.close()
    base_times = [_baseline_ship(path, batches[reps + k]) for k in range(reps)]
    del ctx.shared["million"]  # the baseline wrote behind tracelot's back: done with it
    times.sort()
    base_times.sort()
    ctx.row(
        "ship 1,000 serials in one operation",
        times[reps // 2],
        how=f"median of {reps}",
        baseline=base_times[reps // 2],
        baseline_name="the same rows written by raw sqlite3 (no checks)",
        targets=[Target("max_s", 1.0)],
    )


def _baseline_ship(path: Path, serials: list[str]) -> float:
    """What a shipment writes, and nothing else: one operation, 1,000 moves, 1,000 unit
    updates and two balance updates, in one transaction."""
    with raw(path) as conn:
        ids = dict(conn.execute("SELECT code, id FROM locations").fetchall())
        party = conn.execute("SELECT id FROM parties WHERE code = ?", (CUSTOMER,)).fetchone()[0]
        item = conn.execute("SELECT id FROM items WHERE code = ?", (ITEM,)).fetchone()[0]

        def write() -> None:
            conn.execute("BEGIN IMMEDIATE")
            op = conn.execute(
                "INSERT INTO operations (kind, occurred_at, recorded_at, user_name, party_id)"
                " VALUES ('ship', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 'raw', ?)",
                (party,),
            ).lastrowid
            conn.executemany(
                "INSERT INTO moves (operation_id, item_id, lot_id, unit_id, from_location_id,"
                " to_location_id, qty) SELECT ?, item_id, lot_id, id, location_id, ?, 1"
                " FROM units WHERE item_id = ? AND serial = ?",
                [(op, ids["CUSTOMER"], item, s) for s in serials],
            )
            conn.executemany(
                "UPDATE units SET location_id = ?, party_id = ? WHERE item_id = ? AND serial = ?",
                [(ids["CUSTOMER"], party, item, s) for s in serials],
            )
            for loc, sign in ((ids[LOCATION], -1), (ids["CUSTOMER"], 1)):
                conn.execute(
                    "UPDATE stock SET qty = qty + ? WHERE item_id = ? AND location_id = ?",
                    (sign * len(serials), item, loc),
                )
            conn.execute("COMMIT")

        seconds, _ = once(write)
    return seconds
