"""Labels: what goes on the label of a unit, a lot or a location, and print-ready PDFs.

A unit or lot of an item with a GTIN gets a GS1 DataMatrix of (01) GTIN, (10) lot,
(17) expiry and (21) serial; without a GTIN, a DataMatrix of tracelot's payload
(`TL:U:ITEM:SERIAL`, `TL:L:ITEM@LOT`). A location gets a Code 128 of `TL:P:CODE` (or of
(414) GLN when it has one). Symbols come from zxing-cpp (its zint writer, which puts the
FNC1 and separators of GS1 symbols); the PDF is drawn with reportlab, each module of a
symbol as a rectangle, so labels print sharp at any size.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from tracelot.domain.errors import InvalidInput, WrongKind
from tracelot.domain.scan import PAYLOAD_PREFIX
from tracelot.services.resolver import resolve

if TYPE_CHECKING:  # zxing-cpp and reportlab are loaded only to draw
    import zxingcpp
    from reportlab.pdfgen.canvas import Canvas

PAPERS = ("a4", "letter")
FONT, BOLD = "Helvetica", "Helvetica-Bold"


@dataclass(frozen=True)
class Label:
    """One label: its symbol's content and kind, and the text beside it."""

    ref: str
    kind: str  # unit, lot, location
    payload: str  # bracketed GS1 data for GS1 symbols, else the text encoded
    symbol: str  # datamatrix or code128
    gs1: bool
    lines: tuple[str, ...]  # the human-readable text, the first in bold


def labels_for(conn: Connection, refs: list[str]) -> list[Label]:
    """The labels of units, lots and locations (references, codes or scans)."""
    if not refs:
        raise InvalidInput("name what to label: units, lots or locations")
    return [_label(conn, ref) for ref in refs]


def _label(conn: Connection, ref: str) -> Label:
    found = resolve(conn, ref)
    if found.location is not None:
        return _location_label(found.location)
    target = found.target
    item = target.item
    if target.unit is None and target.lot is None:
        raise WrongKind(f"label a unit, a lot or a location: {ref} is item {item.code}")
    lot = target.lot
    serial = target.unit.serial if target.unit is not None else None
    expires = (target.unit.expires if target.unit is not None else None) or (
        lot.expires if lot is not None else None
    )
    key = f"{item.code}:{serial}" if serial is not None else f"{item.code}@{lot.code}"
    lines = [key, item.name]
    if lot is not None and serial is not None:
        lines.append(f"LOT {lot.code}")
    if expires is not None:
        lines.append(f"EXP {expires.isoformat()}")
    if item.gtin:
        payload = f"(01){item.gtin}"
        if lot is not None:
            payload += f"(10){lot.code}"
        if expires is not None:
            payload += f"(17){expires.strftime('%y%m%d')}"
        if serial is not None:
            payload += f"(21){serial}"
        lines.append(payload)
        return Label(key, target.kind, payload, "datamatrix", True, tuple(lines))
    kind = "U" if serial is not None else "L"
    return Label(
        key, target.kind, f"{PAYLOAD_PREFIX}{kind}:{key}", "datamatrix", False, tuple(lines)
    )


def _location_label(row) -> Label:  # noqa: ANN001
    if row.virtual:
        raise WrongKind(f"location {row.code} is virtual: it has no shelf to label")
    if row.gln:
        payload, gs1 = f"(414){row.gln}", True
    else:
        payload, gs1 = f"{PAYLOAD_PREFIX}P:{row.code}", False
    return Label(row.code, "location", payload, "code128", gs1, (row.code, row.path))


# -- symbols ---------------------------------------------------------------------------------


def symbol(label: Label) -> zxingcpp.Barcode:
    import zxingcpp

    fmt = zxingcpp.BarcodeFormat.DataMatrix if label.symbol == "datamatrix" else (
        zxingcpp.BarcodeFormat.Code128
    )  # fmt: skip
    return zxingcpp.create_barcode(label.payload, fmt, gs1=label.gs1)


def symbol_svg(label: Label) -> bytes:
    return symbol(label).to_svg().encode()


def symbol_png(label: Label, *, scale: int = 8) -> bytes:
    from PIL import Image

    image = symbol(label).to_image(scale=scale)
    height, width = image.shape
    buffer = io.BytesIO()
    Image.frombytes("L", (width, height), bytes(memoryview(image))).save(buffer, "PNG")
    return buffer.getvalue()


