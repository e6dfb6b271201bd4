"""Reading a scan: what a barcode's content says, before anything is looked up.

A scanner delivers GS1 element strings (with or without a symbology identifier such as
`]d2`, with GS separators, or mangled by a keyboard wedge), GS1 Digital Link URIs, the
bracketed human-readable form `(01)...(10)...`, a bare GTIN (EAN/UPC, ITF-14), tracelot's
own label payloads (`TL:U:ITEM:SERIAL`, `TL:L:ITEM@LOT`, `TL:P:LOCATION`) or a code typed
by hand. GS1 data is read as GS1's own Barcode Syntax Engine reads it
(`domain.gs1_syntax`, driven by GS1's syntax dictionary); what is tracelot's here is
telling the forms apart, and what a scan's AIs mean to tracelot (GTIN, lot, serial,
dates, counts and measures).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from tracelot.domain import gs1_syntax
from tracelot.domain.errors import InvalidInput
from tracelot.domain.gs1_dictionary import dictionary
from tracelot.domain.gs1_linters import CSET82, csum
from tracelot.domain.gs1_syntax import GS1SyntaxError

GS = "\x1d"
#: symbology identifiers of GS1 symbols (GS1-128, DataBar, DataMatrix, QR, DotCode)
GS1_SYMBOLOGIES = gs1_syntax.AI_SYMBOLOGIES
#: EAN/UPC symbols: the content is a bare GTIN (]E3: with an add-on); ITF-14 (]I1)
GTIN_SYMBOLOGIES = frozenset({"]E0", "]E3", "]E4", "]I1"})
#: tracelot's own label payloads: TL:<kind>:<reference>
PAYLOAD_PREFIX = "TL:"
PAYLOAD_KINDS = {"U": "unit", "L": "lot", "P": "location"}
#: what only a scan starts with, never a reference typed by hand
SCAN_ONLY_PREFIXES = ("]", "(", "http://", "https://", "HTTP://", "HTTPS://", PAYLOAD_PREFIX)
#: the lengths of a GTIN typed or scanned bare: GTIN-8, UPC-A (12), EAN-13, GTIN-14
GTIN_LENGTHS = (8, 12, 13, 14)

#: The measures of trade items (310n-369n) tracelot takes as a quantity, by unit
MEASURE_UNITS = {
    "310": "kg", "311": "m", "312": "m", "313": "m", "314": "m2", "315": "l", "316": "m3",
    "320": "lb", "321": "in", "322": "ft", "323": "yd", "324": "in", "325": "ft",
    "326": "yd", "327": "in", "328": "ft", "329": "yd", "350": "in2", "351": "ft2",
    "352": "yd2", "356": "oz t", "357": "fl oz", "360": "qt", "361": "gal", "364": "in3",
    "365": "ft3", "366": "yd3",
}  # fmt: skip

#: how an item's unit of measure may be written, for each measure unit of a scan
UNIT_SPELLINGS = {
    "kg": {"kg", "kgm", "kilogram", "kilograms", "kilo", "kilos"},
    "m": {"m", "mtr", "metre", "meter", "metres", "meters"},
    "m2": {"m2", "m²", "mtk", "sqm"},
    "m3": {"m3", "m³", "mtq"},
    "l": {"l", "ltr", "litre", "liter", "litres", "liters"},
    "lb": {"lb", "lbs", "lbr", "pound", "pounds"},
    "in": {"in", "inh", "inch", "inches"},
    "ft": {"ft", "fot", "foot", "feet"},
    "yd": {"yd", "yrd", "yard", "yards"},
    "in2": {"in2", "inq", "sqin"},
    "ft2": {"ft2", "ftk", "sqft"},
    "yd2": {"yd2", "ydk", "sqyd"},
    "oz t": {"oz t", "ozt", "apz", "troy ounce"},
    "fl oz": {"fl oz", "floz", "ozi", "ounce"},
    "qt": {"qt", "qtd", "quart", "quarts"},
    "gal": {"gal", "gll", "gallon", "gallons"},
    "in3": {"in3", "inq3", "cuin"},
    "ft3": {"ft3", "ftq", "cuft"},
    "yd3": {"yd3", "ydq", "cuyd"},
}


def measure_in(scan: Scan, uom: str) -> Decimal | None:
    """The scan's trade measure (310n-369n) when it is in the unit an item is kept in
    (`kg`, `l`, `m` ...; UN/ECE codes such as KGM too), else None."""
    if scan.measure is None:
        return None
    unit, value = scan.measure
    return value if uom.strip().lower() in UNIT_SPELLINGS.get(unit, {unit}) else None


def variable_measure_base(gtin: str) -> str | None:
    """The GTIN-13 (as 14 digits) that a variable-measure GTIN-14 (indicator 9) shares
    its company prefix and item reference with; None for another GTIN."""
    if len(gtin) != 14 or not gtin.isdigit() or gtin[0] != "9":
        return None
    body = "0" + gtin[1:13]
    weight, total = 3, 0
    for c in body:
        total += weight * int(c)
        weight = 4 - weight
    return body + str((10 - total % 10) % 10)


AI_NAMES = {
    "00": "SSCC",
    "01": "GTIN",
    "02": "GTIN of contained items",
    "10": "lot",
    "11": "production date",
    "15": "best before date",
    "17": "expiry date",
    "21": "serial",
    "30": "count",
    "37": "count of contained items",
    "254": "GLN extension",
    "414": "GLN",
    "8004": "GIAI",
}


class InvalidScan(InvalidInput):
    """A scan that cannot be read: its message names the AI and the problem."""


@dataclass
class Scan:
    """What a scan says, read once: its GS1 data, or a tracelot reference (a label's
    payload, or a code typed by hand). Nothing is looked up yet."""

    input: str
    form: str  # gs1, digital_link, hri, gtin, tracelot, plain (a code typed by hand)
    symbology: str | None = None
    #: every application identifier and its value, in the order scanned, repeats kept
    elements: list[tuple[str, str]] = field(default_factory=list)
    gtin: str | None = None  # 14 digits
    lot: str | None = None
    serial: str | None = None
    expiry: dt.date | None = None
    best_before: dt.date | None = None
    made: dt.date | None = None
    qty: Decimal | None = None
    #: a trade measure (310n-369n): its unit and value, the decimal point where the AI says
    measure: tuple[str, Decimal] | None = None
    sscc: str | None = None
    gln: str | None = None
    giai: str | None = None
    ref: str | None = None  # a tracelot reference (payload or typed by hand)
    ref_kind: str | None = None  # unit, lot, location (a payload says which)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_gs1(self) -> bool:
        return self.form in ("gs1", "digital_link", "hri", "gtin")

    @property
    def ais(self) -> dict[str, str]:
        """Each AI once with its value, in the order first scanned (a repeat must agree)."""
        return dict(self.elements)

    @property
    def kind(self) -> str:
        """What the scan names, as far as it says without looking anything up: `unit`,
        `lot`, `item`, `location`, `sscc`, `giai`, or `code` (typed by hand: an item or
        a location, or a reference whose `:` or `@` says)."""
        if self.form == "plain":
            return "code"
        if self.ref_kind is not None:
            return self.ref_kind
        if self.gtin is not None:
            return "unit" if self.serial is not None else "lot" if self.lot else "item"
        if self.gln is not None:
            return "location"
        if self.sscc is not None:
            return "sscc"
        if self.giai is not None:
            return "giai"
        return "none"


def is_only_a_scan(text: str) -> bool:
    """Whether text can only be a scan, never a code typed by hand: a symbology
    identifier, the bracketed form, a URI, a tracelot payload or a GS."""
    return text.startswith(SCAN_ONLY_PREFIXES) or GS in text


def looks_like_scan(text: str) -> bool:
    """Whether an input may be a scan: what only a scan is (`is_only_a_scan`), or what
    starts with the two digits of an AI (a code may too: services.resolver.read decides)."""
    return is_only_a_scan(text) or text.strip()[:2].isdigit()


def typed_code(text: str) -> Scan:
    """A code typed by hand (a reference, an item or a location code), as a scan that
    names it; refused when it holds control characters."""
    body = text.rstrip("\r\n")
    if not body.strip():
        raise InvalidScan("the scan is empty")
    if not body.isprintable():
        raise InvalidScan(f"{body!r} is no GS1 data, and a code holds no control characters")
    return Scan(body, "plain", ref=body.strip())


def parse_scan(text: str) -> Scan:
    """Read one scan, or refuse it with what is wrong (InvalidScan). Whatever the input,
    the answer is a Scan or an InvalidScan: a scan never breaks the batch it is in.

    The last scans read today are kept: an operation asks about its scan several times
    (is it a case, a unit, which one), and the GS1 syntax check is the costly part. So a
    Scan is never changed once read. (Not past the day: a date's century depends on
    today's year.)"""
    today = dt.date.today()
    if today != _kept_on[0]:
        _kept_on[0] = today
        _parse_scan.cache_clear()
    return _parse_scan(text)


_kept_on: list[dt.date | None] = [None]


@functools.lru_cache(maxsize=1024)
def _parse_scan(text: str) -> Scan:
    raw = text.rstrip("\r\n")
    if not raw.strip():
        raise InvalidScan("the scan is empty")
    try:
        return _read(raw)
    except InvalidScan:
        raise
    except GS1SyntaxError as e:
        raise InvalidScan(f"{_shown(raw)}: {e}") from None
    except Exception as e:  # a reader's bug must cost one scan, not the batch
        raise InvalidScan(f"cannot read {_shown(raw)} ({type(e).__name__})") from None


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 60 else raw[:57] + "...")


