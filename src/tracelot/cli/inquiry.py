"""Questions: stock, where, history, verify."""

from collections import defaultdict
from decimal import Decimal
from typing import Annotated

import typer

from tracelot.cli.common import JsonOpt, db
from tracelot.cli.output import err, in_packs, out, print_json, table, text

STOCK_COLUMNS = [
    "item",
    "location_path",
    "lot",
    "qty",
    "uom",
    "status",
    "expires",
    "expired",
    "held",
]
UNIT_COLUMNS = ["item", "serial", "lot", "location_path", "status", "expires", "expired", "held"]


def stock(
    ctx: typer.Context,
    item: Annotated[str | None, typer.Option("--item")] = None,
    location: Annotated[
        str | None, typer.Option("--location", help="A location and all below it.")
    ] = None,
    lot: Annotated[str | None, typer.Option("--lot")] = None,
    serials: Annotated[bool, typer.Option("--serials", help="List units one by one.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Stock on hand, with totals."""
    rows = db(ctx).stock(item=item, location=location, lot=lot, serials=serials)
    if as_json:
        print_json(rows)
        return
    table(
        rows if serials else [in_packs(r) for r in rows],
        _with_reserved(rows, UNIT_COLUMNS if serials else STOCK_COLUMNS),
    )
    if rows and not serials:
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for r in rows:
            totals[(r["item"], r["uom"])] += Decimal(r["qty"])
        summary = ", ".join(f"{item_} {text(q)} {uom}" for (item_, uom), q in totals.items())
        out.print(f"total: {summary}")


def where(ctx: typer.Context, ref: str, as_json: JsonOpt = False) -> None:
    """Where a unit or lot is now: location path, status, quantity, customer."""
    rows = db(ctx).where(ref)
    if as_json:
        print_json(rows)
        return
    if len(rows) == 1 and "contents" in rows[0]:  # a case or pallet (its SSCC)
        from tracelot.cli.packing import print_lu

        print_lu(rows[0])
        return
    columns = [
        "item",
        "serial",
        "lot",
        "location_path",
        "qty",
        "status",
        "held",
        "customer",
        "expires",
    ]
    if any(r.get("assembly") for r in rows):
        columns.append("assembly")
    if any(r.get("supplier") for r in rows):
        columns.append("supplier")
    if any(r.get("sscc") for r in rows):  # packed in a case (issue 20)
        columns.append("sscc")
    if any(r.get("transfer") for r in rows):  # in transit: on which transfer, since when
        columns += ["transfer", "from", "to", "since"]
    table([in_packs(r) for r in rows], _with_reserved(rows, columns))


def _with_reserved(rows: list[dict], columns: list[str]) -> list[str]:
    """`reserved` and `available` beside `qty` where some stock is not available (issue
    20); the JSON has them always."""
    if not any(r.get("reserved") or r.get("available", r.get("qty")) != r.get("qty")
               for r in rows):  # fmt: skip
        return columns
    at = columns.index("qty") + 1 if "qty" in columns else len(columns)
    return [*columns[:at], "reserved", "available", *columns[at:]]


def history(ctx: typer.Context, ref: str, as_json: JsonOpt = False) -> None:
    """The timeline of a unit or lot: every operation, who, when, from -> to."""
    rows = db(ctx).history(ref)
    if as_json:
        print_json(rows)
        return
    columns = ["operation", "at", "kind", "user", "from", "to", "qty", "party", "reference", "note"]
    columns += [c for c in ("voided_by", "voids") if any(r.get(c) for r in rows)]
    table(rows, columns)


def verify(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Replay the ledger, rebuild the projections and compare; exit 1 on any difference."""
    report = db(ctx).verify()
    if as_json:
        print_json(report.to_dict())
    else:
        out.print(
            f"{report.operations} operations, {report.moves} ledger lines, {report.units} units, "
            f"{report.balances} balances checked"
        )
        for problem in report.problems:
            err.print(f"problem: {problem}", markup=False)
        out.print("ok: the projections equal a replay of the ledger" if report.ok else "FAILED")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    for name, fn in [("stock", stock), ("where", where), ("history", history), ("verify", verify)]:
        app.command(name)(fn)
