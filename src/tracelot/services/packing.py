"""Packing into logistic units: cases and pallets with SSCCs, nested to any depth.

A logistic unit (numbered like recalls, named by its SSCC) holds units, quantities of
lots or untracked items, and other logistic units. It is where what it holds is: packing
takes what is at the case's location, and moving or shipping the case (`move`, `ship`,
scans of its SSCC) moves or ships everything inside it, in one operation whose ledger
lines name each unit and lot, while the case follows them. Packing and unpacking are
operations of their own (`pack`, `unpack`) whose lines (`lu_lines`, append-only) say what
went into or out of which case; `lu_contents` is what each holds now, a projection that
`verify` rebuilds from them.

While a case is on hand, what it holds stays with it: moving, shipping or consuming a
unit or a lot quantity that is packed, other than with its case, is refused (`guard`, run
by the ledger on every posting). A case shipped keeps its contents as the record of what
went; a unit of it that comes back leaves it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, and_, bindparam, delete, func, insert, or_, select, update

from tracelot.domain.commands import Pack, Unpack
from tracelot.domain.errors import (
    Conflict,
    InsufficientStock,
    InvalidInput,
    NotAvailable,
    WrongKind,
)
from tracelot.domain.refs import parse_ref, split_consume
from tracelot.domain.scan import is_only_a_scan, looks_like_scan
from tracelot.domain.sscc import make_sscc
from tracelot.domain.status import ON_HAND, OperationKind, Status, Tracking, status_at
from tracelot.domain.uom import check_whole
from tracelot.domain.values import normalize
from tracelot.services import settings as settings_service
from tracelot.services.costing import money
from tracelot.services.holds import any_open_holds
from tracelot.services.ledger import Line, new_operation
from tracelot.services.lookup import Target, check_real, location_by_id, location_ids_of_kind
from tracelot.services.lu_lookup import container_of, lu_by_sscc, lu_named
from tracelot.services.packed import ANY_PACKED, unpacked_qty, write_lines
from tracelot.services.picking import describe_gone
from tracelot.services.reservations import any_reservations, reserved_balances
from tracelot.services.resolver import (
    codes_among,
    location_named,
    may_be_an_sscc,
    sscc_in,
    targets_named,
)
from tracelot.services.summary import result
from tracelot.store.bulk import id_in, insert_rows, rows_params, rows_source
from tracelot.store.engine import records
from tracelot.store.tables import (
    holds,
    items,
    locations,
    logistic_units,
    lots,
    lu_contents,
    lu_moves,
    parties,
    reservations,
    stock,
    units,
)

# -- what a logistic unit holds --------------------------------------------------------------


@dataclass
class Tree:
    """A logistic unit and everything inside it, to any depth."""

    lu_ids: list[int] = field(default_factory=list)  # the units themselves, outermost first
    rows: list[Any] = field(default_factory=list)  # their contents (with item, lot, unit)


def tree(conn: Connection, lu_ids: Sequence[int]) -> Tree:
    """What the logistic units hold, nested to any depth: one query per level (a unit's
    row with its item, lot, place, cost and serial)."""
    found = Tree(lu_ids=list(lu_ids))
    frontier = list(lu_ids)
    while frontier:
        level = records(conn.execute(
            select(lu_contents, units.c.item_id.label("unit_item_id"),
                   units.c.lot_id.label("unit_lot_id"), units.c.location_id.label("unit_loc"),
                   units.c.unit_cost, units.c.serial.label("unit_serial"))
            .outerjoin(units, units.c.id == lu_contents.c.unit_id)
            .where(id_in(conn, lu_contents.c.lu_id, frontier))
            .order_by(lu_contents.c.id)
        ))  # fmt: skip
        found.rows += level
        frontier = [r.child_lu_id for r in level if r.child_lu_id is not None]
        found.lu_ids += frontier
    return found


def show(conn: Connection, lu: Row | int | str) -> dict[str, Any]:
    """A logistic unit: its SSCC, kind, where it is (and status), what holds it, and its
    `contents` (units, lot quantities and inner SSCCs, each nested with its own)."""
    row = lu if isinstance(lu, Row) else lu_named(conn, lu)
    found = tree(conn, [row.id])
    lus = {r.id: r for r in conn.execute(
        select(logistic_units).where(id_in(conn, logistic_units.c.id, found.lu_ids))
    )}  # fmt: skip
    items_, lots_ = _names(conn, found.rows)
    by_lu: dict[int, list[Row]] = defaultdict(list)
    for r in found.rows:
        by_lu[r.lu_id].append(r)

    def contents(lu_id: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for r in by_lu.get(lu_id, []):
            if r.child_lu_id is not None:
                child = lus[r.child_lu_id]
                out.append({"kind": "sscc", "sscc": child.sscc, "logistic_unit": child.id,
                            "lu_kind": child.kind, "contents": contents(child.id)})  # fmt: skip
            elif r.unit_id is not None:
                out.append({"kind": "unit", "item": items_[r.unit_item_id],
                            "lot": lots_.get(r.unit_lot_id), "serial": r.unit_serial,
                            "qty": Decimal(1)})  # fmt: skip
            else:
                out.append({"kind": "lot" if r.lot_id else "item", "item": items_[r.item_id],
                            "lot": lots_.get(r.lot_id), "serial": None, "qty": r.qty})  # fmt: skip
        return out

    holder = container_of(conn, lu_id=row.id)
    return {**_header(conn, row), "in": holder.sscc if holder is not None else None,
            "contents": contents(row.id), "totals": _totals(found.rows)}  # fmt: skip


def _header(conn: Connection, row: Row) -> dict[str, Any]:
    loc = location_by_id(conn, row.location_id)
    customer = None
    if row.party_id is not None:
        customer = conn.execute(
            select(parties.c.code).where(parties.c.id == row.party_id)
        ).scalar_one()
    return {"logistic_unit": row.id, "sscc": row.sscc, "kind": row.kind, "lu_kind": row.kind,
            "location": loc.code, "location_path": loc.path,
            "status": status_at(loc.kind).value, "customer": customer}  # fmt: skip


def _totals(rows: Sequence[Row]) -> dict[str, Any]:
    return {
        "units": sum(1 for r in rows if r.unit_id is not None),
        "lots": sum(1 for r in rows if r.unit_id is None and r.child_lu_id is None),
        "ssccs": sum(1 for r in rows if r.child_lu_id is not None),
    }


def _names(conn: Connection, rows: Sequence[Row]) -> tuple[dict, dict]:
    """The codes of the items and lots of `tree`'s rows (a unit's serial is in its row)."""
    item_ids = {r.unit_item_id or r.item_id for r in rows if r.child_lu_id is None}
    lot_ids = {r.unit_lot_id or r.lot_id for r in rows} - {None}
    items_ = dict(
        conn.execute(
            select(items.c.id, items.c.code).where(id_in(conn, items.c.id, item_ids))
        ).all()
    )
    lots_ = dict(
        conn.execute(select(lots.c.id, lots.c.code).where(id_in(conn, lots.c.id, lot_ids))).all()
    )
    return items_, lots_


def list_lus(conn: Connection, *, all_: bool = False) -> list[dict[str, Any]]:
    """The logistic units on hand (`all_`: shipped ones too), by number, with what each
    holds directly (units, lot lines, inner SSCCs) and the SSCC that holds it."""
    held = select(lu_contents.c.lu_id,
                  func.count(lu_contents.c.unit_id).label("units"),
                  func.count(lu_contents.c.child_lu_id).label("ssccs"),
                  func.count(lu_contents.c.id).label("lines")
                  ).group_by(lu_contents.c.lu_id).subquery()  # fmt: skip
    outer = logistic_units.alias("outer_lu")
    query = (
        select(logistic_units, locations.c.code, locations.c.path, locations.c.kind.label("lkind"),
               parties.c.code.label("customer"), held.c.units, held.c.ssccs, held.c.lines,
               outer.c.sscc.label("in_sscc"))
        .join(locations, locations.c.id == logistic_units.c.location_id)
        .outerjoin(parties, parties.c.id == logistic_units.c.party_id)
        .outerjoin(held, held.c.lu_id == logistic_units.c.id)
        .outerjoin(lu_contents, lu_contents.c.child_lu_id == logistic_units.c.id)
        .outerjoin(outer, outer.c.id == lu_contents.c.lu_id)
        .order_by(logistic_units.c.id)
    )  # fmt: skip
    if not all_:
        query = query.where(~locations.c.virtual)
    return [
        {"logistic_unit": r.id, "sscc": r.sscc, "kind": r.kind, "location": r.code,
         "location_path": r.path, "status": status_at(r.lkind).value, "customer": r.customer,
         "in": r.in_sscc, "units": r.units or 0, "ssccs": r.ssccs or 0,
         "lots": (r.lines or 0) - (r.units or 0) - (r.ssccs or 0)}
        for r in conn.execute(query)
    ]  # fmt: skip


# -- naming logistic units among references -------------------------------------------------


def sscc_named(conn: Connection, text: Any, *, codes: Collection[str] | None = None) -> Row | None:
    """The logistic unit a REF names when it is an SSCC (18 digits, or a scan with AI 00
    and no GTIN); None for any other REF. `codes`: as `resolver.read` takes them."""
    sscc = sscc_in(conn, text, codes=codes)
    return None if sscc is None else lu_by_sscc(conn, sscc)


def split_refs(
    conn: Connection, refs: Sequence[Any], qtys: Sequence[Any] | None = None
) -> tuple[list[Row], list[Any], list[Any] | None]:
    """The logistic units named among `refs` (their SSCCs), and the other REFs with their
    quantities beside them."""
    lus: list[Row] = []
    rest: list[Any] = []
    rest_qtys: list[Any] = []
    maybe = [ref for ref in refs if may_be_an_sscc(ref)]
    codes = codes_among(conn, maybe) if len(maybe) > 1 else None
    for i, ref in enumerate(refs):
        lu = sscc_named(conn, ref, codes=codes)
        if lu is None:
            rest.append(ref)
            rest_qtys.append(qtys[i] if qtys is not None else None)
        elif any(other.id == lu.id for other in lus):
            raise InvalidInput(f"SSCC {lu.sscc} is named twice")
        else:
            lus.append(lu)
    return lus, rest, (rest_qtys if qtys is not None else None)


# -- moving and shipping what logistic units hold ------------------------------------------


@dataclass(frozen=True)
class TakenOut:
    """What moving or shipping cases takes: the ledger lines of what they hold, and the
    cases themselves (those named first, then the ones inside them), and where each case
    was (what a void of the move or shipment takes it back to)."""

    lines: list[Line] = field(default_factory=list)
    outer: tuple[int, ...] = ()
    lu_ids: tuple[int, ...] = ()
    where: dict[int, int] = field(default_factory=dict)
    serials: dict[int, str] = field(default_factory=dict)  # of the units inside, by id


def take_out(
    conn: Connection,
    lus: Sequence[Row],
    *,
    to_id: int,
    today: dt.date,
    for_use: bool,
    from_location: Row | None = None,
    so_id: int | None = None,
) -> TakenOut:
    """The ledger lines that take everything inside `lus` (to any depth) to `to_id`, from
    where each case is; `for_use` (shipping) refuses held and expired contents, and what
    is reserved for a sales order (but `so_id`, which the shipment is against)."""
    if not lus:
        return TakenOut()
    virtual = location_ids_of_kind(conn, virtual=True)
    for lu in lus:
        loc = location_by_id(conn, lu.location_id)
        if lu.location_id in virtual or status_at(loc.kind) not in ON_HAND:
            raise NotAvailable(f"SSCC {lu.sscc} is {_gone(conn, lu, loc)}")
        holder = container_of(conn, lu_id=lu.id)
        if holder is not None:
            raise NotAvailable(
                f"SSCC {lu.sscc} is inside SSCC {holder.sscc}: take it out first "
                f"(tracelot unpack {holder.sscc} {lu.sscc}), or name {holder.sscc}"
            )
        if from_location is not None and from_location.id != lu.location_id:
            raise NotAvailable(f"SSCC {lu.sscc} is at {loc.path}, not at {from_location.path}")
        if lu.location_id == to_id:
            raise InvalidInput(f"SSCC {lu.sscc} is already at {loc.path}")
    lock_cases(conn, {lu.id: (lu.location_id, lu.sscc) for lu in lus})
    found = tree(conn, [lu.id for lu in lus])
    where = {lu.id: lu.location_id for lu in lus}
    for r in found.rows:  # a case's place is its outermost case's
        if r.child_lu_id is not None:
            where[r.child_lu_id] = where[r.lu_id]
    if not any(r.child_lu_id is None for r in found.rows):
        raise InvalidInput(f"SSCC {lus[0].sscc} is empty: nothing to move")
    if for_use:
        _refuse_unusable(conn, found.rows, today)
        _refuse_reserved(conn, found.rows, where, so_id)
    lines = []
    one = Decimal(1)
    for r in found.rows:
        if r.unit_id is not None:  # valued here as costing values a unit: its own cost
            value = money(r.unit_cost or Decimal(0))  # (an item may have no cost)
            lines.append(Line(r.unit_item_id, where[r.lu_id], to_id, one, r.unit_lot_id,
                              r.unit_id, value))  # fmt: skip
        elif r.child_lu_id is None:
            lines.append(Line(r.item_id, where[r.lu_id], to_id, r.qty, lot_id=r.lot_id))
    serials = {r.unit_id: r.unit_serial for r in found.rows if r.unit_id is not None}
    return TakenOut(lines, tuple(lu.id for lu in lus), tuple(found.lu_ids), where, serials)


def refuse_named_twice(
    conn: Connection, taken: TakenOut, unit_ids: Iterable[int | None], *, others: bool,
    qty: Decimal | None,
) -> None:  # fmt: skip
    """What is named beside cases (`others`: whether anything is; `unit_ids`, its units):
    a unit one of the cases holds is named twice, and a quantity (`--qty`) with only cases
    named counts nothing (a case goes whole)."""
    if not taken.lu_ids:
        return
    if qty is not None and not others:
        raise InvalidInput("--qty counts lots and items: a case or pallet named by its SSCC "
                           "goes whole (unpack what is to stay)")  # fmt: skip
    inside = {ln.unit_id for ln in taken.lines if ln.unit_id is not None}
    for unit_id in unit_ids:
        if unit_id in inside:
            holder = container_of(conn, unit_id=unit_id)
            unit = conn.execute(select(items.c.code, units.c.serial)
                                .join(items, items.c.id == units.c.item_id)
                                .where(units.c.id == unit_id)).one()  # fmt: skip
            raise InvalidInput(
                f"{unit.code}:{unit.serial} is packed in SSCC {holder.sscc if holder else '?'}, "
                "which goes whole: name the unit or the SSCC, not both"
            )


def _gone(conn: Connection, lu: Row, loc: Row) -> str:
    status = status_at(loc.kind)
    if status == Status.SHIPPED and lu.party_id is not None:
        customer = conn.execute(select(parties.c.code).where(parties.c.id == lu.party_id))
        return f"already shipped to {customer.scalar_one()}"
    return f"{status.value} ({loc.path})" if status in ON_HAND else f"already {status.value}"


def _refuse_unusable(conn: Connection, rows: Sequence[Row], today: dt.date) -> None:
    """Held or expired stock is never shipped: a case holding some is refused, naming it."""
    unit_ids = [r.unit_id for r in rows if r.unit_id is not None]
    lot_ids = list({r.unit_lot_id or r.lot_id for r in rows} - {None})
    held = None if not any_open_holds(conn) else conn.execute(
        select(holds.c.id, holds.c.reason, items.c.code, units.c.serial, lots.c.code.label("lot"))
        .join(items, items.c.id == holds.c.item_id)
        .outerjoin(units, units.c.id == holds.c.unit_id)
        .outerjoin(lots, lots.c.id == holds.c.lot_id)
        .where(holds.c.released_op_id.is_(None),
               or_(id_in(conn, holds.c.unit_id, unit_ids),
                   and_(holds.c.unit_id.is_(None), id_in(conn, holds.c.lot_id, lot_ids))))
        .order_by(holds.c.id)
        .limit(1)
    ).first()  # fmt: skip
    if held is not None:
        named = f"{held.code}:{held.serial}" if held.serial else f"{held.code}@{held.lot}"
        raise NotAvailable(
            f"{named} is held and can not be shipped: hold #{held.id}, {held.reason}"
        )
    expired = conn.execute(
        select(items.c.code, units.c.serial, lots.c.code.label("lot"),
               func.coalesce(units.c.expires, lots.c.expires).label("expires"))
        .select_from(lu_contents)
        .outerjoin(units, units.c.id == lu_contents.c.unit_id)
        .outerjoin(lots, lots.c.id == func.coalesce(units.c.lot_id, lu_contents.c.lot_id))
        .join(items, items.c.id == func.coalesce(units.c.item_id, lu_contents.c.item_id))
        .where(id_in(conn, lu_contents.c.lu_id, sorted({r.lu_id for r in rows})),
               func.coalesce(units.c.expires, lots.c.expires) < today)
        .order_by(lu_contents.c.id)
        .limit(1)
    ).first()  # fmt: skip
    if expired is not None:
        named = f"{expired.code}:{expired.serial}" if expired.serial else (
            f"{expired.code}@{expired.lot}")  # fmt: skip
        raise NotAvailable(f"{named} expired on {expired.expires}")


def _refuse_reserved(
    conn: Connection, rows: Sequence[Any], where: dict[int, int], so_id: int | None
) -> None:
    """Stock reserved for a sales order goes to no one else (issue 20): a case is not
    shipped with a unit reserved inside it, nor with more of a lot than its place has
    free of reservations. (Moved whole within the warehouse, reserved stock follows it:
    `reservations.follow_moves`.)"""
    if not any_reservations(conn):
        return
    unit_ids = [r.unit_id for r in rows if r.unit_id is not None]
    if unit_ids:
        found = conn.execute(
            select(items.c.code, units.c.serial, reservations.c.so_id)
            .join(units, units.c.id == reservations.c.unit_id)
            .join(items, items.c.id == units.c.item_id)
            .where(id_in(conn, reservations.c.unit_id, unit_ids),
                   reservations.c.so_id != (so_id or 0))
            .order_by(units.c.id)
            .limit(1)
        ).first()  # fmt: skip
        if found is not None:
            raise NotAvailable(f"{found.code}:{found.serial} is reserved for sales order "
                               f"{found.so_id}: unpack it to ship the case without it")  # fmt: skip
    taken: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    for r in rows:
        if r.unit_id is None and r.child_lu_id is None:
            taken[(r.item_id, where[r.lu_id], r.lot_id)] += r.qty
    for (item_id, location_id, lot_id), qty in sorted(taken.items(), key=str):
        reserved = reserved_balances(conn, item_id, except_so=so_id).get((location_id, lot_id))
        if not reserved:
            continue
        on_hand = conn.execute(
            select(stock.c.qty).where(stock.c.item_id == item_id,
                                      stock.c.location_id == location_id,
                                      func.coalesce(stock.c.lot_id, 0) == (lot_id or 0))
        ).scalar() or Decimal(0)  # fmt: skip
        if qty > on_hand - reserved:
            item = conn.execute(select(items.c.code).where(items.c.id == item_id)).scalar_one()
            lot = conn.execute(select(lots.c.code).where(lots.c.id == lot_id)).scalar()
            named = f"{item}@{lot}" if lot else item
            raise NotAvailable(
                f"{normalize(reserved)} of {named} at {location_by_id(conn, location_id).path} "
                f"is reserved for sales orders: shipping the case's {normalize(qty)} would "
                "take some of it"
            )


def relocate(
    conn: Connection, taken: TakenOut, to_id: int, party_id: int | None, op_id: int
) -> None:
    """The cases (and the ones inside them) follow what they hold to `to_id` by operation
    `op_id` (a move or a shipment, which names them, and where each was: `lu_moves`); a
    case at a customer names the customer."""
    if not taken.lu_ids:
        return
    outer, lu_ids, where = taken.outer, taken.lu_ids, taken.where
    conn.execute(
        update(logistic_units)
        .where(logistic_units.c.id.in_(lu_ids))
        .values(location_id=to_id, party_id=party_id)
    )
    insert_rows(conn, "lu_moves", ("operation_id", "lu_id", "outermost", "from_location_id"),
                ((op_id, lu_id, lu_id in outer, where[lu_id]) for lu_id in lu_ids))  # fmt: skip


def out_of_shipped_cases(conn: Connection, op_id: int, party_id: int, item_id: int,
                         lot_id: int | None, qty: Decimal, held: Decimal) -> None:  # fmt: skip
    """A quantity of a lot or item that comes back from a customer (by operation `op_id`;
    `held`: what the customer held of it before) leaves the cases it was shipped in, as a
    unit coming back leaves its case: first what the customer holds loose, then from the
    cases shipped last. What the customer's cases hold stays what the customer holds."""
    rows = conn.execute(
        select(lu_contents.c.id, lu_contents.c.lu_id, lu_contents.c.qty)
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .where(logistic_units.c.party_id == party_id, lu_contents.c.item_id == item_id,
               func.coalesce(lu_contents.c.lot_id, 0) == (lot_id or 0),
               lu_contents.c.unit_id.is_(None), lu_contents.c.child_lu_id.is_(None))
        .order_by(lu_contents.c.lu_id.desc(), lu_contents.c.id.desc())
    ).all()  # fmt: skip
    packed = sum((Decimal(r.qty) for r in rows), Decimal(0))
    left = qty - (held - packed)  # beyond what was loose
    for r in rows:
        if left <= 0:
            break
        take = min(Decimal(r.qty), left)
        write_lines(conn, op_id, r.lu_id, False, [{"item_id": item_id, "lot_id": lot_id,
                                                   "unit_id": None, "child_lu_id": None,
                                                   "qty": take}])  # fmt: skip
        if take == Decimal(r.qty):
            conn.execute(delete(lu_contents).where(lu_contents.c.id == r.id))
        else:
            conn.execute(update(lu_contents).where(lu_contents.c.id == r.id)
                         .values(qty=lu_contents.c.qty - take))  # fmt: skip
        left -= take


