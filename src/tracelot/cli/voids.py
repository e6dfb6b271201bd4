"""Corrections: `void OP --reason T` reverses an operation exactly; `operation OP` shows
one operation, its lines, and whether it was voided."""

from typing import Annotated

import typer

from tracelot.cli.common import JsonOpt, db
from tracelot.cli.output import operation as print_operation
from tracelot.cli.output import out, print_json, text
from tracelot.domain.errors import InvalidInput

OperationArg = Annotated[
    str, typer.Argument(metavar="OP", help="The operation's id (as `history` shows it).")
]


def void(
    ctx: typer.Context,
    operation: OperationArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it is voided (kept as its note).")],
    as_json: JsonOpt = False,
) -> None:
    """Void an operation: a new operation undoes each of its lines exactly; the original
    stays on the ledger, marked voided. Refused, naming them, when later operations
    depend on what it would undo."""
    from tracelot.domain.commands import Void

    command = Void(operation=operation, reason=reason)  # type: ignore[arg-type]
    result = db(ctx).run(command)
    if as_json:
        print_json(result.to_dict())
        return
    print_operation(result, as_json=False)
    out.print(f"  voids operation {result.voids}")


def show_operation(ctx: typer.Context, operation: OperationArg, as_json: JsonOpt = False) -> None:
    """One operation: what, when, who, its lines, and the void that voided it."""
    if not operation.strip().isdigit():
        raise InvalidInput(f"operation must be a whole number from 1, not {operation!r}")
    result = db(ctx).operation(int(operation))
    if as_json:
        print_json(result.detail_dict())
        return
    party = f" ({result.party})" if result.party else ""
    out.print(f"{result.kind} #{result.id}{party} at {text(result.occurred_at)} by {result.user}")
    for name in ("reference", "note"):
        if getattr(result, name):
            out.print(f"  {name}: {getattr(result, name)}")
    if result.voids is not None:
        out.print(f"  voids operation {result.voids}")
    if result.voided_by is not None:
        out.print(f"  VOIDED by operation {result.voided_by}: {result.void_reason}")
    for ln in result.lines:
        what = ln.item + (f"@{ln.lot}" if ln.lot else "")
        serials = f"  ({len(ln.serials)} units)" if ln.serials else ""
        out.print(f"  {text(ln.qty)} {what}  {ln.from_location} -> {ln.to_location}{serials}")


def register(app: typer.Typer) -> None:
    app.command("void")(void)
    app.command("operation")(show_operation)
