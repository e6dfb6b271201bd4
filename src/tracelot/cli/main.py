"""The `tracelot` command: global options, the composition root, and error handling."""

import sys
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError, OperationalError
from typer.core import TyperGroup

from tracelot.cli import (
    admin,
    backup,
    changes,
    control,
    counts,
    demo,
    epcis,
    flow,
    inquiry,
    interchange,
    masterdata,
    operations,
    orders,
    packing,
    packs,  # issue 20: units of measure and pack sizes
    recall,
    scanning,
    serve,
    tracing,
    voids,
)
from tracelot.cli.output import err
from tracelot.domain.errors import TracelotError


def _typers(param: Any) -> Any:
    """Typer's own coercion of a parameter (through a pydantic TypeAdapter, mostly)."""
    from typer._coercion import build_runtime_param

    return build_runtime_param(param.type_descriptor)


class _Deferred:
    """Typer's coercion, built only for a value given: a parameter left out is None (or
    empty), as Typer's own coercion answers it whatever the type, without building it
    (`scan`'s `--so N` left out loaded pydantic for a None: 30 ms of `tracelot scan`)."""

    def coerce(self, value: Any, param: Any, ctx: typer.Context) -> Any:
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        return self.given(value, param, ctx)

    def given(self, value: Any, param: Any, ctx: typer.Context) -> Any:
        param._runtime_param = _typers(param)  # a number, a path, a choice: Typer's
        return param._runtime_param.coerce(value, param, ctx)


class _Lean(_Deferred):
    """Typer's coercion of text and flag parameters, done without pydantic: Typer 0.29 runs
    every parameter of the command it runs through a pydantic TypeAdapter, and importing
    pydantic for that took a third of `tracelot where`'s start (0.12 s). Text needs no
    checking (Typer's adapter does `str(value)`), nor does a flag that is already a bool."""

    def given(self, value: Any, param: Any, ctx: typer.Context) -> Any:
        if param.type_descriptor.annotation is bool:
            if isinstance(value, bool):
                return value
            return _typers(param).coerce(value, param, ctx)  # a flag's text, from the env
        if not (param.multiple or param.nargs == -1):
            return str(value)
        if isinstance(value, str):
            raise typer.BadParameter("Value must be an iterable.", ctx=ctx, param=param)
        return [str(v) for v in value]


def _lean_coercion() -> None:
    """Give parameters the coercions above, through Typer's lazy
    `get_runtime_param` (which also serves the `--help` options Typer makes as it parses).
    It relies on Typer's internals (pinned below 0.30): should they change, nothing is
    replaced and Typer's own coercion stays (tests/test_startup.py would see pydantic)."""
    try:
        from typer.core import _TyperParameter

        typer_runtime_param = _TyperParameter.get_runtime_param
    except (ImportError, AttributeError):
        return
    lean, deferred = _Lean(), _Deferred()

    def get_runtime_param(self: Any) -> Any:
        descriptor = getattr(self, "type_descriptor", None)
        if getattr(self, "_runtime_param", "") is None and descriptor is not None:
            text = (
                descriptor.annotation in (str, list[str], bool)
                and descriptor.file_annotation is None
                and getattr(descriptor.parameter_info, "parser", None) is None
            )
            self._runtime_param = lean if text else deferred
        return typer_runtime_param(self)

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]


_lean_coercion()


class _Group(TyperGroup):
    """Turns refusals into `error: ...` and exit status 1, never a traceback."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TracelotError as exc:
            err.print(f"error: {exc.message}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except DBAPIError as exc:
            from tracelot.store.engine import storage_problem

            found = storage_problem(exc)
            if found is not None:  # a full disk, read-only storage: said as such
                err.print(f"error: {found.message}", markup=False)
                raise typer.Exit(found.exit_code) from None
            if not isinstance(exc, OperationalError):
                raise
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
backup.register(app)
voids.register(app)
counts.register(app)
flow.register(app)
changes.register(app)
packs.register(app)  # issue 20: item pack
orders.register(app)  # issue 20: sales orders
packing.register(app)  # issue 20: settings, pack, unpack, lu


#: the global options that take a value (`_root`'s)
_VALUED = ("--db", "--user")


def _only_the_command_run(argv: list[str]) -> None:
    """Keep only the command (or group) that `argv` runs: Typer builds a Click command of
    every command it has, reading each function's signature (130 of them: 20 ms of every
    start), to run one. A name that is no command, or `--help` before any, keeps them
    all, so that Click's own answer (the list, "No such command") is as before."""
    from typer.main import get_command_name

    args = iter(argv)
    for arg in args:
        if arg in _VALUED:
            next(args, None)
        elif not arg.startswith(tuple(f"{option}=" for option in _VALUED)):
            break
    else:
        return
    if arg.startswith("-") or not all(isinstance(g.name, str) for g in app.registered_groups):
        return  # (a group added without a name would merge its commands into the root's)
    commands = [c for c in app.registered_commands
                if (c.name or get_command_name(c.callback.__name__)) == arg]  # fmt: skip
    groups = [g for g in app.registered_groups if g.name == arg]
    if commands or groups:
        app.registered_commands, app.registered_groups = commands, groups


def main() -> None:
    """The process's command line, run once: it keeps only the command it runs."""
    _only_the_command_run(sys.argv[1:])
    app()