# -- packing and unpacking -------------------------------------------------------------------


def pack(conn: Connection, command: Pack, *, user: str, at: dt.datetime | None = None
         ) -> dict[str, Any]:  # fmt: skip
    """Pack (see the module): into a case or pallet named by its SSCC, or a new one."""
    c = command
    fast = _units_at_once(conn, c, user=user, at=at)
    if fast is not None:
        return fast
    target = lu_named(conn, c.into) if c.into is not None else None
    place: Row | None = None
    if target is not None:
        lock_cases(conn, {target.id: (target.location_id, target.sscc)})
        place = location_by_id(conn, target.location_id)
        if place.virtual:
            raise NotAvailable(f"SSCC {target.sscc} is {_gone(conn, target, place)}")
        if c.at is not None and location_named(conn, c.at).id != place.id:
            raise InvalidInput(f"SSCC {target.sscc} is at {place.path}, not at {c.at}")
    elif c.at is not None:
        place = check_real(location_named(conn, c.at))
    else:
        _prefix(conn)  # refused before anything else when there is none
    children, rest, _ = split_refs(conn, c.refs)
    split = [_split(text) for text in rest]
    targets = targets_named(conn, [text for text, _ in split])
    # where the case is: given, else where the first thing packed is
    if place is None:
        place = _first_place(conn, children, targets)
    plan = _planned(conn, children, targets, split, target, place)
    op_id = new_operation(conn, OperationKind.PACK, user=user, at=at, reference=c.reference,
                          note=c.note)  # fmt: skip
    fresh = target is None
    if target is None:
        assert c.new is not None
        target = _new_lu(conn, c.new, place.id, op_id)
    _put(conn, op_id, target, plan)
    if fresh and not plan.children:
        return _fresh_answer(conn, op_id, target, plan)
    return _answer(conn, op_id, target, plan.lines(target.sscc, True))


