"""`tracelot epcis` (EPCIS 2.0 documents out and in) and `tracelot asn` (the advance
shipping notices a supplier's events announced)."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from tracelot.cli.common import JsonOpt, db, write_output
from tracelot.cli.operations import progress_bar
from tracelot.cli.output import err, out, print_json, table, to_json

epcis_app = typer.Typer(
    help="EPCIS 2.0 traceability events, exchanged with partners (JSON-LD).",
    no_args_is_help=True,
)
asn_app = typer.Typer(
    help="Advance shipping notices: what suppliers' EPCIS shipping events announced.",
    no_args_is_help=True,
)


@epcis_app.command("export")
def epcis_export(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First day.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    ref: Annotated[
        str | None, typer.Option("--ref", help="Only what touched this unit, lot or item.")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="A .jsonld file (else stdout).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --out: what was written, as JSON.")
    ] = False,
) -> None:
    """Export operations as an EPCIS 2.0 document (ObjectEvents, TransformationEvents),
    with the master data its events name (the document is JSON already: --json with --out
    says what was written)."""
    document = db(ctx).epcis_export(start=start, end=end, ref=ref)
    text = to_json(document) + "\n"
    if out_file is None:
        sys.stdout.write(text)
        return
    write_output(out_file, text)
    count = len(document["epcisBody"]["eventList"])
    if as_json:
        print_json({"written": str(out_file), "events": count})
    else:
        err.print(f"{count} events written to {out_file}", markup=False)


@epcis_app.command("import")
def epcis_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="An EPCIS 2.0 JSON-LD document.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check it all, write nothing.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import an EPCIS document: events at tracelot's locations become operations, a
    supplier's shipment an advance shipping notice, a partner's transformation genealogy.
    Any problem and nothing is written; events imported before are skipped."""
    from tracelot.services import spreadsheets

    _, data = spreadsheets.read_file(path)
    events = data.count(b'"eventTime"')  # about as many events: enough for the bar
    with progress_bar(events, f"importing {path.name}", threshold=1_000) as progress:
        summary = db(ctx).epcis_import(data, dry_run=dry_run, progress=progress)
    problems = summary["problems"]
    if as_json:
        print_json(summary)
    elif problems:
        table(problems, ["event", "field", "reason"], numeric=("event",))
    else:
        table(summary["effects"], ["event", "type", "bizStep", "operation", "asn", "effect"],
              numeric=("event", "operation", "asn"))  # fmt: skip
        done = "imported" if summary["written"] else "checked (dry run: nothing written)"
        err.print(f"{done}: {summary['events']} events of {path.name}, "
                  f"{summary['skipped']} skipped (imported before)", markup=False)  # fmt: skip
    if problems:
        err.print(f"error: {len(problems)} problems in {path.name}: nothing written", markup=False)
        raise typer.Exit(1)


@asn_app.command("list")
def asn_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="open or received")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The advance shipping notices, with their status."""
    rows = db(ctx).asns(status=status)
    if as_json:
        print_json(rows)
    else:
        table(rows, ["asn", "status", "supplier", "sscc", "shipped_at", "lines", "qty"],
              numeric=("asn", "lines", "qty"))  # fmt: skip


@asn_app.command("show")
def asn_show(
    ctx: typer.Context,
    asn: Annotated[str, typer.Argument(help="Its number, or a scan of the pallet's SSCC.")],
    as_json: JsonOpt = False,
) -> None:
    """What an advance shipping notice announced."""
    found = db(ctx).asn(asn)
    if as_json:
        print_json(found)
        return
    supplier = found["supplier"] or found["sender"] or "an unknown sender"
    sscc = f", SSCC {found['sscc']}" if found["sscc"] else ""
    out.print(f"ASN {found['asn']} ({found['status']}) from {supplier}{sscc}", markup=False)
    table(found["lines"], ["item", "lot", "serial", "qty", "expires"])


def register(app: typer.Typer) -> None:
    app.add_typer(epcis_app, name="epcis")
    app.add_typer(asn_app, name="asn")
