"""Turning ledger lines into the readable result of an operation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import Connection, Row, Table, select

from tracelot.services.ledger import Line
from tracelot.services.lookup import location_by_id
from tracelot.services.results import OperationResult, OpLine
from tracelot.store.bulk import id_in
from tracelot.store.engine import cache
from tracelot.store.tables import items, lots, operations, parties, units


def summarize(
    conn: Connection, lines: Sequence[Line], serials: dict[int, str] | None = None
) -> list[OpLine]:
    """Group lines by item, lot, from and to, listing the serials of units (`serials`:
    those the caller knows already, by unit id)."""
    item_codes = _codes(conn, {ln.item_id for ln in lines}, cache(conn).item_by_id, items)
    lot_codes = _codes(conn, {ln.lot_id for ln in lines if ln.lot_id}, cache(conn).lot_by_id, lots)
    paths = {
        i: location_by_id(conn, i).path for i in {x for ln in lines for x in (ln.from_id, ln.to_id)}
    }
    serials = dict(serials or {})
    missing = {ln.unit_id for ln in lines if ln.unit_id and ln.unit_id not in serials}
    serials.update(_lookup(conn, units.c.id, units.c.serial, missing))
    grouped: dict[tuple[int, int | None, int, int], OpLine] = {}
    for ln in lines:
        key = (ln.item_id, ln.lot_id, ln.from_id, ln.to_id)
        out = grouped.get(key)
        if out is None:
            out = grouped[key] = OpLine(
                item_codes[ln.item_id],
                lot_codes.get(ln.lot_id) if ln.lot_id else None,
                paths[ln.from_id],
                paths[ln.to_id],
                Decimal(0),
            )
        out.qty += ln.qty
        if ln.unit_id is not None:
            out.serials.append(serials[ln.unit_id])
    return list(grouped.values())


def _codes(conn: Connection, ids: set[int], cached: Callable[[int], Row | None],
           table: Table) -> dict[int, str]:  # fmt: skip
    """The codes of items or lots: those the transaction read already, the others in one
    statement per 5,000 (their codes alone, not whole rows)."""
    codes, missing = {}, set()
    for i in ids:
        row = cached(i)
        if row is None:
            missing.add(i)
        else:
            codes[i] = row.code
    codes.update(_lookup(conn, table.c.id, table.c.code, missing))
    return codes


def _lookup(conn: Connection, key_col, value_col, keys: set) -> dict:  # noqa: ANN001
    """{key: value} of the rows whose integer key is among `keys` (one parameter)."""
    found: dict = {}
    keys_list = sorted(k for k in keys if k is not None)
    for start in range(0, len(keys_list), 5_000):
        chunk = keys_list[start : start + 5_000]
        found.update(
            conn.execute(select(key_col, value_col).where(id_in(conn, key_col, chunk))).all()
        )
    return found


def result(
    conn: Connection,
    op_id: int,
    lines: Sequence[Line] = (),
    *,
    summary: list[OpLine] | None = None,
    outputs: list[str] | None = None,
    serials: dict[int, str] | None = None,
) -> OperationResult:
    """What an operation did: the row it wrote (as remembered by `new_operation` in this
    transaction, else read back) and its lines."""
    op = cache(conn).operation(op_id)
    if op is None:
        op = conn.execute(select(operations).where(operations.c.id == op_id)).one()._asdict()
    party = (
        op["party_id"]
        and conn.execute(select(parties.c.code).where(parties.c.id == op["party_id"])).scalar_one()
    )
    return OperationResult(
        id=op_id,
        kind=op["kind"],
        occurred_at=op["occurred_at"],
        user=op["user_name"],
        reference=op["reference"],
        party=party or None,
        note=op["note"],
        lines=summary if summary is not None else summarize(conn, lines, serials),
        outputs=outputs or [],
    )