def _read(raw: str) -> Scan:
    if "\x00" in raw or (not raw.isascii() and any("\ud800" <= c <= "\udfff" for c in raw)):
        raise InvalidScan(f"{_shown(raw)} holds a NUL or an undecodable character: no scan does")
    symbology, body = _symbology(raw)
    if symbology is None:
        return _unmarked(raw, body.strip(" \t"))
    if not body.strip(GS + " "):
        raise InvalidScan(f"the scan {raw!r} has a symbology identifier and nothing else")
    if symbology in gs1_syntax.PLAIN_SYMBOLOGIES and not body.startswith(gs1_syntax.DL_SCHEMES):
        if body.startswith(PAYLOAD_PREFIX):
            return _payload(raw, symbology, body)
        return Scan(raw, "plain", symbology, ref=body.strip() or body)  # GS1's engine: valid
    if symbology in gs1_syntax.EAN_SYMBOLOGIES or symbology in gs1_syntax.AI_SYMBOLOGIES:
        message = gs1_syntax.parse_scan_data(raw)
        if message.primary is not None:
            gtin = message.primary.zfill(14)
            return _fill(Scan(raw, "gtin", symbology), [("01", gtin), *message.elements])
        return _fill(Scan(raw, "gs1", symbology), message.elements)
    if body.startswith(gs1_syntax.DL_SCHEMES):
        return _fill(Scan(raw, "digital_link", symbology), gs1_syntax.parse_digital_link(body))
    if symbology in GTIN_SYMBOLOGIES:
        digits = body[:13] if symbology == "]E3" else body
        if digits.isascii() and digits.isdigit() and len(digits) in GTIN_LENGTHS:
            return _bare_gtin(raw, symbology, digits)
    return _plain(raw, symbology, body)


