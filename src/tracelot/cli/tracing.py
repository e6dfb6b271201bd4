"""`tracelot trace backward|forward`: genealogy as a tree, a flat list, CSV or a picture."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracelot.cli.common import JsonOpt, db, write_output
from tracelot.cli.output import err, print_json, print_long, table, text

if TYPE_CHECKING:
    from rich.tree import Tree

    from tracelot.app import Tracelot
    from tracelot.services.trace import Direction, Node, Trace

trace_app = typer.Typer(help="Trace genealogy backward and forward.", no_args_is_help=True)

CsvOpt = Annotated[
    bool, typer.Option("--csv", help="Write the affected list as CSV, straight from the database.")
]
JsonlOpt = Annotated[
    bool,
    typer.Option(
        "--jsonl", help="Write the affected list as JSON Lines, straight from the database."
    ),
]
SvgOpt = Annotated[
    str | None, typer.Option("--svg", help="Also draw the graph to FILE (.svg or .png).")
]
DepthOpt = Annotated[int | None, typer.Option("--depth", help="Follow at most N levels.")]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="The genealogy as it stood at the end of DATE.")
]


@trace_app.command("backward")
def backward(
    ctx: typer.Context,
    ref: str,
    depth: DepthOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    as_jsonl: JsonlOpt = False,
    svg: SvgOpt = None,
) -> None:
    """Every component and supplier lot that went into a unit or lot."""
    scope = {"depth": depth, "as_of": as_of}
    _trace(db(ctx), "backward", [ref], scope, as_json, as_csv, as_jsonl, svg)


@trace_app.command("forward")
def forward(
    ctx: typer.Context,
    refs: Annotated[list[str] | None, typer.Argument(help="Units or lots.")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier")] = None,
    supplier_lot: Annotated[str | None, typer.Option("--supplier-lot")] = None,
    depth: DepthOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    as_jsonl: JsonlOpt = False,
    svg: SvgOpt = None,
) -> None:
    """Everything made from units or lots, or from a supplier's lot, and where it is now."""
    scope = {"supplier": supplier, "supplier_lot": supplier_lot, "depth": depth, "as_of": as_of}
    _trace(db(ctx), "forward", refs or [], scope, as_json, as_csv, as_jsonl, svg)


def _trace(
    tl: "Tracelot",
    direction: "Direction",
    refs: list[str],
    scope: dict[str, Any],
    as_json: bool,
    as_csv: bool,
    as_jsonl: bool,
    svg: str | None,
) -> None:
    """The tree (built only to be shown: as text, JSON or a picture), and the affected
    list as CSV or JSON Lines, written from the database as it reads it."""
    if as_csv + as_jsonl + as_json > 1:
        raise typer.BadParameter("give one of --json, --csv and --jsonl")
    flat = "csv" if as_csv else "jsonl" if as_jsonl else None
    if svg or flat is None:
        traced = tl.trace_forward if direction == "forward" else tl.trace_backward
        result = traced(*refs, **scope)
        if svg:
            from tracelot.services.trace_graph import trace_picture  # graphviz

            err.print(f"picture written to {write_output(svg, trace_picture(result, svg))}")
        if flat is None:
            _show(result, as_json)
    if flat is not None:
        tl.write_affected(sys.stdout, direction, *refs, fmt=flat, **scope)


def _show(result: "Trace", as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
    else:
        from rich.tree import Tree

        for root in result.roots:
            tree = Tree(_label(root, result.direction), guide_style="dim")
            _grow(tree, root, result.direction)
            print_long(tree)
        if result.direction == "forward":
            columns = ["item", "serial", "lot", "qty", "status", "location_path", "customer"]
            table(result.affected, [*columns, "shipment_ref"], title="affected")


def _grow(tree: "Tree", node: "Node", direction: str) -> None:
    for child in node.children:
        _grow(tree.add(_label(child, direction)), child, direction)


def _label(node: "Node", direction: str) -> str:
    parts: list[Any] = [node.ref]
    if node.qty is not None:
        parts.append(f"x{text(node.qty)}")
    if node.build is not None:
        parts.append(f"build #{node.build} {text(node.build_date)}")
    if node.voided_by is not None:
        parts.append(f"VOIDED by #{node.voided_by}")
    elif node.removed is not None:
        parts.append(f"REMOVED by #{node.removed} {text(node.removed_date)}")
    if direction == "backward" and node.supplier:
        parts.append(
            f"from {node.supplier}" + (f" lot {node.supplier_lot}" if node.supplier_lot else "")
        )
    if direction == "backward" and node.receipt:
        parts.append(f"receipt #{node.receipt}")
    return "  ".join(str(p) for p in parts)


def register(app: typer.Typer) -> None:
    app.add_typer(trace_app, name="trace")
