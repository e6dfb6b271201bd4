"""Finding logistic units (cases and pallets) by SSCC or number, for the resolver and the
services that act on what a logistic unit holds (services/packing.py)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, select

from tracelot.domain.errors import InvalidInput, NotFound
from tracelot.domain.scan import parse_scan
from tracelot.domain.sscc import check_sscc, looks_like_sscc
from tracelot.store.tables import logistic_units, lu_contents


def lu_by_sscc(conn: Connection, sscc: str) -> Row:
    """The logistic unit of an SSCC (18 digits, check digit right), or NotFound."""
    value = check_sscc(sscc)
    row = conn.execute(_BY_SSCC, {"sscc": value}).first()
    if row is None:
        raise NotFound(f"SSCC {value}: no case or pallet has it (pack one with `tracelot pack`)")
    return row


def lu_by_id(conn: Connection, lu_id: int) -> Row:
    row = conn.execute(_BY_ID, {"id": lu_id}).first()
    if row is None:
        raise NotFound(f"no logistic unit {lu_id}")
    return row


def lu_named(conn: Connection, text: str | int) -> Row:
    """A logistic unit by its number, its SSCC, or a scan of its SSCC (AI 00)."""
    if isinstance(text, int):
        return lu_by_id(conn, text)
    value = (text or "").strip()
    if looks_like_sscc(value):
        return lu_by_sscc(conn, value)
    if value.isascii() and value.isdigit() and len(value) < 10:
        return lu_by_id(conn, int(value))
    try:
        scan = parse_scan(value)
    except InvalidInput as exc:
        raise InvalidInput(
            f"{text!r} is neither a logistic unit's number nor an SSCC: {exc}"
        ) from None
    if scan.sscc is None:
        raise InvalidInput(f"{text!r} is neither a logistic unit's number nor an SSCC")
    return lu_by_sscc(conn, scan.sscc)


def container_of(conn: Connection, *, unit_id: int | None = None,
                 lu_id: int | None = None) -> Row | None:  # fmt: skip
    """The logistic unit that holds a unit (or another logistic unit) now, if any."""
    if unit_id is not None:
        return conn.execute(_HOLDING_UNIT, {"id": unit_id}).first()
    return conn.execute(_HOLDING_LU, {"id": lu_id}).first()


def _holding(column: ColumnElement[int]) -> Select:
    return (
        select(logistic_units)
        .join(lu_contents, lu_contents.c.lu_id == logistic_units.c.id)
        .where(column == bindparam("id"))
    )


# built once: packing a pallet asks them of each case it takes
_BY_SSCC = select(logistic_units).where(logistic_units.c.sscc == bindparam("sscc"))
_BY_ID = select(logistic_units).where(logistic_units.c.id == bindparam("id"))
_HOLDING_UNIT = _holding(lu_contents.c.unit_id)
_HOLDING_LU = _holding(lu_contents.c.child_lu_id)
