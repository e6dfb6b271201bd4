"""The one way in for what a user scans or types: read once, resolve once.

`read` is the one place that decides whether an input is a code typed by hand or a scan
(and reads the scan into a `domain.scan.Scan`); `resolve` turns either into the rows it
names (`Resolved`: the item, lot, unit or location). Every input that takes a REF, a
location or a scan goes through here (the CLI's arguments, the API's bodies, the web
pages' forms, `tracelot scan`); the plain look-ups of `services.lookup` take codes only.
The rows found are handed on, never the string to be looked up again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import Connection, Row

from tracelot.domain.errors import InvalidInput, NotFound, WrongKind
from tracelot.domain.refs import Ref, parse_ref
from tracelot.domain.scan import Scan, is_only_a_scan, looks_like_scan, parse_scan, typed_code
from tracelot.domain.sscc import looks_like_sscc
from tracelot.domain.values import is_code
from tracelot.services.lookup import (
    Target,
    UnitRead,
    check_real,
    codes_in_use,
    find_item,
    find_location,
    item_by_gtin,
    item_by_id,
    location_by_code,
    location_by_gln,
    lot_by_code,
    pack_by_gtin,
    read_units_ahead,
    target_of,
    targets_of,
    unit_with_item,
)
from tracelot.services.lu_lookup import lu_by_sscc

#: what an input is wanted as: anything it names, an item, lot or unit, or a location
Wanted = Literal["any", "target", "location"]


@dataclass(frozen=True)
class Resolved:
    """What a scan or a typed code names: the rows of an item (and one of its lots or
    units), or of a location."""

    scan: Scan  # as read (a code typed by hand is a Scan of form `plain`)
    kind: str  # item, lot, unit, location
    item: Row | None = None
    lot: Row | None = None
    unit: Row | None = None
    location: Row | None = None
    ref: Ref | None = None  # the reference of an item, lot or unit (ITEM, ITEM@LOT ...)
    held: bool | None = None  # a unit: whether it, or its whole lot, is under an open hold
    pack: Row | None = None  # the packaging level whose GTIN was scanned (a case of 12)

    @property
    def qty(self) -> Decimal | None:
        """What a scan of a pack's GTIN names in base units: the pack's, times the
        scan's count (30 or 37) of packs; None for a scan of anything else."""
        if self.pack is None:
            return None
        return Decimal(self.pack.qty) * (self.scan.qty if self.scan.qty is not None else 1)

    lu: Row | None = None  # a logistic unit (a case or pallet), by its SSCC

    @property
    def target(self) -> Target:
        """The item, lot or unit named; refused for a location."""
        if self.item is None or self.ref is None:
            raise WrongKind(f"{self.scan.input!r} names a {self.kind}: scan an item, lot or unit")
        return Target(self.ref, self.item, self.lot, self.unit, qty=self.qty)


def read(conn: Connection, text: str, *, codes: Collection[str] | None = None) -> Scan:
    """Read an input as a code typed by hand or as a scan: the one place that decides.

    What only a scan starts with (a symbology identifier, `(`, a URI, `TL:`) or holds (a
    GS) is a scan; what no scan looks like is a code. What reads both ways (a run of
    digits, such as location 01-RACK-A or item 40063813) is the code when an item or a
    location is called so (or its reference names such an item), else a scan. `codes`:
    the codes in use among many inputs, read at once (`codes_among`)."""
    if is_only_a_scan(text):
        return parse_scan(text)
    if not looks_like_scan(text) or _is_a_code(conn, text.strip(), codes):
        return typed_code(text)
    if looks_like_sscc(text):  # 18 digits alone: an SSCC (issue 20), as if AI (00) led
        return parse_scan(f"(00){text.strip()}")
    return parse_scan(text)


def names_a_location(conn: Connection, scan: Scan) -> bool:
    """Whether a scan (as `read` gives it) names a location rather than an item, lot or
    unit: a location label or GLN, or a code no item has and a location does (a counter's
    or a picker's "from here on")."""
    if scan.form != "plain":
        return scan.kind == "location"
    if not is_code(scan.ref or ""):  # ITEM@LOT, ITEM:SERIAL, REF=QTY: no location's code
        return False
    return find_item(conn, scan.ref) is None and find_location(conn, scan.ref) is not None


def sscc_in(conn: Connection, text: object, *, codes: Collection[str] | None = None) -> str | None:
    """The SSCC a REF names (18 digits, or a scan with AI 00 and no GTIN), else None.
    `codes`: as `read` takes them."""
    if not may_be_an_sscc(text):
        return None
    try:
        scan = read(conn, text, codes=codes)
    except InvalidInput:
        return None  # the resolver says why, where the REF is resolved
    if scan.form == "plain" or scan.gtin is not None:
        return None
    return scan.sscc