def _fresh_answer(conn: Connection, op_id: int, case: Row, plan: _Plan) -> dict[str, Any]:
    """A new case's answer: what it holds is what was packed, not read back."""
    shown = {
        **_header(conn, case),
        "in": None,
        "contents": plan.contents(),
        "totals": {"units": len(plan.units), "lots": len(plan.lots), "ssccs": 0},
    }
    return {**shown, **result(conn, op_id).to_dict(), "lines": plan.lines(case.sscc, True)}


def _units_at_once(conn: Connection, c: Pack, *, user: str, at: dt.datetime | None
                   ) -> dict[str, Any] | None:  # fmt: skip
    """Units typed as `ITEM:SERIAL` packed into a new case (a packer's usual case) by set:
    the units, their places and whether they are packed already read in one statement,
    their lines and contents written in two. None, having changed nothing, for any other
    pack or any doubt (a unit unknown, packed, not on hand or not with the others): the
    reference-by-reference path then packs it or says precisely what is wrong."""
    if c.new is None or c.into is not None or c.at is not None or not c.refs:
        return None
    wanted: list[tuple[int, str, str]] = []
    for n, text in enumerate(c.refs):
        if looks_like_scan(text) or "=" in text or not text.isprintable():
            return None  # a scan, an SSCC, a quantity, or what `read` refuses
        try:
            ref = parse_ref(text)
        except InvalidInput:
            return None
        if ref.kind != "unit" or ref.key is None:
            return None
        wanted.append((n, ref.code, ref.key))
    if len({(code, serial) for _, code, serial in wanted}) != len(wanted):
        return None  # a unit named twice
    _prefix(conn)  # refused before anything else when there is none
    dialect = conn.dialect.name
    rows = records(conn.execute(_units_named(dialect), rows_params(dialect, _UNIT_REFS, wanted)))
    if len(rows) != len(wanted) or any(r.packed is not None for r in rows):
        return None
    place = location_by_id(conn, rows[0].location_id)
    if (place.virtual or status_at(place.kind) not in ON_HAND
            or any(r.location_id != place.id for r in rows)):  # fmt: skip
        return None
    _lock_units(conn, {r.id: (r.location_id, f"{r.item}:{r.serial}") for r in rows})
    if conn.dialect.name != "sqlite" and _packed_units(conn, [r.id for r in rows]):
        return None  # packed by another operation meanwhile: the other path says so
    plan = _Plan(units=[_Packed(r.id, r.item_id, r.lot_id, r.item, r.lot, r.serial)
                        for r in rows])  # fmt: skip
    op_id = new_operation(conn, OperationKind.PACK, user=user, at=at, reference=c.reference,
                          note=c.note)  # fmt: skip
    case = _new_lu(conn, c.new, place.id, op_id)
    _put(conn, op_id, case, plan)
    return _fresh_answer(conn, op_id, case, plan)


