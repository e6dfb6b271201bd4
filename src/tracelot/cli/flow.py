"""`tracelot inspect ...` and `tracelot transfer ...`: incoming inspection, and transfers
between sites with the stock in transit (issue 19)."""

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from tracelot.cli.common import JsonOpt, NoteOpt, OldRefOpt, ReferenceOpt, db, reference_of
from tracelot.cli.output import out, print_json, table, text

Refs = Annotated[
    list[str],
    typer.Argument(metavar="REF...", help="Units or lots, or scans; `-` reads them from stdin."),
]
Qty = Annotated[str | None, typer.Option("--qty", help="Quantity (exact decimal).")]
AllOpt = Annotated[bool, typer.Option("--all", help="Include the finished ones.")]

inspect_app = typer.Typer(
    help="Incoming inspection: what waits for it, and its results.", no_args_is_help=True
)


class _TransferGroup(TyperGroup):
    """`transfer REF... --from SITE --to SITE` sends (as `transfer send`); `transfer
    receive|list|show ...` are its other commands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["send", *args]
        return super().parse_args(ctx, args)


transfer_app = typer.Typer(
    cls=_TransferGroup,
    help="Transfers between sites: `transfer REF... --from SITE --to SITE` sends stock, which "
    "is in transit until `transfer receive N`.",
    no_args_is_help=True,
)


def _operation(done: dict[str, Any]) -> None:
    """What an operation did, as `tracelot.cli.output.operation` prints it."""
    party = f" ({done['party']})" if done.get("party") else ""
    out.print(f"{done['kind']} #{done['id']}{party}: done")
    for ln in done["lines"]:
        what = ln["item"] + (f"@{ln['lot']}" if ln["lot"] else "")
        serials = ln.get("serials") or []
        shown = ", ".join(serials) if len(serials) <= 5 else f"{serials[0]} .. {serials[-1]}"
        span = f"  [{shown}]" if serials else ""
        out.print(f"  {text(ln['qty'])} {what}  {ln['from']} -> {ln['to']}{span}")


def _named(refs: list[str] | None) -> tuple[str, ...]:
    """The REFs given, `-` standing for those read from standard input, one a line (a
    keyboard-wedge scanner, or a file of scans)."""
    return tuple(
        text
        for ref in refs or ()
        for text in ([line.strip() for line in sys.stdin] if ref == "-" else [ref])
        if text
    )


def _age(hours: int) -> str:
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h"


# -- inspection -----------------------------------------------------------------------------


@inspect_app.command("pass")
def inspect_pass(
    ctx: typer.Context,
    refs: Refs,
    note: NoteOpt = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Put it away here (else it stays where it is).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pass the inspection of units or lots: their holds are released (and they are put
    away at --to)."""
    from tracelot.domain.commands import InspectPass

    done = db(ctx).run(InspectPass(refs=_named(refs), note=note, to=to))
    if as_json:
        print_json(done)
        return
    _operation(done)
    for r in done["inspected"]:
        out.print(f"  passed {r['ref']}")


