"""What a scan names in tracelot, where that is, or why it names nothing.

`tracelot scan`, the scan box of the web pages and `POST /api/v1/scans` report a scan
here (`identify`); `receipt_of` says what a supplier's barcode asks to receive. Both read
and resolve the scan once, through `services.resolver`, and work on the rows it found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row

from tracelot.domain.errors import AlreadyExists, InvalidInput, TracelotError, WrongKind
from tracelot.domain.refs import Ref, parse_ref
from tracelot.domain.scan import Scan, measure_in
from tracelot.domain.status import Tracking, status_at
from tracelot.domain.values import parse_date, parse_qty
from tracelot.services.holds import any_open_holds, open_holds_of
from tracelot.services.inquiry import lot_places
from tracelot.services.lookup import forget_units_read, location_by_id
from tracelot.services.resolver import Resolved, item_or_pack, read, read_ahead, resolve
from tracelot.services.uom import to_base
from tracelot.store.bulk import existing_serials


def identify(conn: Connection, text: str) -> dict[str, Any]:
    """One scan, resolved: the fields of `tracelot scan --json` (see CONVENTIONS)."""
    return identified(conn, text)[0]


def identify_each(conn: Connection, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Many scans, each resolved as `identify` resolves it, in one transaction; a scan
    that is refused gives its error, and the next one is read."""
    scans: list[Scan | TracelotError] = []
    for text in texts:
        try:
            scans.append(read(conn, text))
        except TracelotError as exc:
            scans.append(exc)
    read_ahead(conn, [scan for scan in scans if isinstance(scan, Scan)])
    results = []
    try:
        for text, scan in zip(texts, scans, strict=True):
            result = blank(text)
            if isinstance(scan, TracelotError):
                result["error"] = str(scan)
            else:
                try:
                    result = describe(conn, scan, result)[0]
                except TracelotError as exc:
                    result = {**blank(text), "error": exc.message}
            results.append(result)
    finally:
        forget_units_read(conn)
    return results


def identified(conn: Connection, text: str) -> tuple[dict[str, Any], Resolved | None]:
    """`identify`'s fields, and the rows the scan names (None when it names nothing)."""
    result = blank(text)
    try:
        scan = read(conn, text)
    except TracelotError as e:
        result["error"] = str(e)
        return result, None
    return describe(conn, scan, result)


def blank(text: str) -> dict[str, Any]:
    """`identify`'s fields before anything is known."""
    return {
        "input": text,
        "valid": False,
        "ok": False,
        "kind": None,
        "item": None,
        "item_name": None,
        "gtin": None,
        "lot": None,
        "serial": None,
        "expiry": None,
        "qty": None,
        "pack": None,
        "location": None,
        "location_path": None,
        "status": None,
        "held": None,
        "ais": {},
        "elements": [],
        "warnings": [],
        "error": None,
    }


def said(scan: Scan, result: dict[str, Any]) -> dict[str, Any]:
    """`identify`'s fields of what a scan says by itself, before anything is looked up."""
    result |= {"valid": True, "warnings": list(scan.warnings)}
    if scan.is_gs1:
        result |= {
            "gtin": scan.gtin,
            "lot": scan.lot,
            "serial": scan.serial,
            "expiry": scan.expiry,
            "qty": scan.qty,
            "ais": scan.ais,
            "elements": [[ai, value] for ai, value in scan.elements],
        }
    return result


def describe(
    conn: Connection, scan: Scan, result: dict[str, Any]
) -> tuple[dict[str, Any], Resolved | None]:
    """Fill `identify`'s fields from a scan read: what it says, and what it names."""
    said(scan, result)
    try:
        found = resolve(conn, scan)
    except TracelotError as e:
        result |= {"kind": _kind_named(scan), "error": str(e)}
        if scan.gtin is not None and scan.kind in ("lot", "item"):
            try:  # the item is known, its lot is not
                item = item_or_pack(conn, scan.gtin)[0]
                result |= {"item": item.code, "item_name": item.name}
            except TracelotError:
                pass
        return result, None
    _named(conn, found, result)
    result["ok"] = True
    return result, found


def _kind_named(scan: Scan) -> str | None:
    """What a scan that names nothing known meant to name, where it says."""
    if scan.form == "plain":
        try:
            kind = parse_ref(scan.ref or "").kind if scan.ref else "code"
        except InvalidInput:  # such as ":" alone: names nothing
            return None
        return None if kind == "code" else kind
    return None if scan.kind == "none" else scan.kind


def _named(conn: Connection, found: Resolved, result: dict[str, Any]) -> None:
    result["kind"] = found.kind
    if found.lu is not None:  # a case or pallet: where it is, and what it holds (issue 20)
        place = location_by_id(conn, found.lu.location_id)
        result |= {"sscc": found.lu.sscc, "location": place.code, "location_path": place.path,
                   "status": status_at(place.kind).value, "qty": 1}  # fmt: skip
        return
    if found.location is not None:
        result |= {"location": found.location.code, "location_path": found.location.path}
        return
    item = found.item
    assert item is not None and found.ref is not None
    result |= {"item": item.code, "item_name": item.name}
    if found.pack is not None:  # a case's GTIN: its count of cases, in base units
        result |= {"pack": found.pack.name, "qty": found.qty}
    if found.unit is not None:
        _unit(conn, found, result)
    elif found.lot is not None:
        _lot(conn, found, result)
    else:
        measured = measure_in(found.scan, item.uom) if result["qty"] is None else None
        result["qty"] = result["qty"] if result["qty"] is not None else measured
        result["qty"] = 1 if result["qty"] is None else result["qty"]


