"""Inventory control: valuation, turnover, reorder, excess, ABC and expiry reports (with
charts), holding what has expired, picking lists, and purchase orders."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tracelot.cli.common import JsonOpt, db, write_output
from tracelot.cli.output import err, in_packs, out, print_json, table
from tracelot.domain.values import parse_days
from tracelot.services.planning_defaults import DEFAULTS
from tracelot.services.tabular import EXPIRING_COLUMNS, PO_COLUMNS, report_columns, write_csv

report_app = typer.Typer(help="Reports on the inventory.", no_args_is_help=True)
po_app = typer.Typer(help="Purchase orders.", no_args_is_help=True)
CsvOpt = Annotated[bool, typer.Option("--csv", help="Write CSV instead of a table.")]
ChartOpt = Annotated[
    Path | None, typer.Option("--chart", help="Also draw the report: FILE.png or FILE.svg.")
]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day (a year ago).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day (today).")]
LookbackOpt = Annotated[
    str, typer.Option("--lookback", help="Days of issue history to learn demand from.")
]


def _chart(path: Path | None, draw: Any) -> None:
    """Write a chart drawn by `draw(charts, fmt)` to `path`, when one is asked for."""
    if path is None:
        return
    from tracelot.services import charts  # matplotlib: loaded only to draw

    fmt = charts.chart_format(str(path))
    write_output(path, draw(charts, fmt))
    err.print(f"chart written to {path}", markup=False)


def _emit(report: dict[str, Any], kind: str, *, as_json: bool, as_csv: bool,
          by: str | None = None) -> bool:  # fmt: skip
    """Print a report as JSON or CSV; False when a table is wanted instead."""
    if as_json:
        print_json(report)
    elif as_csv:
        write_csv(sys.stdout, report["rows"], report_columns(kind, by))
    return as_json or as_csv


def valuation(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="At the end of this day.")] = None,
    by: Annotated[str, typer.Option("--by", help="item, location or lot.")] = "item",
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Quantity and value on hand at any date, replayed from the ledger."""
    report = db(ctx).valuation(as_of=as_of, by=by)
    if not _emit(report, "valuation", as_json=as_json, as_csv=as_csv, by=by):
        columns = report_columns("valuation", by)
        footer = {columns[0]: "total", "qty": report["total"]["qty"],
                  "value": report["total"]["value"]}  # fmt: skip
        table([in_packs(r) for r in report["rows"]], columns,
              title=f"valuation at the end of {report['as_of']}",
              footer=footer, numeric=("qty", "value", "unit_cost"))  # fmt: skip


@report_app.command("turnover")
def report_turnover(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    by: Annotated[str, typer.Option("--by", help="item, category or location.")] = "item",
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    chart: ChartOpt = None,
    top: Annotated[int, typer.Option("--top", help="Rows in the chart.", min=1)] = 15,
) -> None:
    """Inventory turnover (cost of goods issued / average inventory value over the daily
    balances), the same in units, and days of inventory on hand. An item's issues include
    what builds consumed; the total's (and a category's or location's) are the goods that
    left the company: shipped, less what customers returned. Scrap is shown beside."""
    report = db(ctx).turnover(start=start, end=end, by=by)
    if not _emit(report, "turnover", as_json=as_json, as_csv=as_csv, by=by):
        columns = [report_columns("turnover", by)[0], "average_value", "issued_value",
                   "turnover", "days_of_inventory", "average_qty", "issued_qty",
                   "turnover_units", "scrapped_value"]  # fmt: skip
        total = report["total"]
        table(report["rows"], columns, footer={columns[0]: "total", **total},
              title=f"turnover {report['from']} to {report['to']} ({report['days']} days)",
              numeric=columns[1:])  # fmt: skip
    _chart(chart, lambda charts, fmt: charts.turnover_chart(report, top=top, fmt=fmt))


