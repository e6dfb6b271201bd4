"""Issue 8: importing 100,000 serial rows of opening stock from a CSV file, through the
same checks as `tracelot import stock` (every row checked before any is written), against
reading the same file and inserting its rows with plain sqlite3 in the same run."""

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
