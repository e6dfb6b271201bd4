"""Issue 8: importing 100,000 serial rows of opening stock from a CSV file, through the
same checks as `tracelot import stock` (every row checked before any is written), against
reading the same file and inserting its rows with plain sqlite3 in the same run. Issue 23:
50,000 lot rows, a row's cost against a serial row's in the same run."""

from __future__ import annotations

import csv
import io

from harness import Context, Target, fresh, once, raw


def _file(rows: int) -> bytes:
    """Opening stock of 10 serialized items in 4 bins, a row per unit, with lots,
    expiry dates and costs."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Item", "Bin", "Qty", "Lot", "Serial Number", "Expiry Date", "Unit Cost"])
    for n in range(rows):
        item = n % 10
        lot = n % 7
        writer.writerow([f"ITEM{item}", f"B{n % 4}", 1, f"LOT{lot}", f"S{n:07d}",
                         f"2030-0{1 + lot}-15", f"{10 + item}.50"])  # fmt: skip
    return out.getvalue().encode()


def run(ctx: Context) -> None:
    rows = 10_000 if ctx.quick else 100_000
    data = _file(rows)
    path, tl = fresh(ctx, "import")
    tl.add_location("WH", kind="warehouse")
    for b in range(4):
        tl.add_location(f"B{b}", parent="WH")
    for item in range(10):
        tl.add_item(f"ITEM{item}", name=f"Item {item}", tracking="serial")
    seconds, summary = once(lambda: tl.import_file("stock", "stock.csv", data))
    ok = summary["written"] and not summary["problems"]
    on_hand = sum(r["qty"] for r in tl.stock()) if ok else 0
    tl.close()

    def baseline() -> None:
        with raw(path) as db:
            db.execute("CREATE TABLE plain (item TEXT, bin TEXT, qty INTEGER, lot TEXT,"
                       " serial TEXT, expires TEXT, cost REAL, UNIQUE (item, serial))")  # fmt: skip
            body = list(csv.reader(io.StringIO(data.decode())))[1:]
            db.execute("BEGIN")
            db.executemany("INSERT INTO plain VALUES (?, ?, ?, ?, ?, ?, ?)", body)
            db.execute("COMMIT")

    baseline_s, _ = once(baseline)
    row = ctx.row(
        f"import {rows:,} serial rows of opening stock (CSV, checked, one transaction)",
        seconds,
        baseline=baseline_s,
        baseline_name="csv.reader and one sqlite3 executemany into a plain indexed table",
        targets=[Target("max_s", 30.0)],
    )
    ctx.check(ok and on_hand == rows, f"import wrote {on_hand} of {rows} units", row)
    _lots(ctx, seconds / rows)


def _lot_file(rows: int) -> bytes:
    """Opening stock of 10 lot-tracked items in 4 bins, a row per lot."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Item", "Bin", "Qty", "Lot", "Expiry Date", "Unit Cost"])
    for n in range(rows):
        item = n % 10
        writer.writerow([f"LOTS{item}", f"B{n % 4}", 1 + n % 50, f"L{n:06d}",
                         f"2030-0{1 + n % 9}-15", f"{2 + item}.25"])  # fmt: skip
    return out.getvalue().encode()


def _lots(ctx: Context, per_serial_row: float) -> None:
    rows = 5_000 if ctx.quick else 50_000
    data = _lot_file(rows)
    _, tl = fresh(ctx, "import_lots")
    tl.add_location("WH", kind="warehouse")
    for b in range(4):
        tl.add_location(f"B{b}", parent="WH")
    for item in range(10):
        tl.add_item(f"LOTS{item}", name=f"Lots {item}", tracking="lot")
    seconds, summary = once(lambda: tl.import_file("stock", "lots.csv", data))
    ok = summary["written"] and not summary["problems"]
    balances = len(tl.stock()) if ok else 0
    verified = tl.verify().ok
    tl.close()
    row = ctx.row(
        f"import {rows:,} lot rows of opening stock (CSV, checked, one operation), a row",
        seconds / rows,
        baseline=per_serial_row,
        baseline_name="a serial row of the import above",
        targets=[Target("max_ratio", 3.0)],
    )
    ctx.check(ok and balances == rows and verified, f"lot import: {balances} of {rows}", row)


def _world(tl, serials: int, lots: int, builds: int) -> None:  # noqa: ANN001
    """Receipts of serials and lots, moves, builds from them and shipments: the kinds of
    operation an EPCIS document carries most."""
    tl.add_location("WH", kind="warehouse")
    for code in ("A", "B", "LINE"):
        tl.add_location(code, parent="WH")
    tl.add_party("SUP", name="Supplier", kind="supplier")
    tl.add_party("CUS", name="Customer", kind="customer")
    tl.add_item("BOARD", name="Board", tracking="serial", gtin="09506000134352", cost="12")
    tl.add_item("CELL", name="Cell", tracking="lot", cost="2")
    tl.add_item("DEV", name="Device", tracking="serial")
    with tl.atomic() as batch:
        for n in range(serials // 10):
            batch.receive("BOARD", to="A", serials=[f"S{n:05d}{k}" for k in range(10)],
                          supplier="SUP", ref=f"DN{n}")  # fmt: skip
        for n in range(lots):
            batch.receive("CELL", to="B", lot=f"L{n:05d}", qty=100, expires="2031-01-31",
                          supplier="SUP")  # fmt: skip
        for n in range(builds):
            board, lot = f"S{n // 10:05d}{n % 10}", f"L{n % lots:05d}"
            batch.move(f"BOARD:{board}", to="LINE")
            batch.build("DEV", to="LINE", serial=f"D{n:05d}",
                        consume=[f"BOARD:{board}", f"CELL@{lot}=2"])  # fmt: skip
            batch.ship(f"DEV:D{n:05d}", to="CUS", reference=f"SO{n}")


def run_epcis(ctx: Context) -> None:
    """F.2: a history exported as EPCIS 2.0 and imported into an empty database, against
    making the same history through the Python API (the import replays it through the
    same services, with every event checked first) in the same run."""
    import json

    serials, lots, builds = (1_000, 50, 200) if ctx.quick else (5_000, 250, 1_000)
    path, tl = fresh(ctx, "epcis_source")
    made_s, _ = once(lambda: _world(tl, serials, lots, builds))
    export_s, document = once(lambda: tl.epcis_export())
    events = len(document["epcisBody"]["eventList"])
    data = json.dumps(document).encode()
    stock = tl.stock(serials=True)
    tl.close()
    ctx.row(
        f"epcis export of {events:,} events (with event hashes and master data)",
        export_s,
        baseline=made_s,
        baseline_name="making the same history through the Python API",
    )
    _, other = fresh(ctx, "epcis_copy")
    import_s, summary = once(lambda: other.epcis_import(data))
    row = ctx.row(
        f"epcis import of the {events:,} events into an empty database",
        import_s,
        baseline=made_s,
        baseline_name="making the same history through the Python API",
    )
    same = summary["written"] and other.stock(serials=True) == stock
    ctx.check(same and other.verify().ok, "the imported copy has other stock", row)
    other.close()