_UNIT_REFS = ("n", "item", "serial")


@functools.cache
def _units_named(dialect: str) -> Any:
    """The units a case's `ITEM:SERIAL` references name, with where each is and whether it
    is packed: built once per database kind (building it cost more than running it)."""
    source = rows_source(dialect, _UNIT_REFS, (int, str, str))
    return (
        select(units.c.id, units.c.item_id, units.c.lot_id, units.c.location_id,
               units.c.serial, items.c.code.label("item"), lots.c.code.label("lot"),
               lu_contents.c.id.label("packed"))
        .select_from(source)
        .join(items, items.c.code == source.c.item)
        .join(units, (units.c.item_id == items.c.id) & (units.c.serial == source.c.serial))
        .outerjoin(lots, lots.c.id == units.c.lot_id)
        .outerjoin(lu_contents, lu_contents.c.unit_id == units.c.id)
        .order_by(source.c.n)
    )  # fmt: skip


def _planned(conn: Connection, children: Sequence[Row], targets: Sequence[Target],
             split: Sequence[tuple[str, Decimal | None]], target: Row | None, place: Row
             ) -> _Plan:  # fmt: skip
    """What goes into the case, each checked: on hand where the case is, not packed."""
    plan = _Plan()
    for child in children:
        _check_child(conn, child, target, place)
        plan.children.append(child)
    seen: set[str] = set()
    unit_ids = [t.unit.id for t in targets if t.unit is not None]
    _lock_units(conn, {t.unit.id: (t.unit.location_id, str(t)) for t in targets
                       if t.unit is not None})  # fmt: skip
    packed = _packed_units(conn, unit_ids)
    for target_, (_, qty) in zip(targets, split, strict=True):
        if str(target_) in seen:
            raise InvalidInput(f"{target_} is named twice")
        seen.add(str(target_))
        if target_.unit is not None:
            _check_unit(conn, target_, qty, place, packed)
            plan.units.append(_Packed.of(target_))
        else:
            plan.lots.append((target_, _lot_qty(conn, target_, qty, place)))
    return plan


