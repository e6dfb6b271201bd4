"""`tracelot backup`, `restore` and `copy`: a whole database, saved, brought back, moved."""

from pathlib import Path
from typing import Annotated, Any

import typer

from tracelot.cli.common import JsonOpt, db
from tracelot.cli.output import err, out, print_json


def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Back up the database to FILE while others work on it (SQLite: a copy of the file;
    PostgreSQL: pg_dump's custom format), and what it holds to FILE.json."""
    made = db(ctx).backup(file, force=force)
    if as_json:
        print_json(made)
        return
    counts = made["counts"]
    last = made["last_operation"]
    out.print(
        f"backup written to {made['file']} ({made['bytes']:,} bytes, schema {made['schema']}): "
        f"{counts['operations']} operations"
        + (f" up to #{last['id']} ({last['recorded_at']})" if last else "")
        + f", {counts['items']} items, {counts['units']} units, {counts['lots']} lots",
        markup=False,
    )
    out.print(f"what it holds: {made['manifest']}", markup=False)


def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A backup written by `tracelot backup`.")],
    as_json: JsonOpt = False,
) -> None:
    """Restore FILE into the database, which must be empty; an older tracelot's backup is
    migrated; then the ledger is replayed (`verify`): exit 1 if it finds any problem."""
    done = db(ctx).restore(file)
    if as_json:
        print_json(done)
    else:
        migrated = f", migrated from schema {done['backup_schema']}" if done["migrated"] else ""
        out.print(
            f"restored {done['restored']} into {done['database']} (schema {done['schema']}"
            f"{migrated}): {_holds(done)}",
            markup=False,
        )
        _say_verify(done["verify"])
    if not done["verify"]["ok"]:
        raise typer.Exit(1)


def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="The empty database to copy into (a URL).")],
    as_json: JsonOpt = False,
) -> None:
    """Copy every row of the database into the empty database at --to (SQLite to
    PostgreSQL, or back), with `verify` on both: exit 1 if either finds a problem."""
    done = db(ctx).copy_to(to)
    if as_json:
        print_json(done)
    else:
        source, target = done["source"], done["target"]
        out.print(f"copied {source['database']} to {target['database']}: {_holds(target)}")
        _say_verify(source["verify"], what="source: ")
        _say_verify(target["verify"], what="target: ")
    if not (done["source"]["verify"]["ok"] and done["target"]["verify"]["ok"]):
        raise typer.Exit(1)


def _holds(found: dict[str, Any]) -> str:
    counts = found["counts"]
    return (
        f"{counts['operations']} operations, {counts['items']} items, {counts['units']} units, "
        f"{counts['lots']} lots"
    )


def _say_verify(report: dict[str, Any], *, what: str = "") -> None:
    for problem in report["problems"]:
        err.print(f"problem: {what}{problem}", markup=False)
    if report["ok"]:
        out.print(f"{what}verify ok: the projections equal a replay of the ledger", markup=False)
    else:
        out.print(f"{what}verify FAILED", markup=False)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("copy")(copy)