@inspect_app.command("fail")
def inspect_fail(
    ctx: typer.Context,
    refs: Refs,
    reason: Annotated[str, typer.Option("--reason", help="What is wrong with it.")] = "",
    return_to_supplier: Annotated[
        bool, typer.Option("--return-to-supplier", help="Send it back to its supplier.")
    ] = False,
    scrap: Annotated[bool, typer.Option("--scrap", help="Scrap it.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fail the inspection of units or lots: they stay held, and go back to the supplier
    (--return-to-supplier) or are scrapped (--scrap)."""
    from tracelot.domain.commands import InspectFail

    command = InspectFail(refs=_named(refs), reason=reason,
                          return_to_supplier=return_to_supplier, scrap=scrap)  # fmt: skip
    done = db(ctx).run(command)
    if as_json:
        print_json(done)
        return
    _operation(done)
    for r in done["inspected"]:
        out.print(f"  failed {r['ref']}")


INSPECTION_COLUMNS = ["inspection", "item", "lot", "serial", "qty", "location_path", "supplier",
                      "received_at", "age"]  # fmt: skip
RESULT_COLUMNS = ["status", "inspector", "decided_at", "disposition", "note", "reason"]


@inspect_app.command("list")
def inspect_list(ctx: typer.Context, all_: AllOpt = False, as_json: JsonOpt = False) -> None:
    """What waits for inspection, oldest first, with its age (--all: with the results)."""
    rows = db(ctx).inspections(all_=all_)
    if as_json:
        print_json(rows)
        return
    shown = [{**r, "age": _age(r["age_hours"])} for r in rows]
    table(shown, INSPECTION_COLUMNS + (RESULT_COLUMNS if all_ else []))


# -- transfers ------------------------------------------------------------------------------


@transfer_app.command("send")
def transfer_send(
    ctx: typer.Context,
    refs: Refs,
    from_: Annotated[str, typer.Option("--from", help="The site sending (a location).")],
    to: Annotated[str, typer.Option("--to", help="The site receiving (a location).")],
    qty: Qty = None,
    carrier: Annotated[str | None, typer.Option("--carrier", help="Who carries it.")] = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send units, or quantities of lots or items (ITEM@LOT=QTY), from one site to
    another: they are in transit until received."""
    from tracelot.domain.commands import Transfer

    reference = reference_of(reference, old_ref)
    command = Transfer(refs=_named(refs), from_=from_, to=to, qty=qty, carrier=carrier,
                       reference=reference, note=note)  # fmt: skip
    done = db(ctx).run(command)
    if as_json:
        print_json(done)
        return
    out.print(f"transfer {done['transfer']}: {done['from']} -> {done['to']}, in transit")
    _operation(done)


@transfer_app.command("receive")
def transfer_receive(
    ctx: typer.Context,
    transfer_id: Annotated[int, typer.Argument(metavar="N", help="The transfer's number.")],
    refs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[REF...]",
            help="What arrived (ITEM@LOT=QTY, scans; `-`: from stdin); else all.",
        ),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Where it goes (in the destination site).")
    ] = None,
    qty: Qty = None,
    complete: Annotated[
        bool,
        typer.Option("--complete", help="The last receipt: book what has not arrived as missing."),
    ] = False,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Receive a transfer at its destination: all of it, or what the REFs name (partly if
    need be); --complete closes it, booking what did not arrive as a difference."""
    from tracelot.domain.commands import ReceiveTransfer

    command = ReceiveTransfer(transfer_id=transfer_id, refs=_named(refs), to=to, qty=qty,
                              complete=complete, note=note)  # fmt: skip
    done = db(ctx).run(command)
    if as_json:
        print_json(done)
        return
    _operation(done)
    out.print(f"transfer {done['transfer']}: {done['status']}")
    for d in done["differences"]:
        what = d["item"] + (
            f":{d['serial']}" if d["serial"] else f"@{d['lot']}" if d["lot"] else ""
        )
        out.print(f"  missing {text(d['missing'])} {what} (sent {text(d['sent'])}, "
                  f"received {text(d['received'])})")  # fmt: skip
    for d in done["outstanding"]:
        what = d["item"] + (
            f":{d['serial']}" if d["serial"] else f"@{d['lot']}" if d["lot"] else ""
        )
        out.print(f"  still in transit: {text(d['outstanding'])} {what}")


TRANSFER_COLUMNS = ["transfer", "status", "from", "to", "carrier", "reference", "sent_at",
                    "age", "lines", "qty", "received", "missing", "in_transit"]  # fmt: skip


@transfer_app.command("list")
def transfer_list(ctx: typer.Context, all_: AllOpt = False, as_json: JsonOpt = False) -> None:
    """Open transfers, oldest first, with their age (--all: the received ones too)."""
    rows = db(ctx).transfers(all_=all_)
    if as_json:
        print_json(rows)
        return
    shown = [{**r, "age": _age(r["age_hours"])} for r in rows]
    table(shown, TRANSFER_COLUMNS, numeric=("lines", "qty", "received", "missing", "in_transit"))


@transfer_app.command("show")
def transfer_show(
    ctx: typer.Context,
    transfer_id: Annotated[int, typer.Argument(metavar="N", help="The transfer's number.")],
    as_json: JsonOpt = False,
) -> None:
    """A transfer: from, to, what it carries (sent, received, missing, in transit)."""
    shown = db(ctx).transfer_show(transfer_id)
    if as_json:
        print_json(shown)
        return
    for key in ("transfer", "status", "from", "to", "carrier", "reference", "sent_at", "sent_by",
                "closed_at"):  # fmt: skip
        out.print(f"{key:>10}: {text(shown[key])}")
    out.print(f"{'age':>10}: {_age(shown['age_hours'])}")
    table(shown["lines"], ["item", "lot", "serial", "sent", "received", "missing", "outstanding"],
          numeric=("sent", "received", "missing", "outstanding"))  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(inspect_app, name="inspect")
    app.add_typer(transfer_app, name="transfer")
