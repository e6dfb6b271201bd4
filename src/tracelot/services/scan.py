"""Resolving scans: what a scanned string names in tracelot, or why it names nothing.

The one resolver behind `tracelot scan`, the scan box of the web pages and
`POST /api/v1/scans`. Every reference argument of the command line takes a scan through
`lookup.as_ref`; this module says more about a scan: its GS1 data, what it names, where
that is now, and what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from tracelot.domain.errors import AlreadyExists, InvalidInput, NotFound, TracelotError, WrongKind
from tracelot.domain.refs import Ref, parse_ref
from tracelot.domain.scan import GS, SCAN_ONLY_PREFIXES, Scan, looks_like_scan, parse_scan
from tracelot.domain.status import Tracking
from tracelot.domain.values import parse_date, parse_qty
from tracelot.services.inquiry import where, where_unit_by_gtin
from tracelot.services.lookup import (
    item_by_code,
    item_by_gtin,
    location_by_code,
    ref_of_scan,
    scanned_location,
)
from tracelot.store.bulk import existing_serials
from tracelot.store.tables import items, locations


def identify(conn: Connection, text: str) -> dict[str, Any]:
    """One scan, resolved: the fields of `tracelot scan --json` (see CONVENTIONS)."""
    result: dict[str, Any] = {
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
        "location": None,
        "location_path": None,
        "status": None,
        "held": None,
        "ais": {},
        "warnings": [],
        "error": None,
    }
    if looks_like_scan(text) and _is_a_code(conn, text.strip()):
        try:  # a code of digits typed by hand (location 01-RACK-A) before GS1 data
            _plain(conn, text.strip(), result)
            return result | {"valid": True, "ok": True}
        except TracelotError as e:
            return result | {"valid": True, "error": str(e)}
    try:
        scan = parse_scan(text)
    except TracelotError as e:
        result["error"] = str(e)
        return result
    result["valid"] = True
    result["warnings"] = list(scan.warnings)
    if scan.is_gs1:
        result |= {
            "gtin": scan.gtin,
            "lot": scan.lot,
            "serial": scan.serial,
            "expiry": scan.expiry,
            "qty": scan.qty,
            "ais": dict(scan.ais),
        }
    try:
        _resolve(conn, scan, result)
        result["ok"] = True
    except TracelotError as e:
        result["error"] = str(e)
    return result


def _resolve(conn: Connection, scan: Scan, result: dict[str, Any]) -> None:
    if scan.form == "plain" and not looks_like_scan(scan.ref or ""):
        _plain(conn, scan.ref or "", result)
        return
    if scan.ref_kind == "location" or (scan.gln is not None and scan.gtin is None):
        _location(conn, scanned_location(conn, scan.input), result)
        return
    if scan.sscc is not None and scan.gtin is None:
        result["kind"] = "sscc"
        raise NotFound(f"SSCC {scan.sscc}: tracelot does not keep logistic units (pallets)")
    if scan.giai is not None and scan.gtin is None:
        result["kind"] = "giai"
        raise NotFound(f"GIAI {scan.giai}: tracelot does not keep individual assets")
    if scan.gtin is not None and scan.serial is not None:  # a unit: one query
        result["kind"] = "unit"
        row = where_unit_by_gtin(conn, scan.gtin, scan.serial)
        _unit(row, Ref("unit", row["item"], scan.serial), scan, result)
        return
    if scan.gtin is not None:
        result["kind"] = "lot" if scan.lot else "item"
        item = item_by_gtin(conn, scan.gtin)
        result |= {"item": item.code, "item_name": item.name}
    _target(conn, ref_of_scan(conn, scan), scan, result)


def _is_a_code(conn: Connection, text: str) -> bool:
    """Whether text that looks like GS1 data is rather an item or location code (or a
    reference of a unit or lot of such an item)."""
    if text.startswith(SCAN_ONLY_PREFIXES) or GS in text:
        return False
    try:
        code = parse_ref(text).code
    except TracelotError:
        return False
    found = (
        select(items.c.id)
        .where(items.c.code == code)
        .union_all(select(locations.c.id).where(locations.c.code == code))
    )
    return conn.execute(found).first() is not None


def _plain(conn: Connection, text: str, result: dict[str, Any]) -> None:
    """A code typed by hand: a reference, else an item code, else a location code."""
    ref = parse_ref(text)
    if ref.kind != "code":
        _target(conn, ref, None, result)
        return
    try:
        item = item_by_code(conn, ref.code)
    except TracelotError:  # not an item (nor a scan of one)
        try:
            _location(conn, ref.code, result)
            return
        except NotFound:
            result["kind"] = None
            raise NotFound(f"no item, unit, lot or location is called {ref.code!r}") from None
    _target(conn, Ref("code", item.code), None, result)


def _location(conn: Connection, code: str, result: dict[str, Any]) -> None:
    result["kind"] = "location"
    row = location_by_code(conn, code, real=False)
    result |= {"location": row.code, "location_path": row.path}


def _target(conn: Connection, ref: Ref, scan: Scan | None, result: dict[str, Any]) -> None:
    """An item, lot or unit: what it is, and where it is now."""
    kind = {"unit": "unit", "lot": "lot", "code": "item"}[ref.kind]
    result["kind"] = kind
    if kind == "item":
        item = item_by_code(conn, ref.code)
        result |= {"item": item.code, "item_name": item.name}
        result["qty"] = result["qty"] if result["qty"] is not None else 1
        return
    rows = where(conn, str(ref))
    if kind == "unit":
        _unit(rows[0], ref, scan, result)
        return
    name = rows[0]["item_name"] if rows else item_by_code(conn, ref.code).name
    result |= {"item": ref.code, "item_name": name, "lot": ref.key}
    on_hand = [r for r in rows if r["status"] in ("in_stock", "wip")]
    result["held"] = any(r["held"] for r in rows)
    if len(on_hand) == 1:
        result |= {
            "location": on_hand[0]["location"],
            "location_path": on_hand[0]["location_path"],
            "status": on_hand[0]["status"],
        }
    _expiry(rows[0]["expires"] if rows else None, ref, scan, result)


def _unit(row: dict[str, Any], ref: Ref, scan: Scan | None, result: dict[str, Any]) -> None:
    result |= {
        "item": row["item"],
        "item_name": row["item_name"],
        "serial": row["serial"],
        "lot": row["lot"],
        "qty": 1,
        "location": row["location"],
        "location_path": row["location_path"],
        "status": row["status"],
        "held": row["held"],
    }
    _expiry(row["expires"], ref, scan, result)


def _expiry(known: dt.date | None, ref: Ref, scan: Scan | None, result: dict[str, Any]) -> None:
    """The expiry tracelot knows, and a warning when the label says otherwise."""
    if scan is not None and scan.expiry is not None and known is not None:
        if scan.expiry != known:
            result["warnings"].append(
                f"the label says expiry {scan.expiry}, tracelot has {known} for {ref}"
            )
    result["expiry"] = known if result["expiry"] is None else result["expiry"]


def receipt_of(
    conn: Connection,
    text: str,
    *,
    qty: Decimal | str | int | None = None,
    lot: str | None = None,
    serial: str | None = None,
    expires: dt.date | str | None = None,
    made: dt.date | str | None = None,
) -> dict[str, Any]:
    """What a supplier's barcode says to receive: the item (by its GTIN), the lot, the
    serial, the expiry and production dates and the count (AI 30 or 37; 1 for a unit).
    An option given beside the scan must agree with it."""
    scan = parse_scan(text)
    if scan.gtin is None:
        raise WrongKind(f"{text!r} holds no GTIN: receive by scanning a supplier's GS1 barcode")
    item = item_by_gtin(conn, scan.gtin)
    given_qty = parse_qty(qty) if qty is not None else None
    count = scan.qty if scan.qty is not None else (1 if scan.serial is not None else None)
    _agree("qty", given_qty, count)
    _agree("lot", lot, scan.lot)
    _agree("serial", serial, scan.serial)
    _agree("expires", parse_date(expires) if expires is not None else None, scan.expiry)
    _agree("made", parse_date(made) if made is not None else None, scan.made)
    found_serial = scan.serial or serial
    receipt: dict[str, Any] = {
        "item": item.code,
        "lot": scan.lot or lot,
        "serials": [found_serial] if found_serial is not None else None,
        "qty": count if count is not None else given_qty,
        "expires": scan.expiry or expires,
        "made": scan.made or made,
    }
    if item.tracking == Tracking.SERIAL and found_serial is None:
        raise InvalidInput(f"{item.code} is serial-tracked: the scan holds no serial (21)")
    if found_serial is not None:
        taken = existing_serials(conn, item.id, [found_serial])
        if taken:
            raise AlreadyExists(f"unit {item.code}:{found_serial} is already known")
    if receipt["qty"] is None:
        receipt["qty"] = 1  # a scan of one pack without a count is one
    return receipt


def _agree(name: str, given: object, scanned: object) -> None:
    if given is not None and scanned is not None and given != scanned:
        raise InvalidInput(f"--{name} {given} disagrees with the scan's {scanned}")
