"""Labels: what goes on the label of a unit, a lot or a location, and print-ready PDFs.

A unit or lot of an item with a GTIN gets a GS1 DataMatrix of (01) GTIN, (10) lot,
(17) expiry and (21) serial; without a GTIN (or with a lot or serial GS1 does not allow,
made before the item had its GTIN: the label says so), a DataMatrix of tracelot's payload
(`TL:U:ITEM:SERIAL`, `TL:L:ITEM@LOT`). A location gets a Code 128 of `TL:P:CODE` (or a
GS1-128 of (414) GLN when it has one). Every GS1 symbol has its human-readable text, an
element string a line. Symbols come from zxing-cpp (its zint writer, which puts the FNC1
and separators of GS1 symbols); the PDF is drawn with reportlab, each module of a symbol
as a rectangle a whole number of a 203 dpi printer's dots wide where it fits, so labels
print sharp. For thermal printers the labels are written as ZPL, the printer drawing the
symbols itself (`render_zpl`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from tracelot.domain.errors import InvalidInput, WrongKind
from tracelot.domain.scan import PAYLOAD_PREFIX
from tracelot.domain.values import check_gs1_keys
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
    lines: tuple[str, ...]  # the text beside the symbol, the first in bold
    hri: tuple[str, ...] = ()  # a GS1 symbol's human-readable text: "(01) 0950...", ...
    warning: str | None = None  # why an item with a GTIN has tracelot's own payload

    @property
    def elements(self) -> tuple[tuple[str, str], ...]:
        """A GS1 symbol's element strings: (AI, value) in order."""
        return tuple((h[1 : h.index(")")], h[h.index(")") + 2 :]) for h in self.hri)


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
    warning = _not_gs1(item, lot.code if lot is not None else None, serial)
    if item.gtin and warning is None:
        elements = [("01", item.gtin)]
        if lot is not None:
            elements.append(("10", lot.code))
        if expires is not None:
            elements.append(("17", expires.strftime("%y%m%d")))
        if serial is not None:
            elements.append(("21", serial))
        hri = tuple(f"({ai}) {value}" for ai, value in elements)
        payload = "".join(f"({ai}){value}" for ai, value in elements)
        return Label(key, target.kind, payload, "datamatrix", True, tuple(lines), hri)
    if lot is not None and serial is not None:
        lines.append(f"LOT {lot.code}")
    if expires is not None:
        lines.append(f"EXP {expires.isoformat()}")
    if warning:
        lines.append("not GS1: " + warning)
    kind = "U" if serial is not None else "L"
    return Label(key, target.kind, f"{PAYLOAD_PREFIX}{kind}:{key}", "datamatrix", False,
                 tuple(lines), warning=warning)  # fmt: skip


def _not_gs1(item, lot: str | None, serial: str | None) -> str | None:  # noqa: ANN001
    """Why a lot or serial of an item with a GTIN can not go into a GS1 barcode (one made
    before the item had its GTIN), or None."""
    if not item.gtin:
        return None
    try:
        check_gs1_keys([lot] if lot else [], what="lot code", item=item.code)
        check_gs1_keys([serial] if serial else [], what="serial", item=item.code)
    except InvalidInput as exc:
        return f"{exc.message}: the label carries tracelot's own code instead"
    return None


def _location_label(row) -> Label:  # noqa: ANN001
    if row.virtual:
        raise WrongKind(f"location {row.code} is virtual: it has no shelf to label")
    lines = (row.code, row.path)
    if row.gln:
        return Label(row.code, "location", f"(414){row.gln}", "code128", True, lines,
                     (f"(414) {row.gln}",))  # fmt: skip
    return Label(row.code, "location", f"{PAYLOAD_PREFIX}P:{row.code}", "code128", False, lines)


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


#: a dot of a 203 dpi thermal printer, in points
DOT = 72 / 203


