"""`tracelot count ...`: stock counts by scanning (start, scan, show, post, cancel, list,
report).

Counters scan with `tracelot scan --then count N` (or `count scan N SCAN...`): a
location scanned is where the scans after it were found."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracelot.cli.common import JsonOpt, NoteOpt, db, scan_session, write_output
from tracelot.cli.output import err, out, print_json, print_json_line, table, text

if TYPE_CHECKING:
    from tracelot.app import Tracelot

count_app = typer.Typer(help="Stock counts by scanning.", no_args_is_help=True)


@count_app.command("start")
def count_start(
    ctx: typer.Context,
    at: Annotated[str, typer.Option("--at", help="The location counted, with all below it.")],
    items: Annotated[
        list[str] | None, typer.Option("--item", help="Count this item only (repeat for more).")
    ] = None,
    blind: Annotated[
        bool, typer.Option("--blind", help="Hide the expected figures from the counters.")
    ] = False,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a count of a location (its subtree) with what the ledger expects there now."""
    from tracelot.domain.commands import StartCount

    shown = db(ctx).run(StartCount(at=at, items=tuple(items or ()), blind=blind, note=note))
    if as_json:
        print_json(shown)
        return
    out.print(f"count {shown['count']} of {shown['location_path']} started"
              + (" (blind)" if shown["blind"] else ""), markup=False)  # fmt: skip
    err.print(f"scan into it: tracelot scan --then count {shown['count']}", markup=False)