@report_app.command("reorder")
def report_reorder(
    ctx: typer.Context,
    service_level: Annotated[
        float, typer.Option("--service-level", help="Chance of not running out in a lead time.")
    ] = DEFAULTS["service_level"],
    lookback: LookbackOpt = f"{DEFAULTS['lookback_days']}d",
    lead_time: Annotated[
        str, typer.Option("--lead-time", help="Lead time of items that have none configured.")
    ] = f"{DEFAULTS['lead_time_days']}d",
    ordering_cost: Annotated[
        str, typer.Option("--ordering-cost", help="Cost of one order (items may have theirs).")
    ] = str(DEFAULTS["ordering_cost"]),
    holding_rate: Annotated[
        str, typer.Option("--holding-rate", help="Yearly holding cost, a share of unit cost.")
    ] = str(DEFAULTS["holding_rate"]),
    every_item: Annotated[
        bool, typer.Option("--all", help="Every item with demand, not only those due.")
    ] = False,
    create_po: Annotated[
        bool, typer.Option("--create-po", help="Draft purchase orders of the suggestions.")
    ] = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Items at or below their reorder point (on hand, not held, plus on order), with the
    suggested quantity and supplier: safety stock, reorder point and EOQ from demand.
    Never more than is used before it expires; items built here are to make (with their
    components), not to buy."""
    report = db(ctx).reorder(
        service_level=service_level, lookback_days=parse_days(lookback, what="--lookback"),
        lead_time_days=parse_days(lead_time, what="--lead-time"), ordering_cost=ordering_cost,
        holding_rate=holding_rate, every_item=every_item, create_po=create_po,
    )  # fmt: skip
    if not _emit(report, "reorder", as_json=as_json, as_csv=as_csv):
        columns = ["item", "position", "daily_demand", "lead_time_days", "safety_stock",
                   "reorder_point", "eoq", "suggested_qty", "action", "supplier", "value",
                   "limited_by"]  # fmt: skip
        table(report["rows"], columns, title=f"reorder at service level {service_level}",
              footer={"item": f"{report['total']['due']} due", "value": report["total"]["value"]},
              numeric=columns[1:8] + ["value"])  # fmt: skip
    created = report.get("created")
    if created and not as_json:
        for order in created["orders"]:
            err.print(f"draft purchase order {order['id']} for {order['supplier']}", markup=False)
        if created["without_supplier"]:
            names = ", ".join(created["without_supplier"])
            err.print(f"no supplier known, not ordered: {names}", markup=False)
        if created["to_make"]:
            names = ", ".join(created["to_make"])
            err.print(f"built here, to make rather than order: {names}", markup=False)
        if created.get("inactive"):
            names = ", ".join(created["inactive"])
            err.print(f"inactive (or of an inactive supplier), not ordered: {names}", markup=False)


@report_app.command("excess")
def report_excess(
    ctx: typer.Context,
    days_of_cover: Annotated[
        str, typer.Option("--days-of-cover", help="Stock beyond this many days of demand.")
    ] = "90d",
    idle_days: Annotated[
        str, typer.Option("--idle-days", help="Stock that has not moved for this long.")
    ] = "180d",
    lookback: LookbackOpt = "90d",
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """Stock beyond some days of demand, and stock that has not moved, with its value."""
    report = db(ctx).excess(
        days_of_cover=parse_days(days_of_cover, what="--days-of-cover"),
        idle_days=parse_days(idle_days, what="--idle-days"),
        lookback_days=parse_days(lookback, what="--lookback"),
    )
    if not _emit(report, "excess", as_json=as_json, as_csv=as_csv):
        columns = ["item", "qty", "value", "daily_demand", "days_of_cover", "excess_qty",
                   "excess_value", "last_moved", "idle"]  # fmt: skip
        table(report["rows"], columns, footer={"item": "total", **report["total"]},
              title=f"excess beyond {report['days_of_cover']} days of cover, idle for "
                    f"{report['idle_days']} days",
              numeric=columns[1:7])  # fmt: skip


@report_app.command("abc")
def report_abc(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    a: Annotated[float, typer.Option("--a", help="Share of issue value in class A.")] = 0.8,
    b: Annotated[float, typer.Option("--b", help="Share in classes A and B together.")] = 0.95,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    chart: ChartOpt = None,
) -> None:
    """ABC classes of the items by the value they issued (shipped and consumed)."""
    report = db(ctx).abc(start=start, end=end, a=a, b=b)
    if not _emit(report, "abc", as_json=as_json, as_csv=as_csv):
        columns = ["rank", "item", "issued_value", "share", "cumulative_share", "class"]
        table(report["rows"], columns, title=f"ABC {report['from']} to {report['to']}",
              footer={"item": "total", "issued_value": report["total"]["issued_value"]},
              numeric=("rank", "issued_value", "share", "cumulative_share"))  # fmt: skip
    _chart(chart, lambda charts, fmt: charts.abc_chart(report, fmt=fmt))


@report_app.command("level")
def report_level(
    ctx: typer.Context,
    item: str,
    start: Annotated[str | None, typer.Option("--from", help="First day (90 days ago).")] = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    chart: ChartOpt = None,
) -> None:
    """An item's stock on hand day by day; the chart shows its reorder point too."""
    report = db(ctx).level(item, start=start, end=end)
    if not _emit(report, "level", as_json=as_json, as_csv=as_csv):
        table(report["rows"], ["date", "qty", "value"], title=f"{report['item']} on hand",
              numeric=("qty", "value"))  # fmt: skip
    _chart(chart, lambda charts, fmt: charts.level_chart(report, fmt=fmt))


@po_app.command("create")
def po_create(
    ctx: typer.Context,
    supplier: str,
    lines: Annotated[
        list[str],
        typer.Option(
            "--line",
            help="ITEM:QTY[:PRICE][:PACK] (with PACK, QTY counts packs and PRICE is of one "
            "pack); repeat for each line.",
        ),
    ],
    expected: Annotated[str | None, typer.Option("--expected", help="Expected date.")] = None,
    ordered: Annotated[
        str | None, typer.Option("--ordered", help="Order date, for an order entered late.")
    ] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Not sent yet.")] = False,
    note: Annotated[str | None, typer.Option("--note")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Order from a supplier (open: on order from now; --draft: not yet)."""
    order = db(ctx).po_create(supplier, lines=lines, expected=expected, note=note, draft=draft,
                              ordered=ordered)  # fmt: skip
    _show_po(order, as_json)


@po_app.command("list")
def po_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="draft, open or closed.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List purchase orders."""
    rows = db(ctx).purchase_orders(status=status)
    print_json(rows) if as_json else table(rows, PO_COLUMNS, numeric=("lines", "qty", "received"))


@po_app.command("show")
def po_show(ctx: typer.Context, po_id: int, as_json: JsonOpt = False) -> None:
    """A purchase order: its lines, what came in against them, and when."""
    _show_po(db(ctx).purchase_order(po_id), as_json)


@po_app.command("open")
def po_open(ctx: typer.Context, po_id: int, as_json: JsonOpt = False) -> None:
    """Send a draft: it is on order from now."""
    _show_po(db(ctx).po_open(po_id), as_json)


@po_app.command("close")
def po_close(ctx: typer.Context, po_id: int, as_json: JsonOpt = False) -> None:
    """Close an order; what it still expects is no longer on order."""
    _show_po(db(ctx).po_close(po_id), as_json)


def _show_po(order: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(order)
        return
    title = f"purchase order {order['id']} from {order['supplier']}: {order['status']}"
    if order["expected"]:
        title += f", expected {order['expected']}"
    columns = ["line", "item", "qty", "price", "received", "open_qty"]
    if any(ln.get("pack") for ln in order["lines"]):  # lines in packs: shown in both
        columns += ["packs", "pack", "pack_price"]
    numeric = ("line", "qty", "price", "received", "open_qty", "packs", "pack_price")
    table(order["lines"], columns, title=title, numeric=numeric)


@report_app.command("expiring")
def report_expiring(
    ctx: typer.Context,
    within: Annotated[
        str, typer.Option("--within", help="Days ahead, such as 30d (0d: what has expired).")
    ] = "30d",
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    chart: ChartOpt = None,
) -> None:
    """What expires within the days given, or has expired: where, how much, the value;
    the chart is a calendar of the value expiring each day."""
    report = db(ctx).expiring(within_days=parse_days(within, what="--within"))
    if as_json:
        print_json(report)
    elif as_csv:
        write_csv(sys.stdout, report["rows"], EXPIRING_COLUMNS)
    else:
        columns = ["expires", "days_left", "item", "lot", "serial", "location_path", "qty",
                   "held", "value"]  # fmt: skip
        footer = {"item": f"{len(report['rows'])} rows", "value": report["value"]}
        title = f"expiring by {report['until']} ({report['expired_rows']} expired already)"
        table(report["rows"], columns, title=title, footer=footer,
              numeric=("qty", "value", "days_left"))  # fmt: skip
    _chart(chart, lambda charts, fmt: charts.expiry_calendar(report, fmt=fmt))


def expire(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Hold every expired lot and unit that is not held for it yet (safe to run daily)."""
    done = db(ctx).expire()
    if as_json:
        print_json(done)
    elif not done["held"]:
        out.print("nothing newly expired")
    else:
        out.print(f"operation {done['operation']}: held {len(done['held'])} expired")
        for held in done["held"]:
            out.print(f"  {held['ref']} (expired {held['expires']})")


def pick(
    ctx: typer.Context,
    item: str,
    qty: Annotated[str, typer.Option("--qty", help="How much to pick.")],
    lot: Annotated[str | None, typer.Option("--lot", help="Only from this lot.")] = None,
    from_location: Annotated[
        str | None, typer.Option("--from", help="Only from this location.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Which lots and bins (or units) to pick from: first-expiry-first-out, passing over
    held, expired and quarantined stock. Changes nothing."""
    plan = db(ctx).pick(item, qty=qty, lot=lot, from_location=from_location)
    if as_json:
        print_json(plan)
    else:
        columns = ["location_path", "lot", "serial", "qty", "expires"]
        table(plan["lines"], columns, title=f"pick {plan['qty']} {plan['item']}")


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.add_typer(po_app, name="po")
    app.command("valuation")(valuation)
    app.command("expire")(expire)
    app.command("pick")(pick)