def _snapped(module: float) -> float:
    """A module a whole number of a 203 dpi printer's dots (at least two), where it fits."""
    dots = int(module / DOT)
    return dots * DOT if dots >= 2 else module


def _draw(canvas: Canvas, label: Label, x: float, y: float, w: float, h: float) -> None:
    pad = min(w, h) * 0.08
    columns, rows_, runs = _modules(label)
    text = (label.lines[0], *label.hri, *label.lines[1:])  # the HRI before the rest
    if label.symbol == "code128":
        quiet = 10
        module = _snapped((w - 2 * pad) / (columns + 2 * quiet))
        left = x + (w - (columns + 2 * quiet) * module) / 2 + quiet * module
        bar_h = (h - 2 * pad) * 0.5
        top = y + h - pad
        for _, first, length in runs:
            canvas.rect(left + first * module, top - bar_h, length * module, bar_h,
                        stroke=0, fill=1)  # fmt: skip
        text = (*label.hri, *label.lines)  # the HRI right under the bars
        _text(canvas, text, x + pad, y + pad, w - 2 * pad, top - bar_h - pad - y - pad,
              bold=len(label.hri))  # fmt: skip
        return
    side = min(h - 2 * pad, (w - 2 * pad) * 0.45)  # the symbol with a quiet module around
    module = _snapped(side / (max(columns, rows_) + 2))
    side = module * (max(columns, rows_) + 2)
    left, top = x + pad + module, y + (h + side) / 2 - module
    for row, first, length in runs:
        canvas.rect(left + first * module, top - (row + 1) * module, length * module, module,
                    stroke=0, fill=1)  # fmt: skip
    text_x = x + pad + side + 2 * module
    _text(canvas, text, text_x, y + pad, x + w - pad - text_x, h - 2 * pad)