def lock_cases(conn: Connection, read: dict[int, tuple[int, str]]) -> None:
    """Hold cases and pallets so that another operation packing into, moving or voiding
    the move of one waits, then sees what this one did; one moved meanwhile is a
    conflict. `read`: each one's place as read, and its SSCC."""
    _hold(conn, logistic_units, {i: (at, f"SSCC {sscc}") for i, (at, sscc) in read.items()})


def _lock_units(conn: Connection, read: dict[int, tuple[int, str]]) -> None:
    """Hold the units packed so that a move of one at the same moment waits, then sees it
    packed; a unit moved meanwhile is a conflict. `read`: each unit's place as read, and
    its name."""
    _hold(conn, units, read)


def _hold(conn: Connection, table: Any, read: dict[int, tuple[int, str]]) -> None:
    """Lock rows of units or cases in key order (as the ledger does) by rewriting their
    place, and refuse as a conflict one whose place is no longer as read (named as given).
    SQLite's writers take turns: what they read stays as it is."""
    if not read or conn.dialect.name == "sqlite":
        return
    now_at = dict(conn.execute(
        update(table)
        .where(id_in(conn, table.c.id, sorted(read)))
        .values(location_id=table.c.location_id)
        .returning(table.c.id, table.c.location_id)
    ).all())  # fmt: skip
    for row_id, (location_id, name) in read.items():
        if now_at.get(row_id) != location_id:
            raise Conflict(f"{name} was moved by another operation meanwhile (conflict, retry)")


def adopt_partner_case(
    conn: Connection, *, sscc: str, refs: Sequence[str], location_id: int, user: str,
    at: dt.datetime | None = None, reference: str | None = None,
) -> int | None:  # fmt: skip
    """A partner's pallet received whole (`receive --asn`, by a scan of its SSCC): it
    becomes a logistic unit of tracelot's with that SSCC, holding what was received, by a
    `pack` operation; its id, or None when the SSCC is known already or what was received
    is not all where the pallet is (held for inspection elsewhere, say)."""
    known = conn.execute(select(logistic_units.c.id).where(logistic_units.c.sscc == sscc))
    if known.first() is not None:
        return None
    place = location_by_id(conn, location_id)
    split = [_split(text) for text in refs]
    targets = targets_named(conn, [text for text, _ in split])
    try:
        plan = _planned(conn, [], targets, split, None, place)
    except (NotAvailable, InsufficientStock):
        return None
    op_id = new_operation(conn, OperationKind.PACK, user=user, at=at, reference=reference,
                          note=f"a partner's SSCC {sscc}, received")  # fmt: skip
    lu_id = conn.execute(
        insert(logistic_units)
        .values(sscc=sscc, kind="pallet", location_id=location_id, created_op_id=op_id)
        .returning(logistic_units.c.id)
    ).scalar_one()
    _put(conn, op_id, conn.execute(select(logistic_units).where(logistic_units.c.id == lu_id)
                                   ).one(), plan)  # fmt: skip
    return lu_id


class _Packed(NamedTuple):
    """A unit packed: what its lines and contents are written with, and what the answer
    names."""

    unit_id: int
    item_id: int
    lot_id: int | None
    item: str
    lot: str | None
    serial: str

    @classmethod
    def of(cls, t: Target) -> _Packed:
        assert t.unit is not None
        return cls(t.unit.id, t.unit.item_id, t.unit.lot_id, t.item.code,
                   t.lot.code if t.lot is not None else None, t.unit.serial)  # fmt: skip