def _unit(conn: Connection, found: Resolved, result: dict[str, Any]) -> None:
    unit, lot = found.unit, found.lot
    assert unit is not None
    place = location_by_id(conn, unit.location_id)  # read with the unit: in the cache
    result |= {
        "serial": unit.serial,
        "lot": lot.code if lot is not None else None,
        "qty": 1,
        "location": place.code,
        "location_path": place.path,
        "status": status_at(place.kind).value,
        "held": bool(found.held),
    }
    known = unit.expires or (lot.expires if lot is not None else None)
    _expiry(known, found.ref, found.scan, result)


def _lot(conn: Connection, found: Resolved, result: dict[str, Any]) -> None:
    lot = found.lot
    assert lot is not None
    places = lot_places(conn, [lot.id]).get(lot.id, [])
    result |= {"lot": lot.code}
    held = any_open_holds(conn) and bool(open_holds_of(conn, None, lot.id))
    result["held"] = bool(places) and held
    on_hand = [r for r in places if r["status"] in ("in_stock", "wip")]
    if len(on_hand) == 1:
        result |= {
            "location": on_hand[0]["location"],
            "location_path": on_hand[0]["location_path"],
            "status": on_hand[0]["status"],
        }
    _expiry(lot.expires if places else None, found.ref, found.scan, result)


def _expiry(known: dt.date | None, ref: Ref | None, scan: Scan, result: dict[str, Any]) -> None:
    """The expiry tracelot knows, and a warning when the label says otherwise."""
    if scan.expiry is not None and known is not None and scan.expiry != known:
        result["warnings"].append(
            f"the label says expiry {scan.expiry}, tracelot has {known} for {ref}"
        )
    result["expiry"] = known if result["expiry"] is None else result["expiry"]


@dataclass(frozen=True)
class Receipt:
    """What a supplier's barcode says to receive: the item's row (found by the GTIN),
    and receive's other arguments."""

    item: Row
    lot: str | None
    serials: list[str] | None
    qty: Decimal | int
    expires: dt.date | str | None
    made: dt.date | str | None
    pack: str | None = None  # the packaging level whose GTIN was scanned (qty is in base units)

    def arguments(self) -> dict[str, Any]:
        """As `receiving.receive` takes them (the item as its row, not looked up again)."""
        return {"item": self.item, "lot": self.lot, "serials": self.serials,
                "qty": self.qty, "expires": self.expires, "made": self.made}  # fmt: skip


def receipt_of(
    conn: Connection,
    text: str | Scan,
    *,
    qty: Decimal | str | int | None = None,
    lot: str | None = None,
    serial: str | None = None,
    expires: dt.date | str | None = None,
    made: dt.date | str | None = None,
    pack: str | None = None,
) -> Receipt:
    """What a supplier's barcode says to receive: the item (by its GTIN), the lot, the
    serial, the expiry and production dates and the count (AI 30 or 37; 1 for a unit).
    An option given beside the scan must agree with it. A pack's GTIN (a case of 12)
    names its base units: one pack, or the scan's count of packs; `pack` makes `qty` a
    count of that pack of the item."""
    scan = text if isinstance(text, Scan) else read(conn, text)
    if scan.gtin is None:
        raise WrongKind(
            f"{scan.input!r} holds no GTIN: receive by scanning a supplier's GS1 barcode"
        )
    item, packed = item_or_pack(conn, scan.gtin)
    given_qty = parse_qty(qty) if qty is not None else None
    if given_qty is not None and pack is not None:
        given_qty = to_base(conn, item, given_qty, pack)
    count = scan.qty if scan.qty is not None else measure_in(scan, item.uom)
    if packed is not None:
        if scan.serial is not None:
            raise WrongKind(
                f"GTIN {scan.gtin} is the {packed.name} of {item.code}: a {packed.name} has no "
                "serial in tracelot (scan the units inside)"
            )
        count = Decimal(packed.qty) * scan.qty if scan.qty is not None else None
        if count is None and given_qty is None:
            count = Decimal(packed.qty)  # one pack
    if count is None and scan.serial is not None:
        count = 1
    _agree("qty", given_qty, count)
    _agree("lot", lot, scan.lot)
    _agree("serial", serial, scan.serial)
    _agree("expires", parse_date(expires) if expires is not None else None, scan.expiry)
    _agree("made", parse_date(made) if made is not None else None, scan.made)
    found_serial = scan.serial or serial
    quantity = count if count is not None else given_qty
    if item.tracking == Tracking.SERIAL and found_serial is None:
        raise InvalidInput(f"{item.code} is serial-tracked: the scan holds no serial (21)")
    if found_serial is not None:
        taken = existing_serials(conn, item.id, [found_serial])
        if taken:
            raise AlreadyExists(f"unit {item.code}:{found_serial} is already known")
    return Receipt(
        item,
        scan.lot or lot,
        [found_serial] if found_serial is not None else None,
        quantity if quantity is not None else 1,  # a scan of one pack without a count is one
        scan.expiry or expires,
        scan.made or made,
        packed.name if packed is not None else None,
    )


def _agree(name: str, given: object, scanned: object) -> None:
    if given is not None and scanned is not None and given != scanned:
        raise InvalidInput(f"--{name} {given} disagrees with the scan's {scanned}")
