"""Reading a scan: what a barcode's content says, before anything is looked up.

A scanner delivers GS1 element strings (with or without a symbology identifier such as
`]d2`, with GS separators, or mangled by a keyboard wedge), GS1 Digital Link URIs, the
bracketed human-readable form `(01)...(10)...`, a bare GTIN (EAN/UPC), tracelot's own
label payloads (`TL:U:ITEM:SERIAL`, `TL:L:ITEM@LOT`, `TL:P:LOCATION`) or a code typed by
hand. The GS1 syntax (the AI table, lengths, check digits, dates) is biip's; what is
tracelot's here is telling the forms apart, the pairing rules of the AIs tracelot acts
on, and refusing what cannot be read unambiguously.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tracelot.domain.errors import InvalidInput

if TYPE_CHECKING:  # biip (its GS1 tables take a tenth of a second) loads with the first scan
    from biip.gs1_element_strings import GS1ElementString
    from biip.gs1_messages import GS1Message

GS = "\x1d"
#: symbology identifiers of GS1 symbols (GS1-128, DataBar, DataMatrix, QR, DotCode)
GS1_SYMBOLOGIES = frozenset({"]C1", "]e0", "]d2", "]Q3", "]J1"})
#: EAN/UPC symbols: the content is a bare GTIN (with an add-on: ]E3)
GTIN_SYMBOLOGIES = frozenset({"]E0", "]E3", "]E4"})
#: GS1's character set 82: everything a GS1 value may contain
CSET82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
#: tracelot's own label payloads: TL:<kind>:<reference>
PAYLOAD_PREFIX = "TL:"
PAYLOAD_KINDS = {"U": "unit", "L": "lot", "P": "location"}
#: what only a scan starts with, never a reference typed by hand
SCAN_ONLY_PREFIXES = ("]", "(", "http://", "https://", PAYLOAD_PREFIX)

#: The pairing rules of the AIs tracelot acts on, as GS1's syntax dictionary states them:
#: `req` is a list of groups, each naming AIs of which one must be present; `ex` names
#: AIs that must not appear with it.
PAIRING: dict[str, dict[str, list[Any]]] = {
    "01": {"req": [], "ex": ["255", "37"]},
    "02": {"req": [["37"]], "ex": ["01", "03"]},
    "10": {"req": [["01", "02", "03", "8006", "8026"]], "ex": []},
    "11": {"req": [["01", "02", "03", "8006", "8026"]], "ex": []},
    "15": {"req": [["01", "02", "03", "8006", "8026"]], "ex": []},
    "17": {"req": [["01", "02", "03", "255", "8006", "8026"]], "ex": []},
    "21": {"req": [["01", "03", "8006"]], "ex": ["235"]},
    "240": {"req": [["01", "02", "8006", "8026"]], "ex": []},
    "250": {"req": [["01", "8006"], ["21"]], "ex": []},
    "254": {"req": [["414"]], "ex": []},
    "30": {"req": [["01", "02"]], "ex": []},
    "37": {"req": [["00"], ["02", "8026"]], "ex": []},
}

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
    if any(not c.isprintable() for c in body):
        raise InvalidScan(f"{body!r} is no GS1 data, and a code holds no control characters")
    return Scan(body, "plain", ref=body.strip())


def parse_scan(text: str) -> Scan:
    """Read one scan, or refuse it with what is wrong (InvalidScan)."""
    raw = text.rstrip("\r\n")
    if not raw.strip():
        raise InvalidScan("the scan is empty")
    symbology, body = _symbology(raw)
    if not body.strip(GS + " "):
        raise InvalidScan(f"the scan {raw!r} has a symbology identifier and nothing else")
    if body.startswith(PAYLOAD_PREFIX):
        return _payload(raw, symbology, body)
    if body.startswith(("http://", "https://")):
        return _digital_link(raw, symbology, body)
    if symbology in GTIN_SYMBOLOGIES or (
        symbology is None and body.isdigit() and len(body) in (8, 12, 13)
    ):
        return _bare_gtin(raw, symbology, body)
    if body.startswith("("):
        import biip
        from biip.gs1_messages import GS1Message

        scan = Scan(raw, "hri", symbology)
        try:
            message = GS1Message.parse_hri(body)
        except biip.ParseError as e:
            raise InvalidScan(f"cannot read {body!r} as GS1 data: {e}") from None
        return _fill(scan, message)
    if symbology in GS1_SYMBOLOGIES or (body[:2].isdigit() and symbology is None):
        return _element_string(raw, symbology, body)
    if any(not c.isprintable() for c in body):
        raise InvalidScan(f"{raw!r} is no GS1 data, and a code holds no control characters")
    return Scan(raw, "plain", symbology, ref=body.strip())


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
    return Scan(raw, "tracelot", symbology, ref=ref, ref_kind=PAYLOAD_KINDS[kind])


def _digital_link(raw: str, symbology: str | None, body: str) -> Scan:
    import biip
    from biip.gs1_digital_link_uris import GS1DigitalLinkURI

    try:
        message = GS1DigitalLinkURI.parse(body).as_gs1_message()
    except biip.ParseError as e:
        raise InvalidScan(f"cannot read {body!r} as a GS1 Digital Link: {e}") from None
    return _fill(Scan(raw, "digital_link", symbology), message)


def _bare_gtin(raw: str, symbology: str | None, body: str) -> Scan:
    import biip
    from biip.gtin import Gtin

    try:
        gtin = Gtin.parse(body)
    except biip.ParseError as e:
        raise InvalidScan(f"GTIN {body}: {e}") from None
    scan = Scan(raw, "gtin", symbology, gtin=gtin.as_gtin_14())
    scan.elements.append(("01", gtin.as_gtin_14()))
    return scan


def _element_string(raw: str, symbology: str | None, body: str) -> Scan:
    """A GS1 element string, its separators as sent or as a wedge scanner mangled them."""
    import biip
    from biip.gs1_messages import GS1Message

    scan = Scan(raw, "gs1", symbology)
    if body.startswith(GS):  # some scanners send the leading FNC1 as GS
        body = body[1:]
    strangers = {c for c in body if c not in CSET82 and c != GS}
    if len(strangers) > 1:
        shown = ", ".join(repr(c) for c in sorted(strangers))
        raise InvalidScan(f"the scan holds characters no GS1 value may hold: {shown}")
    separators = [GS, *strangers]
    if strangers:
        scan.warnings.append(f"{next(iter(strangers))!r} read as the GS separator")
    try:
        message = GS1Message.parse(body, config=biip.ParseConfig(separator_chars=separators))
    except biip.ParseError as e:
        raise InvalidScan(_explain(body, e)) from None
    if not any(c in body for c in separators):
        _refuse_hidden_ais(message)
    return _fill(scan, message)


def _refuse_hidden_ais(message: GS1Message) -> None:
    """Without any separator, a variable-length value at the end may have swallowed AIs
    whose GS was dropped: refuse when the end of that value reads as more valid GS1 data
    (new AIs, with valid values, that pair with the rest)."""
    import biip
    from biip.gs1_messages import GS1Message

    *before, last = message.element_strings
    if not last.ai.separator_required:
        return
    present = [e.ai.ai for e in before] + [last.ai.ai]
    for start in range(1, len(last.value) - 1):
        tail = last.value[start:]
        try:
            hidden = GS1Message.parse(tail)
        except biip.ParseError:
            continue
        more = [e.ai.ai for e in hidden.element_strings]
        if set(more) & set(present) or len(set(more)) < len(more):
            continue
        try:
            check_pairing(present + more)
        except InvalidScan:
            continue
        if all(_element_problem(e) is None for e in hidden.element_strings):
            names = "".join(f"({e.ai.ai})" for e in hidden.element_strings)
            raise InvalidScan(
                f"AI ({last.ai.ai}) {_name(last.ai.ai)} {last.value!r} may hide {names} after "
                f"{last.value[:start]!r}: the GS separator seems to be missing; scan again"
            )


def _fill(scan: Scan, message: GS1Message) -> Scan:
    seen: dict[str, str] = {}
    for element in message.element_strings:
        ai = element.ai.ai
        problem = _element_problem(element)
        if problem is not None:
            raise InvalidScan(f"AI ({ai}) {_name(ai)} {element.value!r}: {problem}")
        scan.elements.append((ai, element.value))
        if ai in seen:
            if seen[ai] != element.value:
                raise InvalidScan(f"AI ({ai}) {_name(ai)} appears twice with different values")
            continue
        seen[ai] = element.value
        if ai == "01":
            scan.gtin = element.value
        elif ai == "02" and scan.gtin is None:
            scan.gtin = element.value
        elif ai == "10":
            scan.lot = element.value
        elif ai == "21":
            scan.serial = element.value
        elif ai == "17":
            scan.expiry = element.date
        elif ai == "15":
            scan.best_before = element.date
        elif ai == "11":
            scan.made = element.date
        elif ai in ("30", "37"):
            scan.qty = Decimal(element.value)
        elif ai == "00":
            scan.sscc = element.value
        elif ai == "414":
            scan.gln = element.value
        elif ai == "8004":
            scan.giai = element.value
    check_pairing(list(seen))
    return scan


def _element_problem(element: GS1ElementString) -> str | None:
    """What is wrong with one element string: a bad check digit, an impossible date."""
    for error in (element.gtin_error, element.sscc_error, element.gln_error):
        if error:
            return str(error).rstrip(".")
    return None


def check_pairing(ais: list[str]) -> None:
    """Refuse AIs that GS1 says need another AI with them, or must not appear together."""
    present = set(ais)
    for ai in ais:
        rule = PAIRING.get(ai)
        if rule is None:
            continue
        for group in rule["req"]:
            if not present.intersection(group):
                needed = " or ".join(f"({a})" for a in group)
                raise InvalidScan(f"AI ({ai}) {_name(ai)} needs {needed} in the same scan")
        for other in rule["ex"]:
            if other in present:
                raise InvalidScan(f"AI ({ai}) {_name(ai)} must not appear with ({other})")


def _explain(body: str, error: Exception) -> str:
    """biip's refusal, said as which AI and what is wrong with it."""
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

    text = str(error).rstrip(".")
    if "Failed to get GS1 Application Identifier" in text:
        head = text.split("from '", 1)[-1].rstrip("'")[:4]
        tried = ", ".join(f"({head[:n]})" for n in range(2, len(head) + 1))
        if not tried or not head[:2].isdigit():
            return f"unknown AI at {head!r}: an application identifier is two to four digits"
        return f"unknown AI at {head!r}: no GS1 application identifier {tried} exists"
    match = re.search(r"Failed to match '(.*)' with GS1 AI \((\d+)\) pattern", text)
    if match:
        data, ai = match.groups()
        value = data[len(ai) :]
        fmt = GS1ApplicationIdentifier.extract(ai).format.split("+", 1)[-1]
        return f"AI ({ai}) {_name(ai)}: {value!r} does not fit its format {fmt}"
    match = re.search(r"AI \((\d+)\)", text)
    if match:
        return f"AI ({match.group(1)}) {_name(match.group(1))}: {text}"
    return text


def _name(ai: str) -> str:
    if ai in AI_NAMES:
        return AI_NAMES[ai]
    import biip
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

    try:
        return GS1ApplicationIdentifier.extract(ai).data_title
    except (biip.ParseError, KeyError):
        return "unknown AI"
