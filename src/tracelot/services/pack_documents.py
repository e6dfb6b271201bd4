"""The papers of packing: a case's or pallet's SSCC label, and a shipment's packing slip.

The SSCC label is a GS1-128 of (00) SSCC; a case of one item with a GTIN says what it
holds with (02) the GTIN, (37) the count and, when it holds one lot, (10) the lot, as
GS1's logistic label does. Each element string is written under the bars (its
human-readable text). The packing slip lists a shipment's cases and pallets, each with
the items, lots and serials inside it, and what went unpacked beside them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from tracelot.domain.errors import WrongKind
from tracelot.domain.status import OperationKind
from tracelot.domain.values import normalize
from tracelot.services import packing
from tracelot.services.labels import Label
from tracelot.services.results import OperationResult
from tracelot.services.voids import operation as operation_of
from tracelot.store.tables import item_gtins, items

#: a logistic label's size: GS1's A6 (105 x 148 mm) is common; this is close and prints
#: on a 100 mm roll
SSCC_LABEL_SIZE = "100x150mm"


def sscc_label(conn: Connection, lu: str | int) -> Label:
    """The label of a case or pallet (by number, SSCC or scan)."""
    shown = packing.show(conn, lu)
    elements = [("00", shown["sscc"])]
    lines = [f"SSCC {shown['sscc']}", f"{shown['lu_kind']} {shown['logistic_unit']}"]
    flat = _flat(shown["contents"])
    item_codes = {c["item"] for c in flat}
    if len(item_codes) == 1 and not any(c["kind"] == "sscc" for c in shown["contents"]):
        code = item_codes.pop()
        gtin = conn.execute(  # its own GTIN, else the first of those that name it
            select(func.coalesce(items.c.gtin, item_gtins.c.gtin))
            .select_from(items)
            .outerjoin(item_gtins, item_gtins.c.item_id == items.c.id)
            .where(items.c.code == code)
            .order_by(item_gtins.c.gtin)
            .limit(1)
        ).scalar()
        count = sum(c["qty"] for c in flat)
        lots = {c["lot"] for c in flat}
        lines.append(f"{normalize(count)} x {code}")
        if gtin and count == int(count):
            elements += [("02", gtin.zfill(14)), ("37", str(int(count)))]
            if len(lots) == 1 and None not in lots:
                lot = lots.pop()
                elements.append(("10", str(lot)))
    else:
        units = sum(1 for c in flat if c["kind"] == "unit")
        inner = _count_ssccs(shown["contents"])
        lines.append(f"{units} units, {len(item_codes)} items" + (
            f", {inner} cases" if inner else ""))  # fmt: skip
    payload = "".join(f"({ai}){value}" for ai, value in elements)
    hri = tuple(f"({ai}) {value}" for ai, value in elements)
    return Label(shown["sscc"], "sscc", payload, "code128", True, tuple(lines), hri)


def _flat(contents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in contents:
        if c["kind"] == "sscc":
            out += _flat(c["contents"])
        else:
            out.append(c)
    return out


def _count_ssccs(contents: Sequence[dict[str, Any]]) -> int:
    return sum(1 + _count_ssccs(c["contents"]) for c in contents if c["kind"] == "sscc")


def packing_slip(conn: Connection, op_id: int) -> dict[str, Any]:
    """What a packing slip shows of a shipment: the operation, its cases (nested, with what
    they hold) and its lines."""
    done: OperationResult = operation_of(conn, op_id)
    if done.kind != OperationKind.SHIP.value:
        raise WrongKind(f"operation {op_id} is a {done.kind}: a packing slip is of a shipment")
    return {"operation": done.to_dict(), "cases": packing.shipment_cases(conn, op_id)}


def render_slip(slip: dict[str, Any]) -> bytes:
    """A packing slip as a PDF (A4): a heading, each SSCC with its contents, the lines."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    width, height = A4
    margin = 18 * mm
    y = height - margin
    op = slip["operation"]

    def line(text: str, *, size: float = 10, bold: bool = False, indent: float = 0) -> None:
        nonlocal y
        if y < margin + size:
            canvas.showPage()
            y = height - margin
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        canvas.drawString(margin + indent, y - size, text[:140])
        y -= size * 1.35

    line(f"Packing slip - shipment #{op['id']}", size=16, bold=True)
    line(f"Customer: {op['party'] or ''}    Date: {str(op['occurred_at'])[:10]}"
         f"    Reference: {op['reference'] or ''}")  # fmt: skip
    y -= 6
    if slip["cases"]:
        line("Logistic units", size=12, bold=True)

    def walk(contents: Sequence[dict[str, Any]], depth: int) -> None:
        for c in contents:
            pad = depth * 5 * mm
            if c["kind"] == "sscc":
                line(f"{c['lu_kind']} SSCC {c['sscc']}", bold=True, indent=pad)
                walk(c["contents"], depth + 1)
            elif c["kind"] == "unit":
                lot = f"  lot {c['lot']}" if c["lot"] else ""
                line(f"{c['item']}  serial {c['serial']}{lot}", indent=pad)
            else:
                lot = f"  lot {c['lot']}" if c["lot"] else ""
                line(f"{c['item']}{lot}  qty {normalize(c['qty'])}", indent=pad)

    for case in slip["cases"]:
        line(f"{case['lu_kind']} SSCC {case['sscc']}", bold=True)
        walk(case["contents"], 1)
        y -= 4
    line("Lines shipped", size=12, bold=True)
    for ln in op["lines"]:
        lot = f"  lot {ln['lot']}" if ln["lot"] else ""
        line(f"{ln['item']}{lot}  qty {normalize(ln['qty'])}  from {ln['from']}", bold=True)
        serials = ln.get("serials") or []
        for start in range(0, len(serials), 8):
            line("serials " + ", ".join(serials[start : start + 8]), indent=5 * mm, size=9)
    canvas.setTitle(f"packing slip {op['id']}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