def _unmarked(raw: str, body: str) -> Scan:
    """A scan without a symbology identifier (or typed): its form says what it is."""
    if body.startswith(PAYLOAD_PREFIX):
        return _payload(raw, None, body)
    if body.startswith(gs1_syntax.DL_SCHEMES):
        return _fill(Scan(raw, "digital_link"), gs1_syntax.parse_digital_link(body))
    if body.startswith("("):
        return _fill(Scan(raw, "hri"), gs1_syntax.parse_bracketed(body))
    if body.startswith("^"):  # the unbracketed form with ^ for FNC1
        return _fill(Scan(raw, "gs1"), gs1_syntax.parse_unbracketed(body))
    if body.isascii() and body.isdigit() and len(body) in GTIN_LENGTHS:
        return _bare_gtin(raw, None, body)
    if body.startswith(GS) or (body[:2].isascii() and body[:2].isdigit()):
        return _element_string(raw, body)
    return _plain(raw, None, body)


def _plain(raw: str, symbology: str | None, body: str) -> Scan:
    """Data that is no GS1 data: a tracelot label's payload, or a code."""
    if body.startswith(PAYLOAD_PREFIX):
        return _payload(raw, symbology, body)
    if not body.isprintable():
        raise InvalidScan(f"{raw!r} is no GS1 data, and a code holds no control characters")
    if not body.strip():
        raise InvalidScan("the scan is empty")
    return Scan(raw, "plain", symbology, ref=body.strip())


