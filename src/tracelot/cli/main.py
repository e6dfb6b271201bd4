"""The `tracelot` command: global options, the composition root, and error handling."""

from typing import Annotated, Any

import typer
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from tracelot.cli import (
    admin,
    control,
    demo,
    epcis,
    inquiry,
    interchange,
    masterdata,
    operations,
    recall,
    scanning,
    serve,
    tracing,
)
from tracelot.cli.output import err
from tracelot.domain.errors import TracelotError


class _Group(TyperGroup):
    """Turns refusals into `error: ...` and exit status 1, never a traceback."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TracelotError as exc:
            err.print(f"error: {exc.message}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except OperationalError as exc:
            err.print(f"error: database: {exc.orig}", markup=False)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Group,
    help="tracelot: inventory with serial-number and lot traceability.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="TRACELOT_DATABASE_URL",
            help="Database URL (default: sqlite:///tracelot.db in the working directory).",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", envvar="TRACELOT_USER", help="Acting user (default: your login name)."
        ),
    ] = None,
) -> None:
    """Open the database for the command (the engine is built here, not at import)."""
    from tracelot.app import connect  # the facade and its services: not for --help

    tracelot = connect(db, user=user)
    ctx.obj = tracelot
    ctx.call_on_close(tracelot.close)


masterdata.register(app)
operations.register(app)
inquiry.register(app)
tracing.register(app)
recall.register(app)
scanning.register(app)
demo.register(app)
admin.register(app)
serve.register(app)
control.register(app)
interchange.register(app)
epcis.register(app)


def main() -> None:
    app()