def names_a_unit(text: object) -> bool:
    """Whether an input is a GS1 scan of a unit (a GTIN and a serial), read without a
    look-up: what only a scan starts with or holds. A pack's GTIN with a serial is such a
    scan too, and refused where it is resolved."""
    if not isinstance(text, str) or not is_only_a_scan(text):
        return False
    try:
        scan = parse_scan(text)
    except InvalidInput:
        return False  # the resolver says why, where the scan is resolved
    return scan.gtin is not None and scan.serial is not None


def may_be_an_sscc(text: object) -> bool:
    """Whether an input has the 18 digits of an SSCC: most references are passed over
    here, without a look-up."""
    return isinstance(text, str) and len(text) >= 18 and sum(c.isdigit() for c in text) >= 18


def codes_among(conn: Connection, texts: Sequence[object]) -> frozenset[str]:
    """The codes in use that `read` would look up for these inputs (those that read both
    ways), read in two statements instead of two an input: a pallet named by its 40
    cases' SSCCs."""
    wanted = [
        code
        for text in texts
        if isinstance(text, str) and looks_like_scan(text) and not is_only_a_scan(text)
        and (code := _code_of(text)) is not None
    ]  # fmt: skip
    return codes_in_use(conn, wanted) if wanted else frozenset()


def _code_of(text: str) -> str | None:
    """The code of an input read as a REF (`ITEM`, `ITEM:SERIAL`, `ITEM@LOT`), or None."""
    try:
        return parse_ref(text.strip()).code
    except InvalidInput:
        return None


def _is_a_code(conn: Connection, text: str, codes: Collection[str] | None = None) -> bool:
    code = _code_of(text)
    if code is None:
        return False
    if codes is not None:
        return code in codes
    return find_item(conn, code) is not None or find_location(conn, code) is not None


def resolve(conn: Connection, text: str | Scan, *, want: Wanted = "any") -> Resolved:
    """What an input names, or a refusal saying why (unknown, the wrong kind, a scan that
    cannot be read). `want` says what the caller takes: with `target` a code is an item,
    with `location` a location; with `any` an item, else a location."""
    scan = text if isinstance(text, Scan) else read(conn, text)
    if scan.form == "plain":
        return _typed(conn, scan, want)
    kind = scan.kind
    if kind == "location":
        if want == "target":
            named = scan.ref or f"GLN {scan.gln}"
            raise WrongKind(f"{scan.input!r} names location {named}, not an item, lot or unit")
        if scan.ref is not None:
            return Resolved(scan, "location", location=location_by_code(conn, scan.ref, real=False))
        assert scan.gln is not None
        return Resolved(scan, "location", location=location_by_gln(conn, scan.gln))
    if want == "location":
        raise WrongKind(f"{scan.input!r} does not name a location")
    if scan.ref is not None:  # a tracelot label of a unit or lot
        return _of_ref(conn, scan, parse_ref(scan.ref))
    if kind == "sscc" and want == "any":  # a case or pallet (issue 20)
        assert scan.sscc is not None
        return Resolved(scan, "sscc", lu=lu_by_sscc(conn, scan.sscc))
    if kind == "giai" and want == "any":
        raise NotFound(f"GIAI {scan.giai}: tracelot does not keep individual assets")
    if scan.gtin is None:
        named = "an SSCC" if scan.sscc else "a GLN" if scan.gln else "no GTIN"
        raise WrongKind(f"{scan.input!r} holds {named}: scan an item, a lot or a unit")
    if scan.serial is not None:  # the unit with its item, lot and place: one statement
        try:
            found = unit_with_item(conn, scan.serial, gtin=scan.gtin)
        except NotFound:
            _refuse_serial_of_pack(conn, scan.gtin)
            raise
        return _unit(scan, found, Ref("unit", found.item.code, scan.serial))
    item, pack = item_or_pack(conn, scan.gtin)
    if scan.lot is not None:
        lot = lot_by_code(conn, item, scan.lot)
        return Resolved(scan, "lot", item, lot, ref=Ref("lot", item.code, scan.lot), pack=pack)
    return Resolved(scan, "item", item, ref=Ref("code", item.code), pack=pack)


def item_or_pack(conn: Connection, gtin: str) -> tuple[Row, Row | None]:
    """The item a GTIN names, and the packaging level when it is a pack's GTIN (a case of
    12 of the item); refused as `item_by_gtin` refuses when it names neither."""
    try:
        return item_by_gtin(conn, gtin), None
    except NotFound:
        pack = pack_by_gtin(conn, gtin)
        if pack is None:
            raise
        return item_by_id(conn, pack.item_id), pack


