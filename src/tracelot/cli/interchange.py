"""`tracelot import` and `tracelot export`: spreadsheets of items, locations, parties and
opening stock in, and the same (and the ledger) out."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from tracelot.cli.common import JsonOpt, db, write_output
from tracelot.cli.operations import progress_bar
from tracelot.cli.output import err, out, print_json, table
from tracelot.services.spreadsheet_columns import COLUMNS, EXPORTS, KINDS

import_app = typer.Typer(
    help="Import a CSV or XLSX file: every row is checked first, and a file with any "
    "problem writes nothing.",
    no_args_is_help=True,
)
export_app = typer.Typer(help="Export as CSV, XLSX or JSON.", no_args_is_help=True)

DryRun = Annotated[bool, typer.Option("--dry-run", help="Check the file, write nothing.")]
File = Annotated[Path, typer.Argument(help="A .csv or .xlsx file, with a header row.")]


def _import(ctx: typer.Context, kind: str, path: Path, dry_run: bool, as_json: bool) -> None:
    from tracelot.services import spreadsheets

    name, data = spreadsheets.read_file(path)
    rows = max(data.count(b"\n") - 1, 0)
    with progress_bar(rows, f"importing {name}") as progress:
        summary = db(ctx).import_file(kind, name, data, dry_run=dry_run, progress=progress)
    problems = summary["problems"]
    if as_json:
        print_json(summary)
    else:
        mapping = ", ".join(f"{k} -> {v}" for k, v in summary["mapping"].items() if k != v)
        notes = [f"columns: {mapping or 'as named'}"]
        if summary["ignored"]:
            notes.append(f"ignored columns: {', '.join(summary['ignored'])}")
        if problems:  # the problems are the result; the refusal goes to stderr
            out.print("\n".join(notes), markup=False)
            table(problems, ["row", "column", "reason"], numeric=("row",))
        else:
            err.print("\n".join(notes), markup=False)
            done = "imported" if summary["written"] else "checked (dry run: nothing written)"
            err.print(f"{done}: {summary['rows']} {kind} rows of {name}", markup=False)
    if problems:
        err.print(f"error: {len(problems)} problems in {name}: nothing written", markup=False)
        raise typer.Exit(1)


for _kind in KINDS:

    def _command(
        ctx: typer.Context, path: File, dry_run: DryRun = False, as_json: JsonOpt = False,
        _kind: str = _kind,
    ) -> None:  # fmt: skip
        _import(ctx, _kind, path, dry_run, as_json)

    _command.__doc__ = f"Import {_kind} ({', '.join(c.name for c in COLUMNS[_kind])})."
    import_app.command(_kind)(_command)


@import_app.command("template")
def import_template(
    kind: str,
    describe: Annotated[bool, typer.Option("--describe", help="What each column means.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The CSV template of a kind (`tracelot import template stock > stock.csv`); with
    --json, its columns and what each means."""
    from tracelot.services import spreadsheets

    if as_json:
        print_json({"kind": kind, "columns": spreadsheets.describe(kind)})
    elif describe:
        table(spreadsheets.describe(kind), ["column", "required", "also", "meaning"])
    else:
        sys.stdout.write(spreadsheets.template(kind))


def _export(ctx: typer.Context, kind: str, fmt: str, start: str | None, end: str | None,
            out: Path | None, as_json: bool) -> None:  # fmt: skip
    if as_json and out is None:  # the export itself, as JSON
        if fmt not in ("csv", "json"):
            raise typer.BadParameter("--json writes JSON: give --out FILE for another format")
        fmt = "json"
    data = db(ctx).export(kind, fmt=fmt, start=start, end=end)
    if out is not None:
        write_output(out, data)
        if as_json:
            print_json({"written": str(out), "kind": kind, "format": fmt, "bytes": len(data)})
        else:
            err.print(f"{kind} written to {out}", markup=False)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)


for _kind in EXPORTS:

    def _export_command(
        ctx: typer.Context,
        fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
        start: Annotated[str | None, typer.Option("--from", help="ledger: first day")] = None,
        end: Annotated[str | None, typer.Option("--to", help="ledger: last day")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="A file (else stdout).")] = None,
        as_json: Annotated[
            bool,
            typer.Option("--json", help="What was written (with --out), else the export as JSON."),
        ] = False,
        _kind: str = _kind,
    ) -> None:
        _export(ctx, _kind, fmt, start, end, out, as_json)

    _export_command.__doc__ = f"Export {_kind}."
    export_app.command(_kind)(_export_command)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
