"""The picture of a trace: the genealogy graph laid out left to right by Graphviz,
nodes coloured by status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tracelot.domain.errors import CannotWrite, InvalidInput
from tracelot.domain.values import format_qty
from tracelot.services.trace import Node, Trace

if TYPE_CHECKING:  # graphviz is loaded only to draw
    import graphviz

STATUS_COLOURS = {
    "in_stock": "#cfe8cf",
    "wip": "#fff2b3",
    "consumed": "#e2e2e2",
    "shipped": "#c9dcf5",
    "scrapped": "#f4c7c3",
    "held": "#f7a35c",
    "mixed": "#ffffff",
}
FORMATS = {".svg": "svg", ".png": "png"}


def trace_graph(result: Trace, link: Callable[[Node], str] | None = None) -> graphviz.Digraph:
    """Components on the left and what they went into on the right, whichever the
    direction; with `link`, each node is a link to what it returns (a page of its own)."""
    import graphviz

    status = _status_by_ref(result)
    graph = graphviz.Digraph(
        "trace",
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "nodesep": "0.25"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                   "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"},
    )  # fmt: skip
    ids: dict[str, str] = {}  # refs hold ':' which Graphviz reads as a port: use plain ids
    edges: set[tuple[str, str, str]] = set()

    def draw(node: Node) -> str:
        ref = node.ref
        if ref not in ids:
            ids[ref] = f"n{len(ids)}"
            state = status.get(ref, "")
            label = f"{node.item}\n{node.serial or node.lot or ''}\n{state}".strip()
            extra = {"URL": link(node), "target": "_top"} if link is not None else {}
            graph.node(ids[ref], label=label, fillcolor=STATUS_COLOURS.get(state, "#ffffff"),
                       tooltip=ref, **extra)  # fmt: skip
        for child in node.children:
            child_id = draw(child)
            src, dst = (
                (child_id, ids[ref]) if result.direction == "backward" else (ids[ref], child_id)
            )
            qty = "" if child.qty is None else format_qty(child.qty)
            if (src, dst, qty) not in edges:
                edges.add((src, dst, qty))
                graph.edge(src, dst, label=qty)
        return ids[ref]

    for root in result.roots:
        draw(root)
    return graph


def trace_picture(result: Trace, path: str | Path) -> bytes:
    """The graph drawn as SVG or PNG, chosen by the suffix of the file it is for."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(f"write the picture to a .svg or .png file, not {path.name!r}")
    return trace_graph(result).pipe(format=fmt)


def write_trace_picture(result: Trace, path: str | Path) -> Path:
    """Write the graph as SVG or PNG, chosen by the file's suffix."""
    path = Path(path)
    picture = trace_picture(result, path)
    try:
        path.write_bytes(picture)
    except OSError as exc:
        raise CannotWrite(path, exc) from None
    return path


def _status_by_ref(result: Trace) -> dict[str, str]:
    by_ref: dict[str, set[str]] = {}
    for row in result.affected:
        ref = f"{row['item']}:{row['serial']}" if row["serial"] else f"{row['item']}@{row['lot']}"
        by_ref.setdefault(ref, set()).add(row["status"])
    return {ref: s.pop() if len(s) == 1 else "mixed" for ref, s in by_ref.items()}
