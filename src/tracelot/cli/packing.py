"""`tracelot settings ...`, `tracelot pack`, `tracelot unpack` and `tracelot lu ...`: the
database-wide settings, and packing into cases and pallets with SSCCs (issue 20)."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tracelot.cli.common import JsonOpt, NoteOpt, ReferenceOpt, db, write_output
from tracelot.cli.output import out, print_json, table, text

settings_app = typer.Typer(help="Database-wide settings (the GS1 company prefix, ...).",
                           no_args_is_help=True)  # fmt: skip
shipment_app = typer.Typer(help="Shipments: their packing slips.", no_args_is_help=True)
lu_app = typer.Typer(help="Logistic units: cases and pallets with their SSCCs.",
                     no_args_is_help=True)  # fmt: skip


def _named(refs: list[str] | None) -> tuple[str, ...]:
    """The REFs given, `-` standing for those read from standard input, one a line."""
    return tuple(
        line
        for ref in refs or ()
        for line in ([x.strip() for x in sys.stdin] if ref == "-" else [ref])
        if line
    )


@settings_app.command("show")
def settings_show(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every setting tracelot knows, with its value (empty when not set)."""
    rows = db(ctx).settings()
    if as_json:
        print_json(rows)
        return
    table(rows, ["key", "value", "description", "user", "at"])


@settings_app.command("set")
def settings_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="gs1_company_prefix, currency, ...")],
    value: Annotated[str, typer.Argument(metavar="VALUE")],
    as_json: JsonOpt = False,
) -> None:
    """Set a database-wide setting (checked for its key: a GS1 prefix is 6-12 digits)."""
    row = db(ctx).set_setting(key, value)
    if as_json:
        print_json(row)
        return
    out.print(f"{row['key']} = {row['value']}")


def print_lu(shown: dict[str, Any]) -> None:
    """A case or pallet as a tree: its SSCC, where it is, and what it holds."""
    where = shown["location_path"] + (f" ({shown['customer']})" if shown.get("customer") else "")
    inside = f", in SSCC {shown['in']}" if shown.get("in") else ""
    out.print(f"{shown['lu_kind']} {shown['logistic_unit']}  SSCC {shown['sscc']}  "
              f"{where}  {shown['status']}{inside}")  # fmt: skip

    def walk(contents: list[dict[str, Any]], depth: int) -> None:
        pad = "  " * depth
        for c in contents:
            if c["kind"] == "sscc":
                out.print(f"{pad}{c['lu_kind']} SSCC {c['sscc']}")
                walk(c["contents"], depth + 1)
            elif c["kind"] == "unit":
                lot = f" (lot {c['lot']})" if c["lot"] else ""
                out.print(f"{pad}{c['item']}:{c['serial']}{lot}")
            else:
                lot = f"@{c['lot']}" if c["lot"] else ""
                out.print(f"{pad}{text(c['qty'])} {c['item']}{lot}")

    walk(shown["contents"], 1)


def _lines(done: dict[str, Any]) -> None:
    for ln in done["lines"]:
        sscc = ln.get("into") or ln.get("out_of")
        arrow = "->" if "into" in ln else "<-"
        if "item" not in ln:
            out.print(f"  SSCC {ln['sscc']}  {arrow} SSCC {sscc}")
            continue
        what = ln["item"] + (f"@{ln['lot']}" if ln["lot"] else "")
        serials = ln.get("serials") or []
        shown = ", ".join(serials) if len(serials) <= 5 else f"{serials[0]} .. {serials[-1]}"
        span = f"  [{shown}]" if serials else ""
        out.print(f"  {text(ln['qty'])} {what}  {arrow} SSCC {sscc}{span}")


