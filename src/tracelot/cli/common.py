"""What the command modules share: the database of the command, common options."""

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tracelot.app import Tracelot

JsonOpt = Annotated[bool, typer.Option("--json", help="Write JSON instead of a table.")]
RefOpt = Annotated[str | None, typer.Option("--ref", help="Your reference (order, document).")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note kept with the operation.")]


def db(ctx: typer.Context) -> "Tracelot":
    """The Tracelot the root callback opened for this command."""
    return ctx.find_root().obj
