"""Issue 20, point 3: a pallet of 40 cases of 50 serials, packed (40 `pack --new case`
of 50 units, then the 40 cases onto a new pallet) and shipped by one scan of the pallet's
SSCC, each against the same rows written by hand-written SQL (sqlite3, one transaction
each) in the same run.

The baselines write what packing and shipping must write at the least: for each case an
operation, its logistic unit (and SSCC), a packing line and a content row per unit; for
the pallet the same with its 40 cases; for the shipment an operation, a ledger line per
unit, each unit's new location and customer, the two balances, each case's new place and
the cases the shipment took along."""

from __future__ import annotations

from pathlib import Path

from harness import Context, Target, fresh, once, raw

from tracelot.domain.sscc import make_sscc

CASES, PER_CASE = 40, 50
PREFIX = "0614141"


def run(ctx: Context) -> None:
    path, tl = fresh(ctx, "packing")
    tl.add_location("WH", kind="warehouse")
    tl.add_location("PACK", parent="WH")
    tl.add_party("SUP", name="Supplier", kind="supplier")
    tl.add_party("ACME", name="Acme", kind="customer")
    tl.add_item("PART", name="Part", tracking="serial", cost="1.25")
    tl.set_setting("gs1_company_prefix", PREFIX)
    n = CASES * PER_CASE
    tl.receive("PART", to="PACK", serials=f"P{1:06d}..P{n:06d}", supplier="SUP")
    tl.receive("PART", to="PACK", serials=f"B{1:06d}..B{n:06d}", supplier="SUP")  # baseline's
    tl.receive("PART", to="PACK", serials=f"Q{1:06d}..Q{n:06d}", supplier="SUP")  # the notes'
    tl.add_location("DOCK", parent="WH")
    # a first small case, shipped by its SSCC read as a scan, warms the statement caches
    # and GS1's dictionary, as a running server has them warm (I.2 does the same)
    tl.receive("PART", to="PACK", serials="W1..W3", supplier="SUP")
    case = tl.pack("PART:W1", "PART:W2", new="case")
    warm = tl.pack(f"(00){case['sscc']}", "PART:W3", new="pallet")
    tl.ship(f"(00){warm['sscc']}", to="ACME")

    def pack_all() -> dict:
        cases = []
        for c in range(CASES):
            refs = [f"PART:P{c * PER_CASE + i:06d}" for i in range(1, PER_CASE + 1)]
            cases.append(tl.pack(*refs, new="case")["sscc"])
        return tl.pack(*cases, new="pallet")

    pack_s, pallet = once(pack_all)
    ctx.check(pallet["totals"]["ssccs"] == CASES, "the pallet holds the 40 cases")
    ship_s, shipped = once(lambda: tl.ship(f"(00){pallet['sscc']}", to="ACME"))
    ctx.check(shipped.lines[0].qty == n, f"the shipment's lines: {shipped.lines[0].qty}")
    ctx.check(tl.where("PART:P000001")[0]["status"] == "shipped", "a unit on it was shipped")
    ctx.check(tl.verify().ok, "verify after packing and shipping")
    # beside them, the ledger path they share: 40 moves of 50 serials, and one shipment of
    # 2,000 serials named one by one (what packing and the SSCC scan add is the difference)
    plain = [[f"PART:Q{c * PER_CASE + i:06d}" for i in range(1, PER_CASE + 1)]
             for c in range(CASES)]  # fmt: skip
    moves_s, _ = once(lambda: [tl.move(*refs, to="DOCK") for refs in plain])
    plain_s, _ = once(lambda: tl.ship(*[r for refs in plain for r in refs], to="ACME"))
    tl.close()
    base_pack, base_ship = _baseline(path)
    by_hand = "the same rows by hand-written SQL"
    ctx.row(f"pack {n:,} serials into {CASES} cases of {PER_CASE} and onto a pallet "
            f"({CASES + 1} operations)", pack_s, baseline=base_pack, baseline_name=by_hand,
            targets=[Target("max_ratio", 3.0)])  # fmt: skip
    ctx.row(
        f"ship the pallet by one scan of its SSCC ({n:,} serials)",
        ship_s,
        baseline=base_ship,
        baseline_name=by_hand,
        targets=[Target("max_ratio", 3.0)],
    )
    ctx.row("pack and ship, together", pack_s + ship_s, baseline=base_pack + base_ship,
            baseline_name=by_hand, targets=[Target("max_ratio", 3.0)])  # fmt: skip
    ctx.note(f"{CASES} moves of {PER_CASE} serials each (the ledger path of the same size)",
             f"{moves_s:.3f} s")  # fmt: skip
    ctx.note(f"a shipment of {n:,} serials named one by one", f"{plain_s:.3f} s")


