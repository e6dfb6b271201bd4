"""`tracelot trace backward|forward`: the affected list (a table, CSV or JSON Lines, from
the database), or the genealogy as a tree (`--tree`, `--json`) or a picture (`--svg`)."""

import json
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
TreeOpt = Annotated[
    bool, typer.Option("--tree", help="Draw the genealogy as a tree, with the affected list.")
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
    tree: TreeOpt = False,
    svg: SvgOpt = None,
) -> None:
    """Every component and supplier lot that went into a unit or lot."""
    scope = {"depth": depth, "as_of": as_of}
    _trace(db(ctx), "backward", [ref], scope, as_json, as_csv, as_jsonl, tree, svg)


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
    tree: TreeOpt = False,
    svg: SvgOpt = None,
) -> None:
    """Everything made from units or lots, or from a supplier's lot, and where it is now."""
    scope = {"supplier": supplier, "supplier_lot": supplier_lot, "depth": depth, "as_of": as_of}
    _trace(db(ctx), "forward", refs or [], scope, as_json, as_csv, as_jsonl, tree, svg)


def _trace(
    tl: "Tracelot",
    direction: "Direction",
    refs: list[str],
    scope: dict[str, Any],
    as_json: bool,
    as_csv: bool,
    as_jsonl: bool,
    tree: bool,
    svg: str | None,
) -> None:
    """The affected list, written from the database as it reads it (a table, CSV or JSON
    Lines); the tree only when asked for (`--tree`, `--json`, `--svg`)."""
    if as_csv + as_jsonl + as_json + tree > 1:
        raise typer.BadParameter("give one of --tree, --json, --csv and --jsonl")
    result = None
    if svg or tree or as_json:
        traced = tl.trace_forward if direction == "forward" else tl.trace_backward
        result = traced(*refs, **scope)
        if svg:
            from tracelot.services.trace_graph import trace_picture  # graphviz

            err.print(f"picture written to {write_output(svg, trace_picture(result, svg))}")
    if result is not None and as_json:
        print_json(result.to_dict())
    elif as_csv or as_jsonl:
        tl.write_affected(sys.stdout, direction, *refs, fmt="csv" if as_csv else "jsonl", **scope)
    elif result is not None:  # the tree was built: its list is at hand
        if tree:
            _draw(result)
        table(result.affected, _COLUMNS[direction], title="affected")
    else:
        texts = tl.iter_affected(direction, *refs, fmt="jsonl", **scope)
        rows = [json.loads(line) for text in texts for line in text.splitlines()]
        table(rows, _COLUMNS[direction], title="affected")
        err.print("--tree draws the genealogy, --svg FILE a picture of it")


#: the affected list's columns in a table
_COLUMNS = {
    "forward": ["item", "serial", "lot", "qty", "status", "location_path", "customer",
                "shipment_ref"],
    "backward": ["item", "serial", "lot", "qty", "status", "location_path", "received_from",
                 "supplier_lot", "receipt"],
}  # fmt: skip


def _draw(result: "Trace") -> None:
    from rich.tree import Tree

    for root in result.roots:
        tree = Tree(_label(root, result.direction), guide_style="dim")
        _grow(tree, root, result.direction)
        print_long(tree)


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
