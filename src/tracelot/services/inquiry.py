"""Reading stock: what is on hand, where a unit or lot is, and its history."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union,
)

from tracelot.domain.errors import NotFound, WrongKind
from tracelot.domain.status import LocationKind, OperationKind, Status, status_at
from tracelot.domain.values import HALF_PLACE
from tracelot.services import packing, voids
from tracelot.services.holds import any_open_holds, describe, open_holds_of
from tracelot.services.lookup import (
    is_expired,
    item_by_code,
    location_ids_of_kind,
    lot_by_code,
    unit_by_serial,
)
from tracelot.services.picking import assembly_of
from tracelot.services.reservations import reserved_by_codes, with_availability
from tracelot.services.resolver import item_named, location_named, ref_named
from tracelot.store.bulk import id_in, ids_in, ids_value
from tracelot.store.tables import (
    genealogy,
    holds,
    item_gtins,
    items,
    locations,
    lots,
    lu_lines,
    moves,
    operations,
    parties,
    stock,
    units,
)

Row = dict[str, Any]


def today() -> dt.date:
    """Today in UTC: what expiry is judged by."""
    return dt.datetime.now(dt.UTC).date()


def stock_rows(conn: Connection, **filters: Any) -> list[dict[str, Any]]:
    """Stock on hand from the projection: one row per item, location and lot (or per unit)."""
    return list(iter_stock(conn, **filters))


def iter_stock(
    conn: Connection,
    *,
    item: str | None = None,
    location: str | None = None,
    lot: str | None = None,
    serials: bool = False,
    stream: bool = False,
) -> Iterator[dict[str, Any]]:
    """The rows of `stock_rows` one by one; with `stream`, read from the database in
    batches as they are consumed (a server-side cursor on PostgreSQL): an export of a
    million units in constant memory."""
    params: dict[str, Any] = {}
    item_row = item_named(conn, item) if item else None
    if item_row is not None:
        params["item_id"] = item_row.id
    if location:
        path = location_named(conn, location, real=False).path
        escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params |= {"path": path, "below": escaped + "/%"}
    if lot:
        if item_row is not None:
            params["lot_id"] = lot_by_code(conn, item_row, lot).id
        else:
            params["lot_code"] = lot
    query = _stock_query(serials, *(k in params for k in ("item_id", "path", "lot_id", "lot_code")))
    day = today()
    # (a row of lots and places names no unit: only the holds of lots flag it)
    held_units, held_lots = held_sets(
        conn, units=serials, item_id=item_row.id if item_row is not None else None
    )
    options = {"stream_results": True, "yield_per": 2000} if stream else {}
    rows = conn.execute(query, params, execution_options=options)
    return with_availability(_stock_dicts(rows, day, held_units, held_lots),
                             reserved_by_codes(conn))  # fmt: skip


def _stock_dicts(
    rows: Any, day: dt.date, held_units: set[int], held_lots: set[int]
) -> Iterator[dict[str, Any]]:
    return (
        {
            "item": r.item,
            "item_name": r.item_name,
            "location": r.location,
            "location_path": r.location_path,
            "lot": r.lot,
            "serial": r.serial,
            "qty": r.qty,
            "uom": r.uom,
            "status": status_at(r.kind).value,
            "expires": r.expires,
            "expired": is_expired(r.expires, day),
            "held": r.lot_id in held_lots or r.unit_id in held_units,
        }
        for r in rows
    )


@functools.cache
def _stock_query(
    serials: bool, by_item: bool, by_location: bool, by_lot: bool, by_lot_code: bool
) -> Select:
    """The stock query for a combination of filters, built once (building costs more than
    running it on an indexed projection)."""
    conditions = [~locations.c.virtual]
    if by_item:
        conditions.append(items.c.id == bindparam("item_id"))
    if by_location:  # a location and everything below it in the tree
        conditions.append(
            or_(
                locations.c.path == bindparam("path"),
                locations.c.path.like(bindparam("below"), escape="\\"),
            )
        )
    if by_lot:
        conditions.append(lots.c.id == bindparam("lot_id"))
    if by_lot_code:
        conditions.append(lots.c.code == bindparam("lot_code"))
    common = (
        items.c.code.label("item"),
        items.c.name.label("item_name"),
        items.c.uom,
        locations.c.code.label("location"),
        locations.c.path.label("location_path"),
        locations.c.kind,
        lots.c.code.label("lot"),
        lots.c.id.label("lot_id"),
    )
    if serials:
        return (
            select(
                *common,
                units.c.id.label("unit_id"),
                units.c.serial,
                literal(1).label("qty"),
                func.coalesce(units.c.expires, lots.c.expires).label("expires"),
            )
            .select_from(units)
            .join(items, items.c.id == units.c.item_id)
            .join(locations, locations.c.id == units.c.location_id)
            .outerjoin(lots, lots.c.id == units.c.lot_id)
            .where(and_(*conditions))
            .order_by(items.c.code, locations.c.path, units.c.serial)
        )
    return (
        select(
            *common,
            null().label("unit_id"),
            null().label("serial"),
            stock.c.qty,
            lots.c.expires,
        )
        .select_from(stock)
        .join(items, items.c.id == stock.c.item_id)
        .join(locations, locations.c.id == stock.c.location_id)
        .outerjoin(lots, lots.c.id == stock.c.lot_id)
        .where(and_(*conditions), stock.c.qty != 0)
        .order_by(items.c.code, locations.c.path, lots.c.code)
    )


def held_sets(
    conn: Connection, *, units: bool = True, item_id: int | None = None
) -> tuple[set[int], set[int]]:
    """The units and the whole lots under an open hold (without `units`, the lots only;
    with `item_id`, that item's only): a recall holds tens of thousands of units, which
    the stock of one item, or of its lots, need not read."""
    query = select(holds.c.unit_id, holds.c.lot_id).where(holds.c.released_op_id.is_(None))
    if not units:
        query = query.where(holds.c.unit_id.is_(None))
    if item_id is not None:
        query = query.where(holds.c.item_id == item_id)
    rows = conn.execute(query).all()
    return {r.unit_id for r in rows if r.unit_id}, {r.lot_id for r in rows if r.lot_id}


def held_among(
    conn: Connection, unit_ids: list[int], lot_ids: list[int]
) -> tuple[set[int], set[int]]:
    """Which of these units, and which of these whole lots, are under an open hold."""
    if not any_open_holds(conn):
        return set(), set()
    dialect = conn.dialect.name
    params = {"units": ids_value(dialect, unit_ids), "lots": ids_value(dialect, lot_ids)}
    rows = conn.execute(_held_among(dialect), params).all()
    return {r.unit_id for r in rows if r.unit_id}, {r.lot_id for r in rows if r.unit_id is None}


@functools.cache
def _held_among(dialect: str) -> Select:
    return select(holds.c.unit_id, holds.c.lot_id).where(
        holds.c.released_op_id.is_(None),
        or_(
            ids_in(dialect, holds.c.unit_id, "units"),
            and_(holds.c.unit_id.is_(None), ids_in(dialect, holds.c.lot_id, "lots")),
        ),
    )


def where(conn: Connection, ref: str) -> list[Row]:
    """Where a unit, a lot or an item is now: one row per place that holds it, with
    what of it is reserved for sales orders and available; a case or pallet (its SSCC):
    where it is, and what it holds."""
    lu = packing.sscc_named(conn, ref)
    if lu is not None:
        return [packing.show(conn, lu)]
    rows = _where(conn, ref)
    return list(with_availability(rows, reserved_by_codes(conn)))


def _where(conn: Connection, ref: str) -> list[Row]:
    parsed = ref_named(conn, ref)
    if parsed.kind == "unit":
        row = _where_unit(conn, parsed.code, parsed.key or "")
        return [{**row, "sscc": packing.sscc_of_unit(conn, parsed.code, parsed.key or "")}]
    item_row = item_by_code(conn, parsed.code)
    if parsed.kind == "code":
        return stock_rows(conn, item=item_row.code)
    lot_row = lot_by_code(conn, item_row, parsed.key or "")
    lot_holds = describe(open_holds_of(conn, None, lot_row.id))
    day = today()
    base = {
        "item": item_row.code,
        "item_name": item_row.name,
        "lot": lot_row.code,
        "serial": None,
        "uom": item_row.uom,
        "expires": lot_row.expires,
        "expired": is_expired(lot_row.expires, day),
        "held": bool(lot_holds),
        "holds": lot_holds,
    }
    places = lot_places(conn, [lot_row.id]).get(lot_row.id, [])
    packed = packing.packed_lot_places(conn, lot_row.id)  # in which cases, where (issue 20)
    return [{**base, **place, **_packed_at(packed.get(place["location"], []))} for place in places]


def _packed_at(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """A lot's place: the one case that holds of it there (`sscc`), and every case that
    does with how much (`packed`)."""
    return {"sscc": cases[0]["sscc"] if len(cases) == 1 else None, "packed": cases}


def lot_places(conn: Connection, lot_ids: list[int]) -> dict[int, list[Row]]:
    """Where each lot is now, for many lots in two queries: its balances in our locations
    (real ones first), then the customers holding some of it (location CUSTOMER, with the
    last shipment that took some to each: `shipment_ref`, `shipment_date`).

    The customers are read from the shipments and returns of only the lots with a balance
    at the customer location: a lot consumed by ten thousand builds is not scanned."""
    if not lot_ids:
        return {}
    dialect = conn.dialect.name
    out: dict[int, list[Row]] = {}
    shipped: list[int] = []
    for b in conn.execute(_lot_balances(dialect), {"ids": ids_value(dialect, lot_ids)}):
        if b.kind == LocationKind.SUPPLIER.value:
            continue  # what went back to suppliers is read below, by supplier
        if b.kind == LocationKind.CUSTOMER.value:
            shipped.append(b.lot_id)
            continue
        out.setdefault(b.lot_id, []).append(
            {
                "location": b.code,
                "location_path": b.path,
                "qty": b.qty,
                "status": status_at(b.kind).value,
                "customer": None,
                "customer_name": None,
                "supplier": None,
                "supplier_name": None,
                "shipment_ref": None,
                "shipment_date": None,
            }
        )
    if shipped:
        (cust_id,) = location_ids_of_kind(conn, LocationKind.CUSTOMER.value)
        params = {"ids": ids_value(dialect, shipped), "customer": cust_id}
        held = conn.execute(_lot_customers(dialect), params).all()
        last = {op.id: op for op in conn.execute(
            select(operations.c.id, operations.c.reference, operations.c.occurred_at)
            .where(id_in(conn, operations.c.id, {c.last_op for c in held} - {None}))
        )}  # fmt: skip
        for c in held:
            shipment = last.get(c.last_op)  # (none that stands: not from a shipment)
            out.setdefault(c.lot_id, []).append(
                {
                    "location": "CUSTOMER",
                    "location_path": "CUSTOMER",
                    "qty": c.qty,
                    "status": Status.SHIPPED.value,
                    "customer": c.code,
                    "customer_name": c.name,
                    "supplier": None,
                    "supplier_name": None,
                    # the shipment that took some to it last (a lot's order, issue 20)
                    "shipment_ref": shipment.reference if shipment else None,
                    "shipment_date": shipment.occurred_at if shipment else None,
                }
            )
    for r in conn.execute(_lot_returned(dialect), {"ids": ids_value(dialect, lot_ids)}):
        out.setdefault(r.lot_id, []).append(
            {
                "location": "SUPPLIER",
                "location_path": "SUPPLIER",
                "qty": r.qty,
                "status": Status.SUPPLIER.value,
                "customer": None,
                "customer_name": None,
                "supplier": r.code,
                "supplier_name": r.name,
                "shipment_ref": None,
                "shipment_date": None,
            }
        )
    return out


@functools.cache
def _lot_returned(dialect: str) -> Select:
    """What of each lot was sent back to each supplier (return-to-supplier operations)."""
    return (
        select(moves.c.lot_id, parties.c.code, parties.c.name, func.sum(moves.c.qty).label("qty"))
        .join(operations, operations.c.id == moves.c.operation_id)
        .join(parties, parties.c.id == operations.c.party_id)
        .where(
            ids_in(dialect, moves.c.lot_id),
            # on the index of a lot's moves by destination: not every move of the lot
            moves.c.to_location_id
            == select(locations.c.id).where(locations.c.code == "SUPPLIER").scalar_subquery(),
            operations.c.kind == OperationKind.RETURN_TO_SUPPLIER.value,
        )
        .group_by(moves.c.lot_id, parties.c.code, parties.c.name)
        .order_by(moves.c.lot_id, parties.c.code)
    )


@functools.cache
def _lot_balances(dialect: str) -> Select:
    return (
        select(stock.c.lot_id, locations.c.code, locations.c.path, locations.c.kind, stock.c.qty)
        .join(locations, locations.c.id == stock.c.location_id)
        .where(ids_in(dialect, stock.c.lot_id), stock.c.qty > 0)
        .order_by(stock.c.lot_id, locations.c.virtual, locations.c.path)
    )


@functools.cache
def _lot_customers(dialect: str) -> Select:
    """What each customer holds of each lot: shipped to it less returned from it, and
    the last shipment that took some to it."""
    customer = bindparam("customer")
    signed = case((moves.c.to_location_id == customer, moves.c.qty), else_=-moves.c.qty)
    settled = select(voids.settled_ops().c[0])
    last = func.max(case((and_(moves.c.to_location_id == customer,
                               moves.c.operation_id.not_in(settled)),
                          moves.c.operation_id)))  # fmt: skip
    return (
        select(
            moves.c.lot_id,
            parties.c.code,
            parties.c.name,
            func.sum(signed).label("qty"),
            last.label("last_op"),
        )
        .join(operations, operations.c.id == moves.c.operation_id)
        .join(parties, parties.c.id == operations.c.party_id)
        .where(
            ids_in(dialect, moves.c.lot_id),
            or_(moves.c.to_location_id == customer, moves.c.from_location_id == customer),
        )
        .group_by(moves.c.lot_id, parties.c.code, parties.c.name)
        .having(func.sum(signed) > HALF_PLACE)  # a float sum of nothing is not held
        .order_by(moves.c.lot_id, parties.c.code)
    )


def _where_unit_statement(by_gtin: bool) -> Select:
    """Where a unit is, with its open holds, in one joined query: by item code and serial,
    or by one of the item's GTINs and serial (a scan)."""
    query = select(
        items.c.code.label("item"),
        items.c.name.label("item_name"),
        items.c.tracking,
        items.c.uom,
        units.c.id.label("unit_id"),
        units.c.lot_id,
        units.c.serial,
        locations.c.code.label("location"),
        locations.c.path.label("location_path"),
        locations.c.kind,
        lots.c.code.label("lot"),
        func.coalesce(units.c.expires, lots.c.expires).label("expires"),
        parties.c.code.label("customer"),
        parties.c.name.label("customer_name"),
        holds.c.id.label("hold"),
        holds.c.reason.label("hold_reason"),
        holds.c.recall_id,
    )
    if by_gtin:
        query = query.select_from(item_gtins).join(items, items.c.id == item_gtins.c.item_id)
    else:
        query = query.select_from(items)
    return (
        query.outerjoin(
            units, and_(units.c.item_id == items.c.id, units.c.serial == bindparam("serial"))
        )
        .outerjoin(locations, locations.c.id == units.c.location_id)
        .outerjoin(lots, lots.c.id == units.c.lot_id)
        .outerjoin(parties, parties.c.id == units.c.party_id)
        .outerjoin(
            holds,
            and_(
                holds.c.released_op_id.is_(None),
                or_(
                    holds.c.unit_id == units.c.id,
                    and_(holds.c.lot_id == units.c.lot_id, holds.c.unit_id.is_(None)),
                ),
            ),
        )
        .where(
            item_gtins.c.gtin == bindparam("gtin") if by_gtin else items.c.code == bindparam("code")
        )
        .order_by(holds.c.id)
    )


_WHERE_UNIT = {False: _where_unit_statement(False), True: _where_unit_statement(True)}


def where_unit_by_gtin(conn: Connection, gtin: str, serial: str) -> Row:
    """Where the unit of a scan is: its item's GTIN and its serial, in one query."""
    rows = conn.execute(_WHERE_UNIT[True], {"gtin": gtin, "serial": serial}).all()
    if not rows:
        raise NotFound(f"no item has GTIN {gtin}: add it with `tracelot item gtin add ITEM {gtin}`")
    return _unit_place(conn, rows, f"{rows[0].item}:{serial}")


def _where_unit(conn: Connection, item_code: str, serial: str) -> Row:
    """One joined query, built once, with the unit's open holds: the hot path of `where`."""
    rows = conn.execute(_WHERE_UNIT[False], {"code": item_code, "serial": serial}).all()
    if not rows:
        raise NotFound(f"unknown item {item_code!r}")
    return _unit_place(conn, rows, f"{item_code}:{serial}")


def _unit_place(conn: Connection, rows: list[Any], ref: str) -> Row:
    r = rows[0]
    if r.unit_id is None:
        if r.tracking != "serial":
            raise WrongKind(f"item {r.item} is not serial-tracked: it has no unit {ref}")
        raise NotFound(f"unknown unit {ref}")
    status = status_at(r.kind)
    unit_holds = [
        {"hold": h.hold, "reason": h.hold_reason, "recall": h.recall_id}
        for h in rows
        if h.hold is not None
    ]
    return {
        "item": r.item,
        "item_name": r.item_name,
        "serial": r.serial,
        "lot": r.lot,
        "location": r.location,
        "location_path": r.location_path,
        "qty": 1,
        "uom": r.uom,
        "status": status.value,
        "expires": r.expires,
        "expired": is_expired(r.expires, today()),
        "held": bool(unit_holds),
        "holds": unit_holds,
        # the party of a unit sent back to its supplier is that supplier
        "customer": r.customer if status != Status.SUPPLIER else None,
        "customer_name": r.customer_name if status != Status.SUPPLIER else None,
        "supplier": r.customer if status == Status.SUPPLIER else None,
        "supplier_name": r.customer_name if status == Status.SUPPLIER else None,
        "assembly": assembly_of(conn, r.unit_id) if status == Status.CONSUMED else None,
    }


def history(conn: Connection, ref: str) -> list[Row]:
    """Every operation that moved a unit, a lot or an untracked item, oldest first."""
    parsed = ref_named(conn, ref)
    item_row = item_by_code(conn, parsed.code)
    if parsed.kind == "unit":
        unit = conn.execute(
            select(units.c.id).where(units.c.item_id == item_row.id, units.c.serial == parsed.key)
        ).first()
        if unit is None:
            unit_by_serial(conn, item_row, parsed.key or "")  # names the wrong kind
            raise NotFound(f"unknown unit {ref}")
        selector = moves.c.unit_id == unit.id
        events = union(
            select(genealogy.c.operation_id).where(genealogy.c.parent_unit_id == unit.id),
            select(holds.c.placed_op_id).where(holds.c.unit_id == unit.id),
            select(holds.c.released_op_id).where(holds.c.unit_id == unit.id),
            select(lu_lines.c.operation_id).where(lu_lines.c.unit_id == unit.id),
        )
    elif parsed.kind == "lot":
        lot_id = lot_by_code(conn, item_row, parsed.key or "").id
        selector = moves.c.lot_id == lot_id
        events = union(
            select(holds.c.placed_op_id).where(holds.c.lot_id == lot_id, holds.c.unit_id.is_(None)),
            select(holds.c.released_op_id).where(
                holds.c.lot_id == lot_id, holds.c.unit_id.is_(None)
            ),
            select(lu_lines.c.operation_id).where(
                lu_lines.c.lot_id == lot_id, lu_lines.c.unit_id.is_(None)
            ),
        )
    else:
        selector, events = moves.c.item_id == item_row.id, None
    src, dst = locations.alias(), locations.alias()  # Core aliases: no sqlalchemy.orm
    query = (
        select(
            operations.c.id,
            operations.c.kind,
            operations.c.occurred_at,
            operations.c.user_name,
            operations.c.reference,
            operations.c.note,
            parties.c.code.label("party"),
            src.c.path.label("from_path"),
            dst.c.path.label("to_path"),
            lots.c.code.label("lot"),
            func.sum(moves.c.qty).label("qty"),
            func.count(moves.c.unit_id).label("units"),
        )
        .select_from(moves)
        .join(operations, operations.c.id == moves.c.operation_id)
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .outerjoin(parties, parties.c.id == operations.c.party_id)
        .outerjoin(lots, lots.c.id == moves.c.lot_id)
        .where(selector)
        .group_by(
            operations.c.id,
            operations.c.kind,
            operations.c.occurred_at,
            operations.c.user_name,
            operations.c.reference,
            operations.c.note,
            parties.c.code,
            src.c.path,
            dst.c.path,
            lots.c.code,
        )
        .order_by(operations.c.id, src.c.path, dst.c.path)
    )
    rows = [
        {
            "operation": r.id,
            "kind": r.kind,
            "at": r.occurred_at,
            "user": r.user_name,
            "item": item_row.code,
            "lot": r.lot,
            "serial": parsed.key if parsed.kind == "unit" else None,
            "from": r.from_path,
            "to": r.to_path,
            "qty": r.qty,
            "party": r.party,
            "reference": r.reference,
            "note": r.note,
        }
        for r in conn.execute(query)
    ]
    if events is not None:  # what happened to it without moving it: repairs, holds
        moved = {row["operation"] for row in rows}
        done = events.subquery()
        for op in conn.execute(
            select(operations)
            .where(operations.c.id.in_(select(done.c[0]).where(done.c[0].is_not(None))))
            .order_by(operations.c.id)
        ):
            if op.id not in moved:
                rows.append(
                    {"operation": op.id, "kind": op.kind, "at": op.occurred_at,
                     "user": op.user_name, "item": item_row.code,
                     "lot": parsed.key if parsed.kind == "lot" else None,
                     "serial": parsed.key if parsed.kind == "unit" else None,
                     "from": None, "to": None, "qty": None, "party": None,
                     "reference": op.reference, "note": op.note}
                )  # fmt: skip
    rows = sorted(rows, key=lambda row: (row["at"], row["operation"]))
    voids.mark(conn, rows)  # each row's `voided_by` and `voids`
    return rows


def recent_operations(conn: Connection, *, limit: int = 20) -> list[dict[str, Any]]:
    """The latest operations, newest first: what, when, who, for whom."""
    query = (
        select(operations, parties.c.code.label("party"))
        .outerjoin(parties, parties.c.id == operations.c.party_id)
        .order_by(operations.c.id.desc())
        .limit(limit)
    )
    rows = [
        {"operation": r.id, "kind": r.kind, "at": r.occurred_at, "user": r.user_name,
         "reference": r.reference, "party": r.party, "note": r.note}
        for r in conn.execute(query)
    ]  # fmt: skip
    voids.mark(conn, rows)
    return rows
