"""Master data that can change, with its history (issue 19): `location set`, `user set`,
`deactivate` and `reactivate` for items, locations, parties and users, and `changes`,
the log of every change to master data. (`item set` and `party set` are in
cli/masterdata.py.)"""

from typing import Annotated

import typer

from tracelot.cli.admin import user_app
from tracelot.cli.common import JsonOpt, db
from tracelot.cli.masterdata import item_app, location_app, party_app
from tracelot.cli.output import out, print_json, table, text
from tracelot.domain.roles import ROLES
from tracelot.domain.status import USER_LOCATION_KINDS

CHANGE_COLUMNS = ["at", "entity", "code", "field", "before", "after", "user", "reason"]
ReasonOpt = Annotated[
    str, typer.Option("--reason", help="Why: said when it is refused in an operation.")
]


@location_app.command("set")
def location_set(
    ctx: typer.Context,
    code: str,
    name: Annotated[str | None, typer.Option("--name")] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="New parent location ('' for top level).")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="|".join(k.value for k in USER_LOCATION_KINDS))
    ] = None,
    gln: Annotated[str | None, typer.Option("--gln", help="Its GLN ('' for none).")] = None,
    pick_sequence: Annotated[
        int | None, typer.Option("--pick-sequence", help="Its place in the walking order.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a location's name, parent, kind, GLN or pick sequence (never its code). A
    location holding stock does not move to another warehouse."""
    loc = db(ctx).set_location(code, name=name, parent=parent, kind=kind, gln=gln,
                               pick_sequence=pick_sequence)  # fmt: skip
    print_json(loc) if as_json else out.print(f"location {loc['location_path']} changed")


@user_app.command("set")
def user_set(
    ctx: typer.Context,
    name: str,
    role: Annotated[str | None, typer.Option("--role", help="|".join(ROLES))] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's role."""
    user = db(ctx).set_user(name, role=role)
    print_json(user) if as_json else out.print(f"user {user['user']} is now {user['role']}")


def _switches(app: typer.Typer, entity: str, key: str, what: str) -> None:
    """`deactivate CODE --reason T` and `reactivate CODE` for one kind of master data."""

    def deactivate(ctx: typer.Context, code: str, reason: ReasonOpt, as_json: JsonOpt = False):
        shown = db(ctx).deactivate(entity, code, reason=reason)
        print_json(shown) if as_json else out.print(f"{entity} {shown[key]} deactivated")

    def reactivate(ctx: typer.Context, code: str, as_json: JsonOpt = False) -> None:
        shown = db(ctx).reactivate(entity, code)
        print_json(shown) if as_json else out.print(f"{entity} {shown[key]} reactivated")

    deactivate.__doc__ = (
        f"Deactivate {what}: refused in new operations from now on (with the reason), "
        "kept for history, reports and traces."
    )
    reactivate.__doc__ = f"Make an inactive {entity} usable again."
    app.command("deactivate")(deactivate)
    app.command("reactivate")(reactivate)


_switches(item_app, "item", "item", "an item")
_switches(location_app, "location", "location", "a location (one holding stock is refused)")
_switches(party_app, "party", "party", "a supplier or customer")
_switches(user_app, "user", "user", "a user (as `user disable`, with a reason)")


def changes(
    ctx: typer.Context,
    item: Annotated[str | None, typer.Option("--item", help="Of this item.")] = None,
    location: Annotated[str | None, typer.Option("--location", help="Of this location.")] = None,
    party: Annotated[str | None, typer.Option("--party", help="Of this party.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Of this user.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this day, YYYY-MM-DD.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The log of every change to master data: who, when, and each field's before and
    after, oldest first."""
    rows = db(ctx).changes(item=item, location=location, party=party, user=user, since=since)
    if as_json:
        print_json(rows)
        return
    table([{**r, "at": text(r["at"])} for r in rows], CHANGE_COLUMNS)


def register(app: typer.Typer) -> None:
    app.command("changes")(changes)