def pack(
    ctx: typer.Context,
    refs: Annotated[
        list[str],
        typer.Argument(metavar="REF...", help="Units, lots as ITEM@LOT=QTY, SSCCs of cases, "
                       "or scans; `-` reads them from stdin."),
    ],
    into: Annotated[str | None, typer.Option("--into", help="The SSCC of the case or "
                                             "pallet to pack into.")] = None,
    new: Annotated[str | None, typer.Option("--new", help="Pack into a new `case` or "
                                            "`pallet` (its SSCC is made).")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Where a new one is made (else where "
                                           "what it holds is).")] = None,
    reference: ReferenceOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Pack units, lot quantities and cases into a case or pallet with an SSCC."""
    from tracelot.domain.commands import Pack

    command = Pack(refs=_named(refs), into=into, new=new, at=at, reference=reference, note=note)
    done = db(ctx).run(command)
    if as_json:
        print_json(done)
        return
    out.print(f"pack #{done['id']}: {done['lu_kind']} {done['logistic_unit']}, "
              f"SSCC {done['sscc']} at {done['location_path']}")  # fmt: skip
    _lines(done)


def unpack(
    ctx: typer.Context,
    sscc: Annotated[str, typer.Argument(metavar="SSCC", help="The case or pallet (or a scan).")],
    refs: Annotated[
        list[str] | None,
        typer.Argument(metavar="[REF...]", help="What to take out (units, ITEM@LOT=QTY, "
                       "SSCCs); else all it holds."),
    ] = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Take things out of a case or pallet (all of them when no REF is named)."""
    from tracelot.domain.commands import Unpack

    done = db(ctx).run(Unpack(sscc=sscc, refs=_named(refs), note=note))
    if as_json:
        print_json(done)
        return
    out.print(f"unpack #{done['id']}: SSCC {done['sscc']} at {done['location_path']}")
    _lines(done)


LU_COLUMNS = ["logistic_unit", "sscc", "kind", "location_path", "status", "customer", "in",
              "units", "lots", "ssccs"]  # fmt: skip


@lu_app.command("list")
def lu_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Shipped ones too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The cases and pallets on hand (--all: shipped ones too), by number."""
    rows = db(ctx).logistic_units(all_=all_)
    if as_json:
        print_json(rows)
        return
    table(rows, LU_COLUMNS, numeric=("units", "lots", "ssccs"))


@lu_app.command("show")
def lu_show(
    ctx: typer.Context,
    lu: Annotated[str, typer.Argument(metavar="SSCC|N", help="Its SSCC (or a scan), or number.")],
    as_json: JsonOpt = False,
) -> None:
    """A case or pallet: where it is and what it holds, nested."""
    shown = db(ctx).logistic_unit(lu)
    if as_json:
        print_json(shown)
        return
    print_lu(shown)


OutFile = Annotated[Path, typer.Option("--out", help="The PDF file to write.")]


@lu_app.command("label")
def lu_label(
    ctx: typer.Context,
    lu: Annotated[str, typer.Argument(metavar="SSCC|N", help="Its SSCC (or a scan), or number.")],
    out_file: OutFile,
    size: Annotated[str, typer.Option("--size", help="The label's size.")] = "100x150mm",
    as_json: JsonOpt = False,
) -> None:
    """The SSCC label of a case or pallet as a PDF: GS1-128 of (00) SSCC, with (02) GTIN
    and (37) count for a case of one item, and the human-readable text."""
    written = write_output(out_file, db(ctx).sscc_label_pdf(lu, size=size))
    if as_json:
        print_json({"lu": lu, "file": str(written)})
        return
    out.print(f"wrote {written}")


@shipment_app.command("slip")
def shipment_slip(
    ctx: typer.Context,
    operation: Annotated[int, typer.Argument(metavar="OP", help="The shipment's operation.")],
    out_file: OutFile,
    as_json: JsonOpt = False,
) -> None:
    """The packing slip of a shipment as a PDF: its SSCCs, and the items, lots and serials
    in each."""
    written = write_output(out_file, db(ctx).packing_slip(operation))
    if as_json:
        print_json({"operation": operation, "file": str(written)})
        return
    out.print(f"wrote {written}")


def register(app: typer.Typer) -> None:
    app.add_typer(settings_app, name="settings")
    app.add_typer(lu_app, name="lu")
    app.add_typer(shipment_app, name="shipment")
    app.command("pack")(pack)
    app.command("unpack")(unpack)
