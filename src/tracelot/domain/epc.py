"""Identifiers in EPCIS documents: GS1 Digital Link URIs (written) and EPC URNs (read),
and tracelot's own URIs for what has no GS1 key.

tracelot's scheme (documented in docs/interchange.md), each code percent-encoded:

    urn:tracelot:item:{item}                    an item (a class of objects)
    urn:tracelot:item:{item}:lot:{lot}          a lot of it (a class)
    urn:tracelot:item:{item}:serial:{serial}    a unit of it (an instance)
    urn:tracelot:location:{location}            a location
    urn:tracelot:party:{party}                  a supplier or a customer
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from tracelot.domain.errors import InvalidInput
from tracelot.domain.scan import InvalidScan, parse_scan

DL = "https://id.gs1.org"
URN = "urn:tracelot:"

#: tracelot's units of measure and their UN/CEFACT Recommendation 20 codes
UOM_CODES = {
    "EA": "H87", "PC": "H87", "PCS": "H87", "UNIT": "H87",
    "KG": "KGM", "G": "GRM", "MG": "MGM", "T": "TNE",
    "L": "LTR", "ML": "MLT", "M3": "MTQ",
    "M": "MTR", "CM": "CMT", "MM": "MMT", "M2": "MTK",
    "BOX": "BX", "PAIR": "PR", "SET": "SET", "ROLL": "RO",
}  # fmt: skip
#: codes that mean a count of pieces (a quantity with one of these is a count)
COUNT_CODES = {"H87", "EA", "C62"}


#: what a lot or serial may hold to be a GS1 AI (10) or (21) value (the 82 characters)
_GS1_VALUE = re.compile(r'^[!"%-?A-Z_a-z]{1,20}$')


def _q(text: str) -> str:
    return quote(text, safe="-._~")


def _keyed(gtin: str | None, value: str) -> bool:
    """Whether an item's lot or serial can be written under its GTIN."""
    return bool(gtin) and _GS1_VALUE.match(value) is not None


def un_cefact(uom: str) -> str:
    """The UN/CEFACT code of a tracelot unit of measure (itself, when it is one)."""
    code = uom.strip().upper()
    return UOM_CODES.get(code, code)


def item_uri(code: str, gtin: str | None) -> str:
    return f"{DL}/01/{gtin}" if gtin else f"{URN}item:{_q(code)}"


def lot_uri(code: str, gtin: str | None, lot: str) -> str:
    if _keyed(gtin, lot):
        return f"{DL}/01/{gtin}/10/{_q(lot)}"
    return f"{URN}item:{_q(code)}:lot:{_q(lot)}"


def unit_uri(code: str, gtin: str | None, serial: str) -> str:
    if _keyed(gtin, serial):
        return f"{DL}/01/{gtin}/21/{_q(serial)}"
    return f"{URN}item:{_q(code)}:serial:{_q(serial)}"


def location_uri(code: str, gln: str | None) -> str:
    return f"{DL}/414/{gln}" if gln else f"{URN}location:{_q(code)}"


def party_uri(code: str) -> str:
    return f"{URN}party:{_q(code)}"


@dataclass(frozen=True)
class Ident:
    """What an identifier names: an item (by GTIN or code), with a lot or a serial; a
    location (by GLN or code); a party; or a logistic unit (SSCC)."""

    uri: str
    kind: str  # item, lot, unit, location, party, sscc
    gtin: str | None = None
    code: str | None = None  # a tracelot item, location or party code
    lot: str | None = None
    serial: str | None = None
    gln: str | None = None
    sscc: str | None = None
    expires: dt.date | None = None  # a Digital Link's expiry attribute (?17=YYMMDD)

    @property
    def item_key(self) -> str:
        """How the item is named: its GTIN, or its tracelot code."""
        return f"GTIN {self.gtin}" if self.gtin else f"item {self.code}"


def parse_uri(uri: str) -> Ident:
    """Read an identifier: tracelot's URN, an EPC URN (pure identity, class or pattern),
    or a GS1 Digital Link URI on any domain. Refused (InvalidInput) otherwise."""
    if uri.startswith(URN):
        return _own(uri)
    from epcis_event_hash_generator.dl_normaliser import normaliser  # pyld, requests: heavy

    canonical = normaliser(uri) if uri.startswith("urn:epc:") else None
    if uri.startswith("urn:epc:") and canonical is None:
        raise InvalidInput(f"{uri}: not an EPC URI tracelot reads (sgtin, lgtin, sscc, sgln)")
    text = canonical or uri
    if not text.startswith(("http://", "https://")):
        raise InvalidInput(f"{uri}: neither a GS1 Digital Link, an EPC URI nor a tracelot URI")
    try:
        scan = parse_scan(text)
    except InvalidScan as exc:
        raise InvalidInput(f"{uri}: {exc}") from None
    if scan.sscc:
        return Ident(uri, "sscc", sscc=scan.sscc)
    if scan.gln:
        return Ident(uri, "location", gln=scan.gln)
    if scan.gtin:
        kind = "unit" if scan.serial else "lot" if scan.lot else "item"
        return Ident(
            uri, kind, gtin=scan.gtin, lot=scan.lot, serial=scan.serial, expires=scan.expiry
        )
    raise InvalidInput(f"{uri}: names no trade item, location or logistic unit")


def _own(uri: str) -> Ident:
    parts = uri[len(URN) :].split(":")
    kind, values = parts[0], [unquote(p) for p in parts[1:]]
    if kind == "item" and len(values) == 1:
        return Ident(uri, "item", code=values[0])
    if kind == "item" and len(values) == 3 and values[1] in ("lot", "serial"):
        if values[1] == "lot":
            return Ident(uri, "lot", code=values[0], lot=values[2])
        return Ident(uri, "unit", code=values[0], serial=values[2])
    if kind in ("location", "party") and len(values) == 1:
        return Ident(uri, kind, code=values[0])
    raise InvalidInput(f"{uri}: not a tracelot URI (urn:tracelot:item:CODE[:lot:LOT|:serial:SN])")
