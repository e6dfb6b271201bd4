"""`tracelot init`, `item`, `location`, `party`: setting up the database and master data."""

from pathlib import Path
from typing import Annotated

import typer

from tracelot.cli.admin import read_password
from tracelot.cli.common import JsonOpt, db
from tracelot.cli.output import out, print_json, table
from tracelot.domain.status import USER_LOCATION_KINDS
from tracelot.domain.values import parse_days

item_app = typer.Typer(help="Items (SKUs).", no_args_is_help=True)
location_app = typer.Typer(help="Locations: warehouses, zones, bins.", no_args_is_help=True)
party_app = typer.Typer(help="Suppliers and customers.", no_args_is_help=True)
gtin_app = typer.Typer(help="The GTINs that name an item.", no_args_is_help=True)
item_app.add_typer(gtin_app, name="gtin")

ITEM_COLUMNS = ["item", "name", "tracking", "gtin", "uom", "shelf_life_days", "cost"]


def init(
    ctx: typer.Context,
    admin_user: Annotated[
        str, typer.Option("--admin-user", help="The first admin's user name.")
    ] = "admin",
    admin_password_file: Annotated[
        Path | None,
        typer.Option("--admin-password-file", help="The first admin's password, from a file."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or migrate the database (Alembic), with the virtual locations; on a new
    database, create the first admin and print its generated password once."""
    tracelot = db(ctx)
    password = read_password(admin_password_file, ask=False)
    revision = tracelot.init()
    made = tracelot.ensure_admin(admin_user, password)
    if as_json:  # the generated password is in it, once, as it is in the table
        generated = made if made is not None and password is None else None
        print_json({"database": tracelot.engine.url.render_as_string(hide_password=True),
                    "schema": revision, "admin_created": admin_user if made else None,
                    "admin_password": generated})  # fmt: skip
        return
    out.print(f"database ready at {tracelot.engine.url!r} (schema {revision})")
    if made is not None and password is None:
        out.print(f"admin user {admin_user!r} created; its password, shown once:")
        out.print(made, markup=False)
    elif made is not None:
        out.print(f"admin user {admin_user!r} created with the password of {admin_password_file}")


@item_app.command("add")
def item_add(
    ctx: typer.Context,
    code: str,
    name: Annotated[str, typer.Option("--name", help="What the item is called.")],
    tracking: Annotated[str, typer.Option("--tracking", help="none, lot or serial.")],
    gtin: Annotated[str | None, typer.Option("--gtin", help="GTIN-8/12/13/14.")] = None,
    uom: Annotated[str, typer.Option("--uom", help="Unit of measure.")] = "EA",
    shelf_life_days: Annotated[int | None, typer.Option("--shelf-life-days")] = None,
    cost: Annotated[str | None, typer.Option("--cost", help="Standard unit cost.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Group in reports.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an item."""
    item = db(ctx).add_item(
        code, name=name, tracking=tracking, gtin=gtin, uom=uom,
        shelf_life_days=shelf_life_days, cost=cost, category=category,
    )  # fmt: skip
    if as_json:
        print_json(item)
    else:
        out.print(f"item {item['item']} added ({item['tracking']} tracking)")


#: issue 19: incoming inspection, for every supplier or for one (--inspect-supplier)
InspectOpt = Annotated[
    bool | None,
    typer.Option(
        "--inspect-on-receipt/--no-inspect-on-receipt",
        help="What is received of it waits, held in quarantine, for inspection.",
    ),
]
InspectSupplierOpt = Annotated[
    str | None,
    typer.Option(
        "--inspect-supplier", help="--(no-)inspect-on-receipt for this supplier's receipts only."
    ),
]


@item_app.command("set")
def item_set(
    ctx: typer.Context,
    code: str,
    name: Annotated[str | None, typer.Option("--name")] = None,
    cost: Annotated[str | None, typer.Option("--cost", help="Standard unit cost.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Group in reports.")] = None,
    supplier: Annotated[
        str | None, typer.Option("--supplier", help="Preferred supplier (and its --lead-time).")
    ] = None,
    lead_time: Annotated[
        str | None, typer.Option("--lead-time", help="Days from order to receipt, as 14d.")
    ] = None,
    ordering_cost: Annotated[
        str | None, typer.Option("--ordering-cost", help="Cost of placing one order.")
    ] = None,
    holding_rate: Annotated[
        str | None, typer.Option("--holding-rate", help="Yearly holding cost / unit cost.")
    ] = None,
    min_qty: Annotated[str | None, typer.Option("--min", help="Reorder at or below.")] = None,
    max_qty: Annotated[str | None, typer.Option("--max", help="Order up to.")] = None,
    pack_size: Annotated[str | None, typer.Option("--pack-size", help="Order in packs.")] = None,
    uom: Annotated[str | None, typer.Option("--uom", help="Unit of measure.")] = None,
    shelf_life_days: Annotated[
        int | None, typer.Option("--shelf-life-days", "--shelf-life", help="In days.")
    ] = None,
    gtin: Annotated[str | None, typer.Option("--gtin", help="Its own GTIN ('' for none).")] = None,
    tracking: Annotated[
        str | None, typer.Option("--tracking", help="none, lot or serial: only before any stock.")
    ] = None,
    inspect_on_receipt: InspectOpt = None,
    inspect_supplier: InspectSupplierOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an item's name, cost, category, planning attributes (supplier, lead time,
    ordering and holding costs, min/max, pack size), unit of measure, shelf life, GTIN,
    its tracking while it has no ledger yet, and whether it is inspected on receipt.
    Every change goes to `tracelot changes`."""
    item = None
    if inspect_on_receipt is None and inspect_supplier is not None:
        raise typer.BadParameter("give --inspect-on-receipt or --no-inspect-on-receipt with it",
                                 param_hint="--inspect-supplier")  # fmt: skip
    fields = (name, cost, category, supplier, lead_time, ordering_cost, holding_rate, min_qty,
              max_qty, pack_size, uom, shelf_life_days, gtin, tracking)  # fmt: skip
    tl = db(ctx)
    with tl.atomic():  # all of it, or none
        if inspect_on_receipt is None or any(v is not None for v in fields):
            item = tl.set_item(
                code, name=name, cost=cost, category=category, supplier=supplier,
                lead_time_days=parse_days(lead_time, what="--lead-time") if lead_time else None,
                ordering_cost=ordering_cost, holding_rate=holding_rate, min_qty=min_qty,
                max_qty=max_qty, pack_size=pack_size, uom=uom, shelf_life_days=shelf_life_days,
                gtin=gtin, tracking=tracking,
            )  # fmt: skip
        if inspect_on_receipt is not None:  # issue 19: incoming inspection
            rule = tl.item_set_inspection(code, inspect=inspect_on_receipt,
                                          supplier=inspect_supplier)  # fmt: skip
            item = {**(item or {}), **rule}
    assert item is not None
    if as_json:
        print_json(item)
    else:
        out.print(f"item {item['item']} changed")


@item_app.command("list")
def item_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List items."""
    rows = db(ctx).items()
    print_json(rows) if as_json else table(rows, ITEM_COLUMNS, numeric=("cost",))


@item_app.command("show")
def item_show(ctx: typer.Context, code: str, as_json: JsonOpt = False) -> None:
    """Show one item."""
    item = db(ctx).item(code)
    if as_json:
        print_json(item)
    else:
        for key, value in item.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            out.print(f"{key:>16}: {'' if shown is None else shown}")


@gtin_app.command("add")
def gtin_add(ctx: typer.Context, item: str, gtin: str, as_json: JsonOpt = False) -> None:
    """Let another GTIN (a supplier's, another pack's) name ITEM: its scans find it."""
    shown = db(ctx).add_gtin(item, gtin)
    if as_json:
        print_json(shown)
    else:
        out.print(f"item {shown['item']} has GTINs {', '.join(shown['gtins'])}")


@location_app.command("add")
def location_add(
    ctx: typer.Context,
    code: str,
    name: Annotated[str | None, typer.Option("--name")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Parent location code.")] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="|".join(k.value for k in USER_LOCATION_KINDS))
    ] = "bin",
    gln: Annotated[
        str | None, typer.Option("--gln", help="Its GS1 location number (scans of AI 414).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a location, under a parent if given."""
    loc = db(ctx).add_location(code, name=name, parent=parent, kind=kind, gln=gln)
    print_json(loc) if as_json else out.print(f"location {loc['location_path']} added")


@location_app.command("list")
def location_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include the virtual locations.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List locations as a tree."""
    rows = db(ctx).locations(include_virtual=all_)
    if as_json:
        print_json(rows)
        return
    tree = [{**r, "location": "  " * r["depth"] + r["location"]} for r in rows]
    table(tree, ["location", "name", "kind", "location_path"])


ContactNameOpt = Annotated[
    str | None, typer.Option("--contact-name", help="Whom to write to (a recall's notices).")
]
EmailOpt = Annotated[str | None, typer.Option("--email", help="Email address for notices.")]
PhoneOpt = Annotated[str | None, typer.Option("--phone")]
AddressOpt = Annotated[str | None, typer.Option("--address", help="Postal address (lines).")]
PARTY_COLUMNS = ["party", "name", "kind", "contact_name", "email", "phone"]


@party_app.command("add")
def party_add(
    ctx: typer.Context,
    code: str,
    name: Annotated[str, typer.Option("--name")],
    kind: Annotated[str, typer.Option("--kind", help="supplier or customer.")],
    contact_name: ContactNameOpt = None,
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    address: AddressOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a supplier or customer, with its contact details."""
    party = db(ctx).add_party(code, name=name, kind=kind, contact_name=contact_name,
                              email=email, phone=phone, address=address)  # fmt: skip
    print_json(party) if as_json else out.print(f"{party['kind']} {party['party']} added")


@party_app.command("set")
def party_set(
    ctx: typer.Context,
    code: str,
    name: Annotated[str | None, typer.Option("--name")] = None,
    contact_name: ContactNameOpt = None,
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    address: AddressOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a party's name or contact details (an empty value clears a detail)."""
    party = db(ctx).set_party(code, name=name, contact_name=contact_name, email=email,
                              phone=phone, address=address)  # fmt: skip
    print_json(party) if as_json else out.print(f"{party['kind']} {party['party']} changed")


@party_app.command("list")
def party_list(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List suppliers and customers."""
    rows = db(ctx).parties(kind)
    print_json(rows) if as_json else table(rows, PARTY_COLUMNS)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(item_app, name="item")
    app.add_typer(location_app, name="location")
    app.add_typer(party_app, name="party")
