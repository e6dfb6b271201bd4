"""`tracelot item pack`: an item's packaging levels (a box of 12, a case of 144)."""

from typing import Annotated

import typer

from tracelot.cli.common import JsonOpt, db
from tracelot.cli.masterdata import item_app
from tracelot.cli.output import out, print_json, table

pack_app = typer.Typer(
    help="Packaging levels of an item (box, case): base units each, maybe a GTIN.",
    no_args_is_help=True,
)
PACK_COLUMNS = ["item", "name", "qty", "uom", "of", "of_count", "gtin"]


@pack_app.command("add")
def pack_add(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="The item (a scan names it).")],
    name: Annotated[str, typer.Option("--name", help="The pack's name: box, case, pallet.")],
    qty: Annotated[
        str, typer.Option("--qty", help="Base units in one pack (with --of: packs of that kind).")
    ],
    of: Annotated[
        str | None, typer.Option("--of", help="--qty counts this smaller pack (a case of 12 box).")
    ] = None,
    gtin: Annotated[str | None, typer.Option("--gtin", help="The pack's own GTIN.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a packaging level: a scan of its GTIN, or a quantity given with --pack, is that
    many base units of the item."""
    added = db(ctx).pack_add(item, name=name, qty=qty, of=of, gtin=gtin)
    if as_json:
        print_json(added)
        return
    out.print(f"pack {added['name']} of {added['item']}: {_size(added)}")


@pack_app.command("list")
def pack_list(ctx: typer.Context, item: str, as_json: JsonOpt = False) -> None:
    """An item's packaging levels, largest first."""
    rows = db(ctx).packs(item)
    if as_json:
        print_json(rows)
        return
    table(rows, PACK_COLUMNS, numeric=("qty", "of_count"))


@pack_app.command("remove")
def pack_remove(ctx: typer.Context, item: str, name: str, as_json: JsonOpt = False) -> None:
    """Remove a packaging level (refused while a purchase order line is in it)."""
    removed = db(ctx).pack_remove(item, name)
    if as_json:
        print_json(removed)
        return
    out.print(f"pack {removed['name']} of {removed['item']} removed")


def _size(pack: dict) -> str:
    from tracelot.cli.output import text

    size = f"{text(pack['qty'])} {pack['uom']}"
    if pack["of"] is not None:
        size += f" ({text(pack['of_count'])} {pack['of']})"
    return size + (f", GTIN {pack['gtin']}" if pack["gtin"] else "")


def register(app: typer.Typer) -> None:
    """`item pack` under `item` (cli.masterdata's group)."""
    del app
    item_app.add_typer(pack_app, name="pack")