def _baseline(path: Path) -> tuple[float, float]:
    """The rows of packing the B serials into cases and a pallet, then of shipping it."""
    with raw(path) as conn:
        item = conn.execute("SELECT id FROM items WHERE code = 'PART'").fetchone()[0]
        pack_at = conn.execute("SELECT id FROM locations WHERE code = 'PACK'").fetchone()[0]
        customer = conn.execute("SELECT id FROM locations WHERE code = 'CUSTOMER'").fetchone()[0]
        acme = conn.execute("SELECT id FROM parties WHERE code = 'ACME'").fetchone()[0]
        units = [r[0] for r in conn.execute(
            "SELECT id FROM units WHERE serial LIKE 'B%' ORDER BY serial")]  # fmt: skip
        base = conn.execute("SELECT coalesce(max(id), 0) FROM logistic_units").fetchone()[0]

        def op(kind: str) -> int:
            return conn.execute(
                "INSERT INTO operations (kind, occurred_at, recorded_at, user_name)"
                " VALUES (?, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 'raw')",
                (kind,),
            ).lastrowid

        def new_lu(kind: str, op_id: int) -> int:
            lu = conn.execute(
                "INSERT INTO logistic_units (kind, location_id, created_op_id) VALUES (?, ?, ?)",
                (kind, pack_at, op_id),
            ).lastrowid
            conn.execute("UPDATE logistic_units SET sscc = ? WHERE id = ?",
                         (make_sscc("0614142", base + lu), lu))  # fmt: skip
            return lu

        def put(op_id: int, lu: int, rows: list[tuple]) -> None:
            conn.executemany(
                "INSERT INTO lu_lines (operation_id, lu_id, added, item_id, unit_id,"
                " child_lu_id, qty) VALUES (?, ?, 1, ?, ?, ?, 1)",
                [(op_id, lu, *r) for r in rows],
            )
            conn.executemany(
                "INSERT INTO lu_contents (lu_id, item_id, unit_id, child_lu_id, qty)"
                " VALUES (?, ?, ?, ?, 1)", [(lu, *r) for r in rows],
            )  # fmt: skip

        lus: list[int] = []

        def pack() -> None:
            for c in range(CASES):
                conn.execute("BEGIN IMMEDIATE")
                op_id = op("pack")
                lu = new_lu("case", op_id)
                put(op_id, lu, [(item, u, None) for u in units[c * PER_CASE : (c + 1) * PER_CASE]])
                lus.append(lu)
                conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
            op_id = op("pack")
            pallet = new_lu("pallet", op_id)
            put(op_id, pallet, [(None, None, lu) for lu in lus])
            lus.append(pallet)
            conn.execute("COMMIT")

        def ship() -> None:
            conn.execute("BEGIN IMMEDIATE")
            op_id = op("ship")
            conn.executemany(
                "INSERT INTO moves (operation_id, item_id, unit_id, from_location_id,"
                " to_location_id, qty, value) VALUES (?, ?, ?, ?, ?, 1, 1.25)",
                [(op_id, item, u, pack_at, customer) for u in units],
            )
            conn.executemany("UPDATE units SET location_id = ?, party_id = ? WHERE id = ?",
                             [(customer, acme, u) for u in units])  # fmt: skip
            for place, sign in ((pack_at, -1), (customer, 1)):
                conn.execute("UPDATE stock SET qty = qty + ? WHERE item_id = ? AND location_id = ?",
                             (sign * len(units), item, place))  # fmt: skip
            conn.executemany("UPDATE logistic_units SET location_id = ?, party_id = ? WHERE id = ?",
                             [(customer, acme, lu) for lu in lus])  # fmt: skip
            conn.executemany(
                "INSERT INTO lu_moves (operation_id, lu_id, outermost) VALUES (?, ?, ?)",
                [(op_id, lu, lu == lus[-1]) for lu in lus],
            )
            conn.execute("COMMIT")

        pack_s, _ = once(pack)
        ship_s, _ = once(ship)
    return pack_s, ship_s