@dataclass
class _Plan:
    units: list[_Packed] = field(default_factory=list)
    lots: list[tuple[Target, Decimal]] = field(default_factory=list)
    children: list[Row] = field(default_factory=list)

    def contents(self) -> list[dict[str, Any]]:
        """What a new case holds: what was packed into it, as `show` lists it."""
        out: list[dict[str, Any]] = [
            {"kind": "unit", "item": u.item, "lot": u.lot, "serial": u.serial, "qty": Decimal(1)}
            for u in self.units
        ]  # fmt: skip
        out += [{"kind": "lot" if t.lot is not None else "item", "item": t.item.code,
                 "lot": t.lot.code if t.lot is not None else None, "serial": None, "qty": q}
                for t, q in self.lots]  # fmt: skip
        return out

    def lines(self, sscc: str, added: bool) -> list[dict[str, Any]]:
        by: dict[tuple[str, str | None], dict[str, Any]] = {}
        for u in self.units:
            row = by.setdefault((u.item, u.lot), {"item": u.item, "lot": u.lot,
                                                  "qty": Decimal(0), "serials": []})  # fmt: skip
            row["qty"] += 1
            row["serials"].append(u.serial)
        out = list(by.values())
        out += [{"item": t.item.code, "lot": t.lot.code if t.lot is not None else None,
                 "qty": q} for t, q in self.lots]  # fmt: skip
        out += [{"sscc": child.sscc, "qty": Decimal(1)} for child in self.children]
        for row in out:
            row["into" if added else "out_of"] = sscc
        return out


def _split(text: str) -> tuple[str, Decimal | None]:
    """`REF=QTY` typed by hand (a scan keeps its own `=`)."""
    if not is_only_a_scan(text) and "=" in text:
        return split_consume(text)
    return text, None


def _prefix(conn: Connection) -> tuple[str, str]:
    prefix = settings_service.get(conn, "gs1_company_prefix")
    if prefix is None:
        raise InvalidInput(
            "the company's GS1 prefix is not set: tracelot settings set gs1_company_prefix "
            "NNNNNNN (6 to 12 digits), then pack"
        )
    return prefix, settings_service.get(conn, "sscc_extension_digit") or "0"


def _new_lu(conn: Connection, kind: str, location_id: int, op_id: int) -> Row:
    prefix, extension = _prefix(conn)
    lu_id = conn.execute(
        _NEW_LU, {"kind": kind, "location_id": location_id, "created_op_id": op_id}
    ).scalar_one()
    return conn.execute(_SET_SSCC, {"lu": lu_id, "sscc": make_sscc(prefix, lu_id, extension)}).one()


# built once: a pack of a pallet's forty cases writes forty
_NEW_LU = insert(logistic_units).returning(logistic_units.c.id)
_SET_SSCC = (
    update(logistic_units)
    .where(logistic_units.c.id == bindparam("lu"))
    .values(sscc=bindparam("sscc"))
    .returning(*logistic_units.c)
)


def _first_place(conn: Connection, children: Sequence[Row], targets: Sequence[Target]) -> Row:
    if children:
        return check_real(location_by_id(conn, children[0].location_id))
    for t in targets:
        if t.unit is not None:
            loc = location_by_id(conn, t.unit.location_id)
            if status_at(loc.kind) not in ON_HAND:  # shipped, consumed, scrapped ...
                gone = describe_gone(conn, t.unit, status_at(loc.kind))
                raise NotAvailable(f"{t} is {gone}: only stock on hand is packed")
            return check_real(loc)
    t = targets[0]
    query = (
        select(stock.c.location_id)
        .join(locations, locations.c.id == stock.c.location_id)
        .where(stock.c.item_id == t.item.id, stock.c.qty > 0, ~locations.c.virtual)
        .order_by(locations.c.path)
    )
    if t.lot is not None:
        query = query.where(stock.c.lot_id == t.lot.id)
    places = list(conn.execute(query).scalars())
    if not places:
        raise InsufficientStock(f"no {t} on hand")
    if len(places) > 1:
        raise InvalidInput(f"{t} is in several places: say where to pack with --at LOC")
    return location_by_id(conn, places[0])


def _check_child(conn: Connection, child: Row, target: Row | None, place: Row) -> None:
    if target is not None:
        if child.id == target.id:
            raise InvalidInput(f"SSCC {child.sscc} can not be packed into itself")
        outer: Row | None = target
        while outer is not None:  # the case packed into may not be inside the one packed
            outer = container_of(conn, lu_id=outer.id)
            if outer is not None and outer.id == child.id:
                raise InvalidInput(
                    f"SSCC {target.sscc} is inside SSCC {child.sscc}: it can not hold it"
                )
    holder = container_of(conn, lu_id=child.id)
    if holder is not None:
        raise NotAvailable(
            f"SSCC {child.sscc} is packed in SSCC {holder.sscc}: unpack it first "
            f"(tracelot unpack {holder.sscc} {child.sscc})"
        )
    if child.location_id != place.id:
        loc = location_by_id(conn, child.location_id)
        if loc.virtual:
            raise NotAvailable(f"SSCC {child.sscc} is {_gone(conn, child, loc)}")
        raise NotAvailable(
            f"SSCC {child.sscc} is at {loc.path}, the case at {place.path}: move it there first"
        )


