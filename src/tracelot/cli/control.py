"""Inventory control: expiring stock, holding what has expired, and picking lists."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tracelot.cli.common import JsonOpt, db
from tracelot.cli.output import out, print_json, table
from tracelot.domain.values import parse_days
from tracelot.services.tabular import EXPIRING_COLUMNS, write_csv

report_app = typer.Typer(help="Reports on the inventory.", no_args_is_help=True)
CsvOpt = Annotated[bool, typer.Option("--csv", help="Write CSV instead of a table.")]


@report_app.command("expiring")
def report_expiring(
    ctx: typer.Context,
    within: Annotated[
        str, typer.Option("--within", help="Days ahead, such as 30d (0d: what has expired).")
    ] = "30d",
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
) -> None:
    """What expires within the days given, or has expired: where, how much, the value."""
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
    app.command("expire")(expire)
    app.command("pick")(pick)
