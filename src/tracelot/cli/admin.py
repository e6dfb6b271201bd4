"""`tracelot user` and `tracelot token`: who may use the API and the web pages, and how."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from tracelot.cli.common import JsonOpt, db
from tracelot.cli.output import out, print_json, table
from tracelot.domain.errors import InvalidInput
from tracelot.domain.roles import ROLES
from tracelot.domain.values import parse_days

user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
PasswordFile = Annotated[
    Path | None, typer.Option("--password-file", help="Read the password from this file.")
]


def read_password(path: Path | None, *, ask: bool) -> str | None:
    """A password from a file (its first line), or asked for at a terminal, or none."""
    if path is not None:
        try:
            return path.read_text().splitlines()[0] if path.read_text() else ""
        except OSError as exc:
            raise InvalidInput(f"cannot read the password file {path}: {exc.strerror}") from None
    if ask and sys.stdin.isatty():
        import getpass

        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise InvalidInput("the two passwords differ")
        return first
    return None


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: str,
    role: Annotated[str, typer.Option("--role", help="|".join(ROLES))],
    password_file: PasswordFile = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user (asked for a password at a terminal; without one, tokens only)."""
    user = db(ctx).add_user(name, role=role, password=read_password(password_file, ask=True))
    print_json(user) if as_json else out.print(f"user {user['user']} added ({user['role']})")


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List users."""
    rows = db(ctx).users()
    print_json(rows) if as_json else table(rows, ["user", "role", "disabled", "has_password"])


@user_app.command("set-role")
def user_set_role(ctx: typer.Context, name: str, role: str, as_json: JsonOpt = False) -> None:
    """Change a user's role."""
    user = db(ctx).set_role(name, role)
    print_json(user) if as_json else out.print(f"user {user['user']} is now {user['role']}")


@user_app.command("disable")
def user_disable(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """Disable a user: no more logins, and their tokens stop working."""
    user = db(ctx).disable_user(name)
    print_json(user) if as_json else out.print(f"user {user['user']} disabled")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Whose token it is.")],
    expires: Annotated[str | None, typer.Option("--expires", help="For example 90d.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="What it is for.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token; it is printed once, alone on the last line (with --json, in
    the object's `token`)."""
    days = parse_days(expires, what="--expires") if expires is not None else None
    made = db(ctx).create_token(user, name=name, expires_days=days)
    if as_json:
        print_json(made)
        return
    until = f", expires {made['expires_at']:%Y-%m-%d}" if made["expires_at"] else ""
    out.print(f"token {made['id']} for {made['user']}{until} (shown once):")
    sys.stdout.write(made["token"] + "\n")


@token_app.command("list")
def token_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List tokens (never the tokens themselves)."""
    rows = db(ctx).tokens()
    columns = ["id", "user", "name", "prefix", "expires_at", "revoked_at", "last_used_at"]
    print_json(rows) if as_json else table(rows, columns)


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: int, as_json: JsonOpt = False) -> None:
    """Revoke a token: it stops working at once."""
    db(ctx).revoke_token(token_id)
    print_json({"revoked": token_id}) if as_json else out.print(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