def _refuse_serial_of_pack(conn: Connection, gtin: str) -> None:
    pack = pack_by_gtin(conn, gtin)
    if pack is not None:
        item = item_by_id(conn, pack.item_id)
        raise WrongKind(
            f"GTIN {gtin} is the {pack.name} of {item.code}: a {pack.name} has no serial "
            "in tracelot (scan the units inside, or the pack without a serial)"
        )


def read_ahead(conn: Connection, scans: Sequence[Scan]) -> None:
    """Before many scans are resolved in one transaction: read the units they name in
    one statement per item and 100 serials, not one each (`lookup.read_units_ahead`)."""
    wanted = []
    for scan in scans:
        if scan.ref is not None and scan.ref_kind != "location":
            try:
                ref = parse_ref(scan.ref)
            except InvalidInput:
                continue  # resolve says why
            if ref.kind == "unit" and ref.key is not None:
                wanted.append(("code", ref.code, ref.key))
        elif scan.form != "plain" and scan.kind != "location" and scan.gtin and scan.serial:
            wanted.append(("gtin", scan.gtin, scan.serial))
    read_units_ahead(conn, wanted)


def _typed(conn: Connection, scan: Scan, want: Wanted) -> Resolved:
    """A code typed by hand: a reference, an item code, else a location code."""
    assert scan.ref is not None
    if want == "location":
        return Resolved(scan, "location", location=location_by_code(conn, scan.ref, real=False))
    ref = parse_ref(scan.ref)
    if ref.kind != "code" or want == "target":
        return _of_ref(conn, scan, ref)
    item = find_item(conn, ref.code)
    if item is not None:
        return Resolved(scan, "item", item, ref=ref)
    location = find_location(conn, ref.code)
    if location is None:
        raise NotFound(f"no item, unit, lot or location is called {ref.code!r}")
    return Resolved(scan, "location", location=location)


def _of_ref(conn: Connection, scan: Scan, ref: Ref) -> Resolved:
    if ref.kind == "unit":
        assert ref.key is not None
        return _unit(scan, unit_with_item(conn, ref.key, code=ref.code), ref)
    found = target_of(conn, ref)
    return Resolved(scan, found.kind, found.item, found.lot, found.unit, ref=ref)


def _unit(scan: Scan, found: UnitRead, ref: Ref) -> Resolved:
    return Resolved(scan, "unit", found.item, found.lot, found.unit, ref=ref, held=found.held)


def target_named(conn: Connection, text: str | Ref) -> Target:
    """The item, lot or unit a REF (`ITEM:SERIAL`, `ITEM@LOT`, `ITEM`) or a scan names."""
    if isinstance(text, Ref):
        return target_of(conn, text)
    return resolve(conn, text, want="target").target


def targets_named(conn: Connection, texts: Sequence[str | Ref]) -> list[Target]:
    """Many REFs or scans at once: the units typed by reference are read in one query
    per item, not one each; a scan is resolved on its own."""
    found: dict[int, Target] = {}
    refs: list[tuple[int, Ref]] = []
    for i, text in enumerate(texts):
        if isinstance(text, Ref):
            refs.append((i, text))
            continue
        if text.strip() and text.isprintable() and not looks_like_scan(text):
            refs.append((i, parse_ref(text)))  # a REF typed by hand, as `read` reads it
            continue
        scan = read(conn, text)
        if scan.form == "plain" or (scan.ref is not None and scan.ref_kind != "location"):
            assert scan.ref is not None
            refs.append((i, parse_ref(scan.ref)))
        else:
            found[i] = resolve(conn, scan, want="target").target
    for (i, _), target in zip(refs, targets_of(conn, [r for _, r in refs]), strict=True):
        found[i] = target
    return [found[i] for i in range(len(texts))]


def ref_named(conn: Connection, text: str) -> Ref:
    """The reference (`ITEM:SERIAL`, `ITEM@LOT`, `ITEM`) a REF typed or a scan stands
    for, for the questions that answer it in one joined query of their own (`where`,
    `history`): a code is not looked up here, a GS1 scan is resolved (by its GTIN)."""
    scan = read(conn, text)
    if scan.form == "plain" or (scan.ref is not None and scan.ref_kind != "location"):
        assert scan.ref is not None
        return parse_ref(scan.ref)
    found = resolve(conn, scan, want="target").ref
    assert found is not None
    return found


def location_named(conn: Connection, text: str, *, real: bool = True) -> Row:
    """The location a code or a scan (a tracelot label, a GLN) names; `real` refuses the
    virtual ones (SUPPLIER, CUSTOMER ...)."""
    row = resolve(conn, text, want="location").location
    assert row is not None
    return check_real(row) if real else row


def item_named(conn: Connection, text: str) -> Row:
    """The item a code or a scan (a GTIN, a label of one of its lots or units) names."""
    item = resolve(conn, text, want="target").item
    assert item is not None
    return item