def element_data(body: str) -> str:
    """An element string as a scanner sends it without a symbology identifier, in the
    unbracketed notation (`^` for FNC1): a leading GS is the FNC1 in first, every other
    GS a separator, and `|` starts a composite's 2D component."""
    if body.startswith(GS):
        body = body[1:]
    return "^" + body.replace(GS, "^").replace("|", "|^")


def unmarked_form(text: str) -> tuple[str, str]:
    """How a scan without a symbology identifier is read, in GS1's notation: (`dl`, the
    URI), (`bracketed`, the text), (`unbracketed`, data with ^ for FNC1), or (`plain`,
    the text) for what is no GS1 data. The tests hand the same to GS1's engine."""
    body = text.rstrip("\r\n").strip(" \t")
    if body.startswith(PAYLOAD_PREFIX):
        return "plain", body
    if body.startswith(gs1_syntax.DL_SCHEMES):
        return "dl", body
    if body.startswith("("):
        return "bracketed", body
    if body.startswith("^"):
        return "unbracketed", body
    if body.isascii() and body.isdigit() and len(body) in GTIN_LENGTHS:
        return "unbracketed", "^01" + body.zfill(14)
    if body.startswith(GS) or (body[:2].isascii() and body[:2].isdigit()):
        return "unbracketed", element_data(body)
    return "plain", body


def _element_string(raw: str, body: str) -> Scan:
    """A GS1 element string without a symbology identifier, its separators as sent."""
    scan = Scan(raw, "gs1")
    strangers = sorted({c for c in body if c not in CSET82 and c not in (GS, "|")})
    try:
        elements = gs1_syntax.parse_unbracketed(element_data(body))
    except GS1SyntaxError as e:
        if strangers:  # a keyboard wedge may have typed the GS as something else
            shown = ", ".join(repr(c) for c in strangers)
            raise InvalidScan(
                f"{_shown(raw)}: {e} (it holds {shown}: a wedge scanner may have mangled "
                "the GS separator; set it up to send GS, or scan again)"
            ) from None
        raise
    _fill(scan, elements)
    if GS not in body and "|" not in body:
        hidden = _hidden_ais(elements)
        if hidden:
            scan.warnings.append(hidden)
    return scan


def _hidden_ais(elements: list[tuple[str, str]]) -> str | None:
    """Without any separator, a variable-length value at the end may have swallowed AIs
    whose GS a wedge scanner dropped: say so when the end of that value reads as more
    valid GS1 data (new AIs, with valid values, that pair with the rest). A warning only:
    the scan is valid GS1 data as it stands."""
    d = dictionary()
    *before, (ai, value) = elements
    if d.entries[ai].fixed:
        return None
    present = [a for a, _ in before] + [ai]
    for start in range(1, len(value) - 1):
        try:
            more = gs1_syntax.parse_unbracketed("^" + value[start:], rules=False)
            gs1_syntax.check_rules([*before, (ai, value[:start]), *more])
        except GS1SyntaxError:
            continue
        added = [a for a, _ in more]
        if set(added) & set(present) or len(set(added)) < len(added):
            continue
        names = "".join(f"({a})" for a in added)
        return (
            f"AI ({ai}) {_name(ai)} {value!r} may hide {names} after {value[:start]!r}: "
            "the GS separator seems to be missing; scan again if so"
        )
    return None