@count_app.command("scan")
def count_scan(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count's number.")],
    scans: Annotated[
        list[str],
        typer.Argument(
            help="Scans or REFs (a lot or item as REF=QTY); a location scanned "
            "is where the ones after it were found."
        ),
    ],  # fmt: skip
    at: Annotated[
        str | None, typer.Option("--at", help="Where they were found (a location of the count).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record scans into an open count, all of them or none."""
    from tracelot.domain.commands import CountScans

    done = db(ctx).run(CountScans(count_id=count_id, scans=tuple(scans), at=at))
    if as_json:
        print_json(done)
    else:
        out.print(f"{done['recorded']} scan(s) recorded in count {done['count']}", markup=False)


@count_app.command("show")
def count_show(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count's number.")],
    as_json: JsonOpt = False,
) -> None:
    """A count's variances: serials missing, serials found elsewhere (saying where),
    quantity differences per lot and per item, each with its value. A blind count shows
    only what was counted, but to a quality or admin user (--user)."""
    show(db(ctx).count_show(count_id), as_json)


def show(shown: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(shown)
        return
    out.print(
        f"count {shown['count']} of {shown['location_path']}: {shown['status']}"
        f"{', blind' if shown['blind'] else ''}; {shown['scans']} scans by "
        f"{shown['counters']} counter(s)"
        + (f"; posted as operation {shown['operation']}" if shown["operation"] else ""),
        markup=False,
    )
    table(shown["counted"], ["item", "lot", "location_path", "qty"], title="counted")
    if shown["status"] == "cancelled":
        err.print(f"cancelled by {shown['cancelled_by']}: {shown['cancel_reason']}; nothing "
                  "was booked", markup=False)  # fmt: skip
        return
    if shown["hidden"]:
        err.print("blind count: the expected figures are hidden", markup=False)
        return
    if shown["missing"]:
        table(shown["missing"], ["item", "serial", "lot", "location_path", "value"],
              title="missing", numeric=("value",))  # fmt: skip
    if shown["found"]:
        table(shown["found"], ["item", "serial", "location_path", "ledger_location_path",
                               "value"], title="found elsewhere", numeric=("value",))  # fmt: skip
    diffs = [q for q in shown["quantities"] if q["difference"] != 0]
    if diffs:
        table(diffs, ["item", "lot", "location_path", "ledger", "counted", "difference", "value"],
              title="quantity differences",
              numeric=("ledger", "counted", "difference", "value"))  # fmt: skip
    if shown["moved"]:
        table(shown["moved"], ["item", "serial", "location_path", "now_location_path", "note"],
              title="moved during the count")  # fmt: skip
    figures = ("expected", "counted", "difference", "value")
    table(shown["by_item"], ["item", *figures], title="by item", numeric=figures)
    total = shown["total"]
    out.print(f"net adjustment value {text(total['value'])}", markup=False)


@count_app.command("post")
def count_post(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count's number.")],
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Book the count's variances in one operation: missing stock to ADJUSTMENT, found
    units moved here, quantity differences adjusted. A count is posted once."""
    from tracelot.domain.commands import PostCount

    shown = db(ctx).run(PostCount(count_id=count_id, note=note))
    if as_json:
        print_json(shown)
        return
    what = f"operation {shown['operation']}" if shown["operation"] else "nothing to book"
    out.print(f"count {shown['count']} posted: {what}", markup=False)


@count_app.command("cancel")
def count_cancel(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled.")],
    as_json: JsonOpt = False,
) -> None:
    """Cancel an open count: nothing is booked, it takes no more scans, and what was
    scanned stays on record with the reason."""
    from tracelot.domain.commands import CancelCount

    shown = db(ctx).run(CancelCount(count_id=count_id, reason=reason))
    if as_json:
        print_json(shown)
        return
    out.print(f"count {shown['count']} cancelled", markup=False)


@count_app.command("list")
def count_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every count, newest first."""
    rows = db(ctx).counts()
    if as_json:
        print_json(rows)
    else:
        table(rows, ["count", "location_path", "status", "blind", "started_at", "started_by",
                     "scans", "operation"], numeric=("scans",))  # fmt: skip


@count_app.command("report")
def count_report(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count's number.")],
    out_file: Annotated[Path, typer.Option("--out", help="The file: .csv or .pdf.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or pdf (by default, the file's suffix).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The auditor's report of a count, every variance with its value: CSV or PDF."""
    kind = fmt or out_file.suffix.lstrip(".").lower()
    if kind not in ("csv", "pdf"):
        raise typer.BadParameter("csv or pdf", param_hint="--format")
    data = db(ctx).count_report(count_id, fmt=kind)
    write_output(out_file, data)
    if as_json:
        print_json({"written": str(out_file), "format": kind, "bytes": len(data)})
    else:
        err.print(f"count {count_id} report written to {out_file}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(count_app, name="count")


def scan_into_count(
    tracelot: "Tracelot", target: str | None, *, at: str | None, as_json: bool, lines: Any
) -> None:
    """`tracelot scan --then count N [--to BIN]`: each scan recorded in count N as it
    comes (with its own time); a location scanned is where the next ones were found. A
    refused scan is shown with why and the session goes on; exits 1 if any was refused."""
    if target is None or not target.isdigit() or int(target) < 1:
        raise typer.BadParameter("count N: the count's number", param_hint="TARGET")
    count_id = int(target)

    def step(payload: str, at: str | None) -> tuple[str | None, dict, str]:
        done = tracelot.count_scan(count_id, [payload], at=at)
        if not done["scans"]:  # a location: where the next scans are
            return done["at"], {"input": payload, "ok": True, "kind": "location",
                                "location": done["at"], "location_path": done["at_path"]}, (
                f"ok       at {done['at_path']}")  # fmt: skip
        s = done["scans"][0]
        key = f":{s['serial']}" if s["serial"] else f"@{s['lot']}" if s["lot"] else ""
        shown = {**s, "ok": True, "kind": "unit" if s["serial"] else "lot" if s["lot"] else "item"}
        return (
            done["at"],
            shown,
            (f"ok       {s['item']}{key} qty {text(s['qty'])} at {s['location_path']}"),
        )

    if scan_session(tracelot, lines, step, at=at, as_json=as_json, done="counted"):
        raise typer.Exit(1)


def _line(shown: dict[str, Any], said: str, as_json: bool, ok: int, refused: int) -> None:
    if as_json:
        print_json_line(shown)
    else:
        out.print(said, markup=False)
        err.print(f"  [{ok} counted, {refused} refused]", markup=False)