def _packed_units(conn: Connection, unit_ids: Sequence[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    return dict(conn.execute(_PACKED_UNITS, {"ids": list(unit_ids)}).all())


_PACKED_UNITS = (
    select(lu_contents.c.unit_id, logistic_units.c.sscc)
    .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
    .where(lu_contents.c.unit_id.in_(bindparam("ids", expanding=True)))
)


def _check_unit(
    conn: Connection, t: Target, qty: Decimal | None, place: Row, packed: dict[int, str]
) -> None:
    unit = t.unit
    assert unit is not None
    if qty is not None and qty != 1:
        raise InvalidInput(f"{t} is a serialized unit: its quantity is 1, not {normalize(qty)}")
    if unit.id in packed:
        raise NotAvailable(f"{t} is packed in SSCC {packed[unit.id]}: unpack it first")
    loc = location_by_id(conn, unit.location_id)
    if status_at(loc.kind) not in ON_HAND or loc.virtual:
        raise NotAvailable(f"{t} is not on hand: it is {status_at(loc.kind).value}")
    if loc.id != place.id:
        raise NotAvailable(f"{t} is at {loc.path}, the case at {place.path}: move it there first")


def _lot_qty(conn: Connection, t: Target, qty: Decimal | None, place: Row) -> Decimal:
    if t.item.tracking == Tracking.SERIAL:
        raise WrongKind(
            f"item {t.item.code} is serial-tracked: name its units ({t.item.code}:SERIAL)"
        )
    if t.item.tracking == Tracking.LOT and t.lot is None:
        raise WrongKind(f"item {t.item.code} is lot-tracked: name its lots (ITEM@LOT=QTY)")
    free = unpacked_qty(conn, t.item.id, t.lot.id if t.lot is not None else None, place.id,
                        lock=True)  # fmt: skip
    if qty is None:
        qty = free
    check_whole(qty, item=t.item.code, uom=t.item.uom)
    if qty <= 0 or qty > free:
        raise InsufficientStock(
            f"not enough {t} at {place.path} to pack: {normalize(qty)} wanted, "
            f"{normalize(free)} there and not packed"
        )
    return qty


def _put(conn: Connection, op_id: int, lu: Row, plan: _Plan) -> None:
    lines: list[dict[str, Any]] = []
    for u in plan.units:
        lines.append({"item_id": u.item_id, "lot_id": u.lot_id, "unit_id": u.unit_id,
                      "child_lu_id": None, "qty": Decimal(1)})  # fmt: skip
    for t, qty in plan.lots:
        lines.append({"item_id": t.item.id, "lot_id": t.lot.id if t.lot is not None else None,
                      "unit_id": None, "child_lu_id": None, "qty": qty})  # fmt: skip
    for child in plan.children:
        lines.append({"item_id": None, "lot_id": None, "unit_id": None,
                      "child_lu_id": child.id, "qty": Decimal(1)})  # fmt: skip
    write_lines(conn, op_id, lu.id, True, lines)
    new_rows = []
    for ln in lines:
        if ln["unit_id"] is None and ln["child_lu_id"] is None:  # a lot: added to its row
            done = conn.execute(
                update(lu_contents)
                .where(lu_contents.c.lu_id == lu.id, lu_contents.c.item_id == ln["item_id"],
                       lu_contents.c.unit_id.is_(None),
                       func.coalesce(lu_contents.c.lot_id, 0) == (ln["lot_id"] or 0))
                .values(qty=lu_contents.c.qty + ln["qty"])
            ).rowcount  # fmt: skip
            if done:
                continue
        new_rows.append({"lu_id": lu.id, **ln})
    insert_rows(conn, "lu_contents", _CONTENT_COLUMNS, (
        tuple(row[c] for c in _CONTENT_COLUMNS) for row in new_rows
    ))  # fmt: skip


_CONTENT_COLUMNS = ("lu_id", "item_id", "lot_id", "unit_id", "child_lu_id", "qty")


def _answer(conn: Connection, op_id: int, lu: Row, lines: list[dict[str, Any]]
            ) -> dict[str, Any]:  # fmt: skip
    done = result(conn, op_id).to_dict()
    fresh = conn.execute(select(logistic_units).where(logistic_units.c.id == lu.id)).one()
    return {**show(conn, fresh), **done, "lines": lines}


def unpack(conn: Connection, command: Unpack, *, user: str, at: dt.datetime | None = None
           ) -> dict[str, Any]:  # fmt: skip
    """Take out of a case what `refs` name (to any depth inside it), or all it holds
    directly (its inner cases stay whole)."""
    c = command
    lu = lu_named(conn, c.sscc)
    place = location_by_id(conn, lu.location_id)
    if place.virtual:
        raise NotAvailable(f"SSCC {lu.sscc} is {_gone(conn, lu, place)}: it can not be unpacked")
    found = tree(conn, [lu.id])
    out: list[tuple[Row, Decimal]] = []  # content rows, and how much of each comes out
    if not c.refs:
        out = [(r, r.qty) for r in found.rows if r.lu_id == lu.id]
        if not out:
            raise InvalidInput(f"SSCC {lu.sscc} is empty")
    else:
        children, rest, _ = split_refs(conn, c.refs)
        split = [_split(text) for text in rest]
        targets = targets_named(conn, [text for text, _ in split])
        for child in children:
            row = next((r for r in found.rows if r.child_lu_id == child.id), None)
            if row is None:
                raise NotAvailable(f"SSCC {child.sscc} is not inside SSCC {lu.sscc}")
            out.append((row, row.qty))
        for t, (_, qty) in zip(targets, split, strict=True):
            if t.unit is not None:
                row = next((r for r in found.rows if r.unit_id == t.unit.id), None)
                if row is None:
                    raise NotAvailable(f"{t} is not packed in SSCC {lu.sscc}")
                out.append((row, row.qty))
                continue
            out += _lot_out(found, t, qty, lu.sscc)
    seen: set[int] = set()
    for row, _ in out:
        if row.id in seen:
            raise InvalidInput("something is named twice")
        seen.add(row.id)
    op_id = new_operation(conn, OperationKind.UNPACK, user=user, at=at, note=c.note)
    write_lines(conn, op_id, lu.id, False, [
        {"lu_id": r.lu_id, "item_id": r.item_id, "lot_id": r.lot_id, "unit_id": r.unit_id,
         "child_lu_id": r.child_lu_id, "qty": qty} for r, qty in out
    ])  # fmt: skip
    for row, qty in out:
        if qty == row.qty:
            conn.execute(delete(lu_contents).where(lu_contents.c.id == row.id))
        else:
            conn.execute(update(lu_contents).where(lu_contents.c.id == row.id)
                         .values(qty=lu_contents.c.qty - qty))  # fmt: skip
    lines = _out_lines(conn, out, lu.sscc)
    return _answer(conn, op_id, lu, lines)


def _lot_out(found: Tree, t: Target, qty: Decimal | None, sscc: str) -> list[tuple[Row, Decimal]]:
    lot_id = t.lot.id if t.lot is not None else None
    rows = [r for r in found.rows if r.unit_id is None and r.child_lu_id is None
            and r.item_id == t.item.id and r.lot_id == lot_id]  # fmt: skip
    inside = sum((r.qty for r in rows), Decimal(0))
    if not rows:
        raise NotAvailable(f"{t} is not packed in SSCC {sscc}")
    wanted = inside if qty is None else check_whole(qty, item=t.item.code, uom=t.item.uom)
    if wanted > inside:
        raise InsufficientStock(
            f"SSCC {sscc} holds {normalize(inside)} of {t}, not {normalize(wanted)}"
        )
    out = []
    for r in rows:  # the case itself first, then the cases inside it (in the order packed)
        take = min(wanted, r.qty)
        if take > 0:
            out.append((r, take))
            wanted -= take
    return out


def _out_lines(conn: Connection, out: Sequence[tuple[Row, Decimal]], sscc: str
               ) -> list[dict[str, Any]]:  # fmt: skip
    rows = [r for r, _ in out]
    items_, lots_ = _names(conn, rows)
    child_ssccs = dict(conn.execute(
        select(logistic_units.c.id, logistic_units.c.sscc)
        .where(logistic_units.c.id.in_([r.child_lu_id for r in rows if r.child_lu_id]))
    ).all())  # fmt: skip
    lines = []
    for r, qty in out:
        if r.child_lu_id is not None:
            lines.append({"sscc": child_ssccs[r.child_lu_id], "qty": Decimal(1)})
        elif r.unit_id is not None:
            lines.append({"item": items_[r.unit_item_id], "lot": lots_.get(r.unit_lot_id),
                          "qty": Decimal(1), "serials": [r.unit_serial]})  # fmt: skip
        else:
            lines.append({"item": items_[r.item_id], "lot": lots_.get(r.lot_id), "qty": qty})
    for line in lines:
        line["out_of"] = sscc
    return lines


def lu_of_scan_row(conn: Connection, lu: Row) -> dict[str, Any]:
    """A logistic unit as a scan reports it: its SSCC, where it is and its totals."""
    found = tree(conn, [lu.id])
    return {**_header(conn, lu), **_totals(found.rows)}


def sscc_of_unit(conn: Connection, item_code: str, serial: str) -> str | None:
    """The SSCC of the case that holds a unit now (the innermost), if one does."""
    return conn.execute(
        select(logistic_units.c.sscc)
        .select_from(lu_contents)
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .join(units, units.c.id == lu_contents.c.unit_id)
        .join(items, items.c.id == units.c.item_id)
        .where(items.c.code == item_code, units.c.serial == serial)
    ).scalar()


def packed_lot_places(conn: Connection, lot_id: int) -> dict[str, list[dict[str, Any]]]:
    """The cases that hold some of a lot, by the code of the location they are at."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(
        select(locations.c.code, logistic_units.c.sscc, lu_contents.c.qty)
        .select_from(lu_contents)
        .join(logistic_units, logistic_units.c.id == lu_contents.c.lu_id)
        .join(locations, locations.c.id == logistic_units.c.location_id)
        .where(lu_contents.c.lot_id == lot_id, lu_contents.c.unit_id.is_(None))
        .order_by(logistic_units.c.sscc)
    ):
        out.setdefault(r.code, []).append({"sscc": r.sscc, "qty": r.qty})
    return out


def shipment_cases(conn: Connection, op_id: int) -> list[dict[str, Any]]:
    """The cases and pallets an operation (a shipment) took along, outermost first, each
    as `show` gives it (its contents nested)."""
    ids = conn.execute(
        select(lu_moves.c.lu_id)
        .where(lu_moves.c.operation_id == op_id, lu_moves.c.outermost)
        .order_by(lu_moves.c.lu_id)
    ).scalars()
    return [show(conn, lu_id) for lu_id in ids]


def handle_pack(conn: Connection, command: Pack, *, user: str, at: dt.datetime | None = None
                ) -> dict[str, Any]:  # fmt: skip
    """Pack (the command): see `pack`."""
    return pack(conn, command, user=user, at=at)


def handle_unpack(conn: Connection, command: Unpack, *, user: str,
                  at: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Unpack (the command): see `unpack`."""
    return unpack(conn, command, user=user, at=at)


def content_refs(conn: Connection, refs: Sequence[str]) -> list[str]:
    """The REFs with each SSCC among them replaced by what its case holds, to any depth
    (its units, and its lots: `trace` of a pallet traces everything on it)."""
    out: list[str] = []
    for ref in refs:
        lu = sscc_named(conn, ref)
        if lu is None:
            out.append(ref)
            continue
        named = dict.fromkeys(_contents_as_refs(conn, lu, quantities=False))
        if not named:
            raise InvalidInput(f"SSCC {lu.sscc} holds no units or lots to trace")
        out += list(named)
    return out


def cases_holding(conn: Connection, unit_ids: Sequence[int]) -> list[str]:
    """The SSCCs of the outermost cases that hold any of these units (none, at once, while
    nothing is packed)."""
    if not unit_ids or conn.execute(ANY_PACKED).first() is None:
        return []
    held = set(conn.execute(select(lu_contents.c.lu_id).where(
        id_in(conn, lu_contents.c.unit_id, sorted(set(unit_ids))))).scalars())  # fmt: skip
    outer: set[int] = set()
    while held:
        parents = dict(conn.execute(
            select(lu_contents.c.child_lu_id, lu_contents.c.lu_id)
            .where(id_in(conn, lu_contents.c.child_lu_id, sorted(held)))
        ).all())  # fmt: skip
        outer |= held - set(parents)
        held = set(parents.values())
    return sorted(conn.execute(select(logistic_units.c.sscc).where(
        id_in(conn, logistic_units.c.id, sorted(outer)))).scalars())  # fmt: skip


def pick_refs(conn: Connection, lu: Row) -> list[str]:
    """What a case holds, to any depth, as a picker would scan it piece by piece: each unit
    `ITEM:SERIAL`, each quantity `ITEM@LOT=QTY` or `ITEM=QTY`."""
    found = _contents_as_refs(conn, lu, quantities=True)
    if not found:
        raise InvalidInput(f"SSCC {lu.sscc} is empty: nothing to pick")
    return found


def _contents_as_refs(conn: Connection, lu: Row, *, quantities: bool) -> list[str]:
    """Each unit and lot a case holds, to any depth, as a REF; with `quantities`, each
    quantity as `ITEM@LOT=QTY` and untracked ones as `ITEM=QTY` too."""
    rows = [r for r in tree(conn, [lu.id]).rows if r.child_lu_id is None]
    items_, lots_ = _names(conn, rows)
    out = []
    for r in rows:
        qty = f"={normalize(r.qty)}" if quantities else ""
        if r.unit_id is not None:
            out.append(f"{items_[r.unit_item_id]}:{r.unit_serial}")
        elif r.lot_id is not None:
            out.append(f"{items_[r.item_id]}@{lots_[r.lot_id]}{qty}")
        elif quantities:
            out.append(f"{items_[r.item_id]}{qty}")
    return out