def _modules(label: Label) -> tuple[int, int, list[tuple[int, int, int]]]:
    """The symbol as runs of dark modules: (width, height, [(row, first column, length)])."""
    image = symbol(label).to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape
    pixels = bytes(memoryview(image))
    if label.symbol == "code128":  # one row says it all
        height, pixels = 1, pixels[:width]
    runs = []
    for row in range(height):
        line = pixels[row * width : (row + 1) * width]
        for match in re.finditer(rb"\x00+", line):
            runs.append((row, match.start(), match.end() - match.start()))
    return width, height, runs


# -- PDF -------------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[float, float]:
    """A label size such as `50x25mm` or `2x1in`, in points."""
    from reportlab.lib.units import inch, mm

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*(mm|in)\s*", text or "")
    if not match:
        raise InvalidInput(f"label size {text!r}: write it as WIDTHxHEIGHTmm or WIDTHxHEIGHTin")
    width, height, unit = float(match[1]), float(match[2]), mm if match[3] == "mm" else inch
    if not (15 <= width * unit / mm <= 300 and 10 <= height * unit / mm <= 300):
        raise InvalidInput(f"label size {text!r}: from 15x10mm to 300x300mm")
    return width * unit, height * unit


def render_pdf(
    labels: list[Label],
    *,
    layout: str = "single",
    size: str = "50x25mm",
    paper: str = "a4",
    rows: int = 8,
    cols: int = 3,
) -> bytes:
    """Print-ready labels: one a page of the label's size (a thermal printer's roll), or
    laid out on sheets of A4 or Letter in `rows` x `cols`."""
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    if layout not in ("single", "sheet"):
        raise InvalidInput(f"layout must be single or sheet, not {layout!r}")
    buffer = io.BytesIO()
    if layout == "single":
        width, height = parse_size(size)
        canvas = Canvas(buffer, pagesize=(width, height))
        for label in labels:
            _draw(canvas, label, 0, 0, width, height)
            canvas.showPage()
    else:
        if paper not in PAPERS:
            raise InvalidInput(f"paper must be a4 or letter, not {paper!r}")
        if not (1 <= rows <= 30 and 1 <= cols <= 10):
            raise InvalidInput("a sheet has 1 to 30 rows and 1 to 10 columns")
        page_w, page_h = {"a4": A4, "letter": LETTER}[paper]
        margin = 8 * mm
        cell_w, cell_h = (page_w - 2 * margin) / cols, (page_h - 2 * margin) / rows
        canvas = Canvas(buffer, pagesize=(page_w, page_h))
        per_page = rows * cols
        for i, label in enumerate(labels):
            if i and i % per_page == 0:
                canvas.showPage()
            row, col = divmod(i % per_page, cols)
            x, y = margin + col * cell_w, page_h - margin - (row + 1) * cell_h
            _draw(canvas, label, x, y, cell_w, cell_h)
        canvas.showPage()
    canvas.setTitle("tracelot labels")
    canvas.save()
    return buffer.getvalue()


def _draw(canvas: Canvas, label: Label, x: float, y: float, w: float, h: float) -> None:
    pad = min(w, h) * 0.08
    columns, rows_, runs = _modules(label)
    if label.symbol == "code128":
        quiet = 10
        module = (w - 2 * pad) / (columns + 2 * quiet)
        bar_h = (h - 2 * pad) * 0.55
        top = y + h - pad
        for _, first, length in runs:
            canvas.rect(x + pad + (quiet + first) * module, top - bar_h, length * module, bar_h,
                        stroke=0, fill=1)  # fmt: skip
        _text(canvas, label.lines, x + pad, y + pad, w - 2 * pad, top - bar_h - pad - y - pad)
        return
    side = min(h - 2 * pad, (w - 2 * pad) * 0.45)  # the symbol with a quiet module around
    module = side / (max(columns, rows_) + 2)
    left, top = x + pad + module, y + (h + side) / 2 - module
    for row, first, length in runs:
        canvas.rect(left + first * module, top - (row + 1) * module, length * module, module,
                    stroke=0, fill=1)  # fmt: skip
    text_x = x + pad + side + 2 * module
    _text(canvas, label.lines, text_x, y + pad, x + w - pad - text_x, h - 2 * pad)


def _text(canvas: Canvas, lines: tuple[str, ...], x: float, y: float, w: float, h: float) -> None:
    """The lines top to bottom, each shrunk to fit the width; what does not fit is left out."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = min(10.0, h / (len(lines) * 1.25))
    top = y + h
    for i, line in enumerate(lines):
        font = BOLD if i == 0 else FONT
        fitted = size
        while fitted > 4 and stringWidth(line, font, fitted) > w:
            fitted -= 0.25
        if fitted <= 4 or top - fitted < y - 0.5:
            continue
        top -= fitted * 1.2
        canvas.setFont(font, fitted)
        canvas.drawString(x, top, line)