def _text(canvas: Canvas, lines: tuple[str, ...], x: float, y: float, w: float, h: float,
          bold: int = 0) -> None:  # fmt: skip
    """The lines top to bottom (line `bold` in bold), each shrunk to fit the width; what
    does not fit is left out."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = min(10.0, h / (len(lines) * 1.25))
    top = y + h
    for i, line in enumerate(lines):
        font = BOLD if i == bold else FONT
        fitted = size
        while fitted > 4 and stringWidth(line, font, fitted) > w:
            fitted -= 0.25
        if fitted <= 4 or top - fitted < y - 0.5:
            continue
        top -= fitted * 1.2
        canvas.setFont(font, fitted)
        canvas.drawString(x, top, line)


# -- ZPL -------------------------------------------------------------------------------------

#: the resolutions of thermal printers tracelot writes ZPL for
ZPL_DPI = (203, 300)
#: AIs whose value has a length fixed by GS1 (by their first two digits): no separator
#: follows them inside a symbol
_FIXED_LENGTH = {"00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17",
                 "18", "19", "20", "31", "32", "33", "34", "35", "36", "41"}  # fmt: skip
GS1_ESCAPE, OWN_ESCAPE = "#", "!"  # never in GS1's characters / in tracelot's codes


def render_zpl(labels: list[Label], *, size: str = "50x25mm", dpi: int = 203) -> bytes:
    """The labels in ZPL II for a thermal printer of `dpi` dots an inch, one label each
    of `size`: the printer draws each symbol itself (^BX GS1 DataMatrix with FNC1, ^BC
    GS1-128), with the text beside or below it."""
    if dpi not in ZPL_DPI:
        raise InvalidInput(f"--dpi must be {' or '.join(map(str, ZPL_DPI))}, not {dpi}")
    width, height = (round(side * dpi / 72) for side in parse_size(size))
    return "".join(_zpl_label(label, width, height) for label in labels).encode()


def _zpl_label(label: Label, width: int, height: int) -> str:
    pad = round(min(width, height) * 0.08)
    columns, rows_, _ = _modules(label)
    out = ["^XA", "^CI28", f"^PW{width}", f"^LL{height}", "^LH0,0"]
    if label.symbol == "code128":
        quiet = 10  # the printer's encoding may take a few modules more than zxing's
        module = max(1, (width - 2 * pad) // (columns + columns // 10 + 2 * quiet))
        bar_h = round((height - 2 * pad) * 0.5)
        left = max(pad, (width - columns * module) // 2)
        mode, data = ("D", label.payload) if label.gs1 else ("A", label.payload)
        out.append(f"^FO{left},{pad}^BY{module},3,{bar_h}^BCN,{bar_h},N,N,N,{mode}^FD{data}^FS")
        top = pad + bar_h + module * 2
        out += _zpl_text((*label.hri, *label.lines), pad, top, width - 2 * pad,
                         height - pad - top, bold=len(label.hri))  # fmt: skip
    else:
        if label.gs1:
            escape, data = GS1_ESCAPE, _zpl_gs1_data(label.elements)
        else:
            escape, data = OWN_ESCAPE, label.payload
        modules = _square_size(data, escape)
        side = min(height - 2 * pad, round((width - 2 * pad) * 0.45))
        module = max(2, side // (modules + 2))
        left, top = pad + module, (height - modules * module) // 2
        out.append(f"^FO{left},{top}^BXN,{module},200,{modules},{modules},,{escape}^FD{data}^FS")
        text_x = left + (modules + 2) * module
        out += _zpl_text((label.lines[0], *label.hri, *label.lines[1:]), text_x, pad,
                         width - pad - text_x, height - 2 * pad)  # fmt: skip
    out.append("^XZ\n")
    return "\n".join(out)


#: ECC 200 square symbols: (modules a side, data codewords)
_SQUARES = ((10, 3), (12, 5), (14, 8), (16, 12), (18, 18), (20, 22), (22, 30), (24, 36),
            (26, 44), (32, 62), (36, 86), (40, 114), (44, 144), (48, 174), (52, 204),
            (64, 280), (72, 368), (80, 456), (88, 576), (96, 696), (104, 816))  # fmt: skip


def _square_size(data: str, escape: str) -> int:
    """The smallest square DataMatrix that holds `data` in ASCII encodation (a pair of
    digits, an FNC1 or any other character a codeword): every printer's encoding fits it,
    so the symbol is the size the label was laid out for."""
    text = data.replace(escape + "1", "\x1d")
    codewords = len(re.sub(r"\d\d", "d", text))
    for side, capacity in _SQUARES:
        if codewords <= capacity:
            return side
    raise InvalidInput(f"{len(data)} characters do not fit a label's DataMatrix")


def _zpl_gs1_data(elements: tuple[tuple[str, str], ...]) -> str:
    """A GS1 DataMatrix's data for ^BX: FNC1 first, then the element strings, an FNC1
    after each of variable length but the last."""
    fnc1 = GS1_ESCAPE + "1"
    data = fnc1
    for i, (ai, value) in enumerate(elements):
        data += ai + value
        if ai[:2] not in _FIXED_LENGTH and i < len(elements) - 1:
            data += fnc1
    return data


def _zpl_text(lines: tuple[str, ...], x: int, y: int, w: int, h: int, bold: int = 0) -> list[str]:
    """Fields of text top to bottom, each in a font that fits the width (the scalable
    font 0 is about half as wide as it is high); what does not fit is left out."""
    if not lines or w <= 0 or h <= 0:
        return []
    size = min(40, int(h / (len(lines) * 1.15)))
    fields = []
    for i, line in enumerate(lines):
        fitted = min(size, int(w / (max(len(line), 1) * 0.55)))
        if fitted < 10 or fitted > h:
            continue
        width = fitted if i == bold else round(fitted * 0.8)
        text = line.replace("\\", "\\5C").replace("^", "\\5E").replace("~", "\\7E")
        fields.append(f"^FO{x},{y}^A0N,{fitted},{width}^FH\\^FD{text}^FS")
        y += round(fitted * 1.15)
        h -= round(fitted * 1.15)
    return fields
