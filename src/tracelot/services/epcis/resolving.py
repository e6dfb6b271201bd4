"""What a document's identifiers name in tracelot: its objects (units, lots, items,
logistic units) with their quantities, and its places (a tracelot location, or a partner's)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from tracelot.domain.epc import COUNT_CODES, Ident, parse_uri, un_cefact
from tracelot.domain.epc import URN as URN_PREFIX
from tracelot.domain.errors import InvalidInput, NotFound
from tracelot.domain.values import check_code, normalize, parse_qty
from tracelot.services.epcis.document import Checked, Knowledge, Obj, dicts_of, texts_of
from tracelot.services.lookup import item_by_gtin
from tracelot.store.tables import items, locations


def _ident(checked: Checked, index: int, where: str, uri: str) -> Ident | None:
    try:
        ident = parse_uri(uri)
        if ident.lot is not None:
            check_code(ident.lot, what="lot code")
        if ident.serial is not None:
            check_code(ident.serial, what="serial")
        return ident
    except InvalidInput as exc:
        checked.problem(index, where, f"{uri}: {exc}" if uri not in str(exc) else str(exc))
        return None


def objects_reader(conn: Connection, checked: Checked, index: int, unknown: dict[str, list[int]]):  # noqa: ANN202
    def read(data: dict[str, Any], epc_list: str, quantity_list: str) -> list[Obj]:
        found: list[Obj] = []
        seen: set[str] = set()
        for uri in texts_of(checked, index, epc_list, data.get(epc_list)):
            if uri in seen:
                checked.problem(index, epc_list, f"{uri} is named twice")
                continue
            seen.add(uri)
            ident = _ident(checked, index, epc_list, uri)
            if ident is None:
                continue
            if ident.kind not in ("unit", "sscc"):
                checked.problem(index, epc_list, f"{uri} is not one object (a unit or an SSCC)")
                continue
            found.append(_resolved(conn, checked, index, Obj(ident), unknown))
        for element in dicts_of(checked, index, quantity_list, data.get(quantity_list)):
            uri = element.get("epcClass")
            if not isinstance(uri, str):
                checked.problem(index, quantity_list, "a quantity element names its epcClass")
                continue
            ident = _ident(checked, index, quantity_list, uri)
            if ident is None:
                continue
            if ident.kind not in ("item", "lot"):
                checked.problem(index, quantity_list, f"{ident.uri} is not a class of objects")
                continue
            obj = _resolved(conn, checked, index, Obj(ident), unknown)
            if "quantity" in element:
                obj.qty = _quantity(conn, checked, index, quantity_list, obj, element)
            found.append(obj)
        return found

    return read


def _resolved(
    conn: Connection, checked: Checked, index: int, obj: Obj, unknown: dict[str, list[int]]
) -> Obj:
    if obj.ident.kind == "sscc":
        return obj
    obj.item = _item_code(conn, checked.know, obj.ident)
    if obj.item is None:
        unknown[obj.ident.item_key].append(index)
    return obj


def _item_code(conn: Connection, know: Knowledge, ident: Ident) -> str | None:
    if ident.gtin:
        try:
            return item_by_gtin(conn, ident.gtin).code
        except NotFound:
            return know.gtins.get(ident.gtin)
    if ident.code and (ident.code in know.items or exists(conn, items, ident.code)):
        return ident.code
    return None


def exists(conn: Connection, table: Any, code: str) -> bool:
    return conn.execute(select(table.c.id).where(table.c.code == code)).first() is not None


def _quantity(
    conn: Connection, checked: Checked, index: int, where: str, obj: Obj, element: dict[str, Any]
) -> Decimal | None:
    try:
        qty = parse_qty(element["quantity"], what=f"{obj.ident.uri}: quantity")
    except InvalidInput as exc:
        checked.problem(index, where, str(exc))
        return None
    uom = element.get("uom")
    if uom is None:
        if qty != qty.to_integral_value():
            reason = "a quantity without a unit (uom) is a count of items and must be whole"
            checked.problem(index, where, f"{obj.ident.uri}: {reason}, not {normalize(qty)}")
        return qty
    if obj.item is not None:
        own = un_cefact(_item_uom(conn, checked.know, obj.item))
        if uom != own and not (uom in COUNT_CODES and own in COUNT_CODES):
            checked.problem(index, where, f"{obj.ident.uri}: quantity in {uom}, but item "
                            f"{obj.item} is counted in {own}")  # fmt: skip
    return qty


def _item_uom(conn: Connection, know: Knowledge, code: str) -> str:
    row = conn.execute(select(items.c.uom).where(items.c.code == code)).first()
    return row.uom if row is not None else str(know.items.get(code, {}).get("uom") or "EA")


def location_of(conn: Connection, checked: Checked, index: int, uri: str) -> str | None:
    """The tracelot location a place names (from the database or the document's master
    data); None for a place that is not tracelot's (a partner's). A tracelot location
    URI that names no location is a problem."""
    try:
        ident = parse_uri(uri)
    except InvalidInput:
        if uri.startswith(URN_PREFIX):
            checked.problem(index, "bizLocation", f"{uri} is not a tracelot location URI")
        return None  # a partner's own way of naming its places
    if ident.kind != "location":
        checked.problem(index, "bizLocation", f"{uri} is not a location")
        return None
    if ident.gln:
        row = conn.execute(select(locations.c.code).where(locations.c.gln == ident.gln)).first()
        return row.code if row is not None else checked.know.glns.get(ident.gln)
    if ident.code in checked.know.locations or exists(conn, locations, ident.code or ""):
        return ident.code
    checked.problem(index, "bizLocation", f"{uri}: no location {ident.code} in the database "
                    "or the document's master data")  # fmt: skip
    return None
