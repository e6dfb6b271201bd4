"""`tracelot demo`: load the demo data set into an empty database."""

import time

import typer

from tracelot.cli.common import JsonOpt, db
from tracelot.cli.output import err, out, print_json, text


def demo(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Load the demo data set (an electronics assembler) into an empty database."""
    from tracelot.demo import load_demo

    tracelot = db(ctx)
    tracelot.init()
    started = time.perf_counter()
    with err.status("loading the demo ..."):
        summary = load_demo(tracelot)
    if as_json:
        print_json(summary)
        return
    devices, examples = summary["devices"], summary["examples"]
    out.print(
        f"demo loaded into {tracelot.engine.url!r} in {time.perf_counter() - started:.1f} s: "
        f"{summary['items']} items, {summary['locations']} locations, "
        f"{summary['parties']} parties, {summary['units']} units, {summary['lots']} lots, "
        f"{summary['operations']} operations from {text(summary['from'])} to "
        f"{text(summary['to'])}"
    )
    out.print(
        f"DEV (handheld scanner): {devices['built']} built, {devices['shipped']} shipped, "
        f"{devices['in_stock']} in stock"
    )
    out.print("try:")
    for line in [
        f"tracelot where {examples['shipped_unit']}",
        f"tracelot trace backward {examples['repaired_unit']} --tree",
        f"tracelot trace forward --supplier {examples['supplier']} "
        f"--supplier-lot {examples['supplier_lot']}",
        "tracelot stock --item GLUE",
    ]:
        out.print(f"  {line}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