def _symbology(raw: str) -> tuple[str | None, str]:
    if raw.startswith("]") and len(raw) >= 3:
        return raw[:3], raw[3:]
    return None, raw


def _payload(raw: str, symbology: str | None, body: str) -> Scan:
    kind, _, ref = body[len(PAYLOAD_PREFIX) :].partition(":")
    if kind not in PAYLOAD_KINDS or not ref:
        raise InvalidScan(
            f"{raw!r} is not a tracelot label: expected TL:U:ITEM:SERIAL, TL:L:ITEM@LOT "
            "or TL:P:LOCATION"
        )
    if any(not c.isprintable() for c in ref):
        raise InvalidScan(f"{raw!r} is not a tracelot label: it holds control characters")
    return Scan(raw, "tracelot", symbology, ref=ref, ref_kind=PAYLOAD_KINDS[kind])


def _bare_gtin(raw: str, symbology: str | None, digits: str) -> Scan:
    gtin = digits.zfill(14)
    if csum(gtin) is not None:
        raise InvalidScan(f"GTIN {digits}: incorrect check digit")
    return _fill(Scan(raw, "gtin", symbology), [("01", gtin)])


def gs1_date(value: str, today: dt.date | None = None) -> dt.date:
    """A GS1 date YYMMDD (checked already): the century GS1's sliding window gives, and
    day 00 as the month's last day."""
    year = (today or dt.date.today()).year
    yy, month, day = int(value[:2]), int(value[2:4]), int(value[4:6])
    century = year // 100 * 100
    diff = yy - year % 100
    if diff >= 51:
        century -= 100
    elif diff <= -50:
        century += 100
    full = century + yy
    return dt.date(full, month, day or calendar.monthrange(full, month)[1])


def _fill(scan: Scan, elements: list[tuple[str, str]]) -> Scan:
    """What the AIs mean to tracelot: the first instance of each (a repeat agrees)."""
    scan.elements.extend(elements)
    seen: set[str] = set()
    for ai, value in elements:
        if ai in seen:
            continue
        seen.add(ai)
        if ai == "01":
            scan.gtin = value
        elif ai == "02" and scan.gtin is None:
            scan.gtin = value
        elif ai == "10":
            scan.lot = value
        elif ai == "21":
            scan.serial = value
        elif ai in ("11", "15", "17"):
            setattr(scan, {"11": "made", "15": "best_before", "17": "expiry"}[ai], gs1_date(value))
        elif ai in ("30", "37"):
            scan.qty = Decimal(value)
        elif ai[:3] in MEASURE_UNITS and len(ai) == 4:
            scan.measure = (MEASURE_UNITS[ai[:3]], Decimal(value).scaleb(-int(ai[3])))
        elif ai == "00":
            scan.sscc = value
        elif ai == "414":
            scan.gln = value
        elif ai == "8004":
            scan.giai = value
    return scan


def check_pairing(ais: list[str]) -> None:
    """Refuse AIs that GS1's dictionary says need another AI with them, or must not
    appear together (the values do not matter here)."""
    try:
        gs1_syntax.check_rules([(ai, "") for ai in dict.fromkeys(ais)])
    except GS1SyntaxError as e:
        raise InvalidScan(str(e)) from None


def _name(ai: str) -> str:
    if ai in AI_NAMES:
        return AI_NAMES[ai]
    entry = dictionary().lookup(ai)
    return entry.title if entry is not None else "unknown AI"
