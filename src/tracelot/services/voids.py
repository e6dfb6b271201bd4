"""Voiding an operation: a new operation of kind `void` that undoes each of its lines
exactly (the same quantities, the opposite way) and names it.

The original stays on the ledger (append-only); `voids` records which operation voided
it, once: of two racing voids the unique index fails one. The projections end as if the
original had not happened: units back where they were (a voided receipt's units wait at
SUPPLIER naming no one, so their serials can be received again), balances, the cost layers
the original made taken back (those it took given back at the value they had), the holds
it placed released, a build's genealogy links ended, a purchase order's or an advance
shipping notice's receipt undone.

A void is refused, naming them, when later operations depend on what it would undo (a
unit moved on since, a lot's stock gone from where the original put it, a hold, a
repair or a recall of what it made). Operations voided since, and voids, are no longer
in the way. Holds, releases, recalls and repairs are not voided: the refusal names the
operation that undoes them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError

from tracelot.domain.commands import Void
from tracelot.domain.errors import Conflict, NotAvailable, NotFound, WrongKind
from tracelot.domain.status import LocationKind, OperationKind
from tracelot.domain.values import normalize
from tracelot.services import costing, orders
from tracelot.services.ledger import (
    Line,
    apply_stock_deltas,
    held_by_party,
    new_operation,
    now,
    post,
)
from tracelot.services.lookup import item_by_id, location_by_id, location_ids_of_kind, lot_by_id
from tracelot.services.packed import placement_problems, write_lines
from tracelot.services.packing import lock_cases
from tracelot.services.results import OperationResult, OpLine
from tracelot.services.summary import result, summarize
from tracelot.store.bulk import id_in, insert_rows
from tracelot.store.engine import records
from tracelot.store.tables import (
    asns,
    cost_layers,
    genealogy,
    holds,
    inspections,
    items,
    logistic_units,
    lots,
    lu_contents,
    lu_lines,
    lu_moves,
    moves,
    operations,
    po_lines,
    po_receipts,
    purchase_orders,
    recall_items,
    recalls,
    stock,
    units,
    voids,
)

K = OperationKind

#: What a void undoes exactly, and the operation that corrects a part of it instead.
FITTING: dict[str, str] = {
    K.RECEIVE: "return-to-supplier, scrap or adjust what was wrong",
    K.MOVE: "move back what is to go back",
    K.BUILD: "replace a wrong component, or adjust what is left",
    K.SHIP: "return what came back (`return`)",
    K.RETURN_TO_SUPPLIER: "receive again what came back",
    K.RETURN: "ship again what went back",
    K.SCRAP: "adjust what was found again",
    K.ADJUST: "adjust again to the quantity counted",
}

#: Operations that are not voided, and what undoes them instead.
INSTEAD: dict[str, str] = {
    K.HOLD: "release the hold instead (`release REF`)",
    K.RELEASE: "hold it again instead (`hold REF --reason ...`)",
    K.RECALL: "a recall is closed instead (`recall close N`), and its marks recorded again",
    K.REPLACE: "swap the components back by another repair instead (`replace ASSEMBLY "
    "--remove NEW --install OLD`)",
    K.COUNT: "count again (`count start --at LOC`), or adjust (`adjust`) and move back what "
    "it booked wrong",
    K.TRANSFER: "receive it at its destination (`transfer receive N`) and send back what was "
    "not to go by another transfer",
    K.TRANSFER_RECEIVE: "send back what was not to come by another transfer (`transfer REF... "
    "--from SITE --to SITE`)",
    K.INSPECT: "hold it again (`hold REF --reason ...`) and move it back to quarantine",
    K.PACK: "unpack it instead (`unpack SSCC REF...`)",
    K.UNPACK: "pack it again instead (`pack REF... --into SSCC`)",
}

#: How many operations in the way, and of what they touched, a refusal names.
SHOWN = 10


def handle_void(
    conn: Connection, command: Void, *, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """Void (the command): see `void`."""
    return void(conn, user=user, operation=command.operation, reason=command.reason, at=at)


def void(
    conn: Connection,
    *,
    user: str,
    operation: int,
    reason: str,
    at: dt.datetime | None = None,
) -> OperationResult:
    """Reverse an operation exactly by a new operation of kind `void` (its note is the
    reason); refused when it cannot be, saying why and what to do instead."""
    orig = conn.execute(select(operations).where(operations.c.id == operation)).first()
    if orig is None:
        raise NotFound(f"no operation {operation}")
    if orig.kind == K.VOID:
        voided = conn.execute(
            select(voids.c.voided_op_id).where(voids.c.void_op_id == orig.id)
        ).scalar()
        raise WrongKind(
            f"operation {orig.id} is a void (of operation {voided}): a void cannot be voided; "
            f"do what operation {voided} did again instead"
        )
    if orig.kind in INSTEAD:
        raise WrongKind(f"operation {orig.id} is a {orig.kind}: it cannot be voided; "
                        f"{INSTEAD[orig.kind]}")  # fmt: skip
    if orig.kind not in FITTING:
        raise WrongKind(f"operation {orig.id} is a {orig.kind}: it cannot be voided")
    _refuse_voided(conn, orig.id)
    # a unit's lines are undone set-based (a receipt of 100,000 serials has as many); the
    # lines of lots and untracked items, few, one by one with their cost layers
    rows = conn.execute(
        select(moves).where(moves.c.operation_id == orig.id, moves.c.unit_id.is_(None))
        .order_by(moves.c.id)
    ).all()  # fmt: skip
    unit_lines = _unit_lines(conn, orig.id)
    with_units = bool(unit_lines)
    if not rows and not with_units:
        raise WrongKind(f"operation {orig.id} moved nothing: there is nothing to void")
    _refuse_dependents(conn, orig, rows, units_moved_on=any(ln[-1] for ln in unit_lines))

    void_id = new_operation(conn, K.VOID, user=user, at=at, note=reason, party_id=orig.party_id)
    try:
        with conn.begin_nested():  # first: a racing void of the same operation waits here
            conn.execute(
                insert(voids).values(void_op_id=void_id, voided_op_id=orig.id, reason=reason)
            )
    except IntegrityError:
        raise Conflict(
            f"operation {orig.id} was voided by another user meanwhile (conflict)"
        ) from None

    virtual = location_ids_of_kind(conn, virtual=True)
    lines = [
        Line(m.item_id, m.to_location_id, m.from_location_id, Decimal(m.qty), lot_id=m.lot_id,
             # what comes back from outside is worth what went
             value=m.value if m.to_location_id in virtual else None)
        for m in rows
    ]  # fmt: skip
    # a voided receipt's units wait at SUPPLIER naming no one (as a supplier's announced
    # units do), so that their serials can be received again
    party = None if orig.kind == K.RECEIVE else orig.party_id
    deltas: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    groups: dict[tuple[int, int | None, int, int], list[str]] = {}
    if with_units:  # set-based: a receipt of 100,000 serials has as many lines
        _units_back(conn, orig.id, void_id, party, len(unit_lines))
        for item_id, lot_id, source, dest, serial, _ in unit_lines:  # each the other way
            groups.setdefault((item_id, lot_id, dest, source), []).append(serial)
        for (item_id, lot_id, source, dest), serials in groups.items():
            deltas[(item_id, source, lot_id)] -= len(serials)
            deltas[(item_id, dest, lot_id)] += len(serials)
    for ln in lines:
        deltas[(ln.item_id, ln.from_id, ln.lot_id)] -= ln.qty
        deltas[(ln.item_id, ln.to_id, ln.lot_id)] += ln.qty
    apply_stock_deltas(conn, deltas)
    cases = _cases_back(conn, orig.id, void_id)  # before posting: the ledger checks them
    lines = _take_layers_back(conn, lines, orig.id, void_id, virtual)
    posted = post(conn, void_id, lines, party_id=party, applied=True)
    _undo_side_records(conn, orig.id, void_id, (at or now()).date())
    wrong = placement_problems(conn, cases) if cases else []
    if wrong:  # what an operation since packed beside what the void takes back
        raise NotAvailable(
            f"operation {orig.id} ({orig.kind}) cannot be voided: {wrong[0]} afterwards (it "
            f"was packed otherwise since); {FITTING[orig.kind]} instead"
        )
    summary = [_unit_line(conn, key, serials) for key, serials in groups.items()]
    done = result(conn, void_id, summary=summary + summarize(conn, posted))
    done.voids = orig.id
    return done


def _unit_lines(conn: Connection, orig_id: int) -> list[tuple[Any, ...]]:
    """The original's unit lines in order: (item, lot, from, to, serial, moved on since:
    whether a later operation that stands moved the unit), in one pass (the driver's own
    tuples: making 10,000 rows took 60 ms)."""
    later = moves.alias("later")
    settled = settled_ops()
    found = conn.execute(
        select(moves.c.item_id, moves.c.lot_id, moves.c.from_location_id,
               moves.c.to_location_id, units.c.serial,
               exists(select(later.c.id).where(
                   later.c.unit_id == moves.c.unit_id, later.c.operation_id > orig_id,
                   later.c.operation_id.not_in(select(settled.c[0])))))
        .join(units, units.c.id == moves.c.unit_id)
        .where(moves.c.operation_id == orig_id, moves.c.unit_id.is_not(None))
        .order_by(moves.c.id)
    )  # fmt: skip
    with found:
        return found.cursor.fetchall() if found.cursor else []


def _units_back(
    conn: Connection, orig_id: int, void_id: int, party: int | None, count: int
) -> None:
    """Undo the original's `count` unit lines in two statements: each unit back where it
    came from, if it is still where the original put it (else a concurrent operation
    moved it: a conflict), naming `party` if it goes back to a customer; and the void's
    lines."""
    m = moves.alias("m")
    outside = location_ids_of_kind(conn, LocationKind.CUSTOMER.value, LocationKind.SUPPLIER.value)
    names_party = m.c.from_location_id.in_(sorted(outside)) if party is not None else None
    moved = conn.execute(
        update(units)
        .values(location_id=m.c.from_location_id,
                party_id=case((names_party, party), else_=null()) if party is not None
                else null())
        .where(m.c.operation_id == orig_id, m.c.unit_id == units.c.id,
               units.c.location_id == m.c.to_location_id)
    ).rowcount  # fmt: skip
    if moved != count:
        twice = conn.execute(
            select(func.count(moves.c.unit_id) - func.count(func.distinct(moves.c.unit_id)))
            .where(moves.c.operation_id == orig_id)
        ).scalar_one()  # fmt: skip
        if twice:
            raise WrongKind(f"operation {orig_id} moves a unit twice: it cannot be voided")
        raise Conflict(
            f"conflict, retry: another operation moved units of operation {orig_id} meanwhile"
        )
    conn.execute(insert(moves).from_select(
        ["operation_id", "item_id", "lot_id", "unit_id", "from_location_id", "to_location_id",
         "qty", "value"],
        select(literal(void_id), moves.c.item_id, moves.c.lot_id, moves.c.unit_id,
               moves.c.to_location_id, moves.c.from_location_id, moves.c.qty, moves.c.value)
        .where(moves.c.operation_id == orig_id, moves.c.unit_id.is_not(None))
        .order_by(moves.c.id),
    ))  # fmt: skip


def _taken_along(conn: Connection, orig_id: int) -> list[Any]:
    """The cases and pallets the original took along (`lu_moves`), as they are now."""
    return records(conn.execute(
        select(lu_moves.c.lu_id, lu_moves.c.outermost, lu_moves.c.from_location_id,
               logistic_units.c.location_id, logistic_units.c.sscc)
        .join(logistic_units, logistic_units.c.id == lu_moves.c.lu_id)
        .where(lu_moves.c.operation_id == orig_id)
        .order_by(lu_moves.c.id)
    ))  # fmt: skip


def _cases_changed(conn: Connection, orig_id: int, taken: Sequence[Any]) -> str | None:
    """Why the cases the original took along are not as it left them, if they are not:
    each where it took them, the outermost inside nothing, the inner ones inside one of
    them, and nothing inside them that it did not take (what left them since may stay)."""
    dest = conn.execute(
        select(moves.c.to_location_id).where(moves.c.operation_id == orig_id).distinct()
    ).scalars().all()  # fmt: skip
    ids = {r.lu_id for r in taken}
    holders = dict(conn.execute(
        select(lu_contents.c.child_lu_id, lu_contents.c.lu_id)
        .where(id_in(conn, lu_contents.c.child_lu_id, sorted(ids)))
    ).all())  # fmt: skip
    for r in taken:
        if len(dest) == 1 and r.location_id != dest[0]:
            return f"SSCC {r.sscc} is at {location_by_id(conn, r.location_id).path} now"
        holder = holders.get(r.lu_id)
        if (holder is not None) == r.outermost or (holder is not None and holder not in ids):
            return f"SSCC {r.sscc} is packed otherwise now"
    took_units: set[int] = set()
    took: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for unit_id, item_id, lot_id, qty in conn.execute(
        select(moves.c.unit_id, moves.c.item_id, moves.c.lot_id, moves.c.qty)
        .where(moves.c.operation_id == orig_id)
    ):  # fmt: skip
        if unit_id is not None:
            took_units.add(unit_id)
        else:
            took[(item_id, lot_id)] += Decimal(qty)
    held: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for c in conn.execute(select(lu_contents).where(id_in(conn, lu_contents.c.lu_id,
                                                          sorted(ids)))):  # fmt: skip
        if c.unit_id is not None and c.unit_id not in took_units:
            return f"a unit was packed into SSCC {_sscc_of(taken, c.lu_id)} since"
        if c.child_lu_id is not None and c.child_lu_id not in ids:
            return f"a case was packed into SSCC {_sscc_of(taken, c.lu_id)} since"
        if c.unit_id is None and c.child_lu_id is None:
            held[(c.item_id, c.lot_id)] += Decimal(c.qty)
    for key, qty in held.items():
        if qty > took.get(key, Decimal(0)):
            return "more was packed into its cases since than it took"
    return None


def _named(conn: Connection, item_id: int, lot_id: int | None) -> str:
    """An item's code, or a lot's as `ITEM@LOT`."""
    item = item_by_id(conn, item_id).code
    lot = lot_by_id(conn, lot_id)
    return f"{item}@{lot.code}" if lot is not None else item


def _sscc(conn: Connection, lu_id: int) -> str:
    return conn.execute(
        select(logistic_units.c.sscc).where(logistic_units.c.id == lu_id)
    ).scalar_one()


def _sscc_of(taken: Sequence[Any], lu_id: int) -> str:
    return next(r.sscc for r in taken if r.lu_id == lu_id)


def _cases_back(conn: Connection, orig_id: int, void_id: int) -> list[int]:
    """The cases and pallets the original took along go back where each was (naming no
    customer: only a real location's cases move or ship), and the void names them; what
    units the original took out of their cases (a return from a case shipped) go back
    into them. Answers the cases it changed."""
    repacked = _packing_back(conn, orig_id, void_id)
    taken = _taken_along(conn, orig_id)
    if not taken:
        return repacked
    if any(r.from_location_id is None for r in taken):  # written before 0026
        sources = _sources(conn, orig_id, taken)
        taken = [r._replace(from_location_id=r.from_location_id or sources[r.lu_id])
                 for r in taken]  # fmt: skip
    for r in taken:
        conn.execute(
            update(logistic_units)
            .where(logistic_units.c.id == r.lu_id)
            .values(location_id=r.from_location_id, party_id=None)
        )
    insert_rows(conn, "lu_moves", ("operation_id", "lu_id", "outermost", "from_location_id"),
                ((void_id, r.lu_id, r.outermost, r.location_id) for r in taken))  # fmt: skip
    return sorted({*repacked, *(r.lu_id for r in taken)})


def _sources(conn: Connection, orig_id: int, taken: Sequence[Any]) -> dict[int, int]:
    """Where each case came from, for cases taken before tracelot kept it (0026): where
    the original took what its outermost case holds from, to any depth."""
    inside: dict[int, int] = {}  # a case -> its outermost
    for r in taken:
        if r.outermost:
            inside[r.lu_id] = r.lu_id
    parents = dict(conn.execute(
        select(lu_contents.c.child_lu_id, lu_contents.c.lu_id)
        .where(id_in(conn, lu_contents.c.child_lu_id, [r.lu_id for r in taken]))
    ).all())  # fmt: skip
    for r in taken:  # outermost first, then the ones inside them (as `take_out` wrote them)
        if r.lu_id not in inside and parents.get(r.lu_id) in inside:
            inside[r.lu_id] = inside[parents[r.lu_id]]
    came = conn.execute(
        select(lu_contents.c.lu_id, moves.c.from_location_id)
        .join(moves, or_(moves.c.unit_id == lu_contents.c.unit_id,
                         (moves.c.unit_id.is_(None)) & (lu_contents.c.unit_id.is_(None))
                         & (moves.c.item_id == lu_contents.c.item_id)
                         & (func.coalesce(moves.c.lot_id, 0)
                            == func.coalesce(lu_contents.c.lot_id, 0))))
        .where(moves.c.operation_id == orig_id,
               id_in(conn, lu_contents.c.lu_id, list(inside)))
    ).all()  # fmt: skip
    found: dict[int, set[int]] = defaultdict(set)
    for lu_id, source in came:
        found[inside[lu_id]].add(source)
    out = {}
    for r in taken:
        sources = found.get(inside.get(r.lu_id, -1), set())
        if len(sources) != 1:
            raise WrongKind(
                f"operation {orig_id} took SSCC {r.sscc} before tracelot kept where a case "
                f"came from, and what it holds does not say: it cannot be voided; "
                f"{FITTING[K.MOVE]}"
            )
        out[r.lu_id] = next(iter(sources))
    return out


def _packing_back(conn: Connection, orig_id: int, void_id: int) -> list[int]:
    """What the original took out of cases (a unit shipped in a case that came back, by a
    return, left it) goes back into them, and the void's lines of packing say so; a unit
    whose case is no longer where the unit goes back stays out of it. Answers the cases."""
    case_place = logistic_units.c.location_id
    lines = conn.execute(
        select(lu_lines)
        .join(logistic_units, logistic_units.c.id == lu_lines.c.lu_id)
        .outerjoin(units, units.c.id == lu_lines.c.unit_id)
        .where(lu_lines.c.operation_id == orig_id,
               or_(lu_lines.c.unit_id.is_(None), units.c.location_id == case_place))
        .order_by(lu_lines.c.id)
    ).all()  # fmt: skip
    for ln in lines:
        write_lines(conn, void_id, ln.lu_id, not ln.added, [ln._asdict()])
        same = lu_contents.c.lu_id == ln.lu_id
        if ln.unit_id is not None or ln.child_lu_id is not None:  # a unit or a case
            if ln.added:
                conn.execute(delete(lu_contents).where(
                    same, lu_contents.c.unit_id.is_not_distinct_from(ln.unit_id),
                    lu_contents.c.child_lu_id.is_not_distinct_from(ln.child_lu_id)))  # fmt: skip
            else:
                conn.execute(insert(lu_contents).values(
                    lu_id=ln.lu_id, item_id=ln.item_id, lot_id=ln.lot_id, unit_id=ln.unit_id,
                    child_lu_id=ln.child_lu_id, qty=ln.qty))  # fmt: skip
            continue
        # a quantity of a lot or item: the case's row of it grows (or is made) or shrinks
        # (or goes)
        row = (
            same,
            lu_contents.c.item_id == ln.item_id,
            lu_contents.c.lot_id.is_not_distinct_from(ln.lot_id),
            lu_contents.c.unit_id.is_(None),
            lu_contents.c.child_lu_id.is_(None),
        )
        if ln.added:  # (what it put in is there: the check of the cases says if not)
            if not conn.execute(delete(lu_contents).where(*row, lu_contents.c.qty <= ln.qty)
                                ).rowcount:  # fmt: skip
                conn.execute(update(lu_contents).where(*row)
                             .values(qty=lu_contents.c.qty - ln.qty))  # fmt: skip
        elif not conn.execute(update(lu_contents).where(*row)
                              .values(qty=lu_contents.c.qty + ln.qty)).rowcount:  # fmt: skip
            conn.execute(insert(lu_contents).values(
                lu_id=ln.lu_id, item_id=ln.item_id, lot_id=ln.lot_id, qty=ln.qty))  # fmt: skip
    return sorted({ln.lu_id for ln in lines})


def _unit_line(
    conn: Connection, key: tuple[int, int | None, int, int], serials: list[str]
) -> OpLine:
    item_id, lot_id, source, dest = key
    lot = lot_by_id(conn, lot_id)
    return OpLine(item_by_id(conn, item_id).code, lot.code if lot is not None else None,
                  location_by_id(conn, source).path, location_by_id(conn, dest).path,
                  Decimal(len(serials)), serials)  # fmt: skip


def _refuse_voided(conn: Connection, op_id: int) -> None:
    by = conn.execute(select(voids.c.void_op_id).where(voids.c.voided_op_id == op_id)).scalar()
    if by is not None:
        raise NotAvailable(f"operation {op_id} is voided already (by operation {by})")


def settled_ops() -> Any:
    """Operations that no longer count as done after another: voids, and those voided."""
    return union(select(voids.c.void_op_id), select(voids.c.voided_op_id)).subquery()


def _refuse_dependents(
    conn: Connection, orig: Any, rows: Sequence[Any], *, units_moved_on: bool = True
) -> None:
    """Refuse, naming them, when later operations depend on what the void would undo
    (`units_moved_on`: whether any of its units has later lines, if known already)."""
    virtual = location_ids_of_kind(conn, virtual=True)
    settled = settled_ops()
    in_the_way: dict[int, dict[str, None]] = defaultdict(dict)

    def note(found: Iterable[Any]) -> None:
        for op_id, what in found:
            in_the_way[op_id].setdefault(what, None)

    # units the original moved, moved since (or held, repaired, recalled)
    moved = select(moves.c.unit_id).where(
        moves.c.operation_id == orig.id, moves.c.unit_id.is_not(None)
    )
    ref = items.c.code + ":" + units.c.serial
    by_orig = moves.alias("by_orig")

    def moved_by_orig(unit_id: Any) -> Any:  # probed from the (few) later rows' side
        return exists(select(by_orig.c.id).where(by_orig.c.unit_id == unit_id,
                                                 by_orig.c.operation_id == orig.id))  # fmt: skip

    if units_moved_on:
        note(conn.execute(
            select(moves.c.operation_id, ref)
            .join(units, units.c.id == moves.c.unit_id)
            .join(items, items.c.id == units.c.item_id)
            .where(moves.c.unit_id.in_(moved), moves.c.operation_id > orig.id,
                   moves.c.operation_id.not_in(select(settled.c[0])))
            .order_by(moves.c.operation_id, moves.c.id)
            .limit(200)
        ))  # fmt: skip
    note(conn.execute(
        select(holds.c.placed_op_id, ref)
        .join(units, units.c.id == holds.c.unit_id)
        .join(items, items.c.id == units.c.item_id)
        .where(holds.c.placed_op_id > orig.id, moved_by_orig(holds.c.unit_id))
        .order_by(holds.c.placed_op_id)
        .limit(200)
    ))  # fmt: skip
    note(conn.execute(
        select(genealogy.c.operation_id, ref)
        .join(units, units.c.id == genealogy.c.parent_unit_id)
        .join(items, items.c.id == units.c.item_id)
        .where(genealogy.c.operation_id > orig.id, moved_by_orig(genealogy.c.parent_unit_id),
               genealogy.c.operation_id.not_in(select(settled.c[0])))
        .order_by(genealogy.c.operation_id)
        .limit(200)
    ))  # fmt: skip
    note(conn.execute(
        select(recalls.c.opened_op_id, ref)
        .select_from(recall_items)
        .join(recalls, recalls.c.id == recall_items.c.recall_id)
        .join(units, units.c.id == recall_items.c.unit_id)
        .join(items, items.c.id == units.c.item_id)
        .where(recalls.c.opened_op_id > orig.id, moved_by_orig(recall_items.c.unit_id))
        .order_by(recalls.c.opened_op_id)
        .limit(200)
    ))  # fmt: skip
    # units the original moved, packed since into a case it did not take along (its cases
    # held first: a pack into one, or a move of one, at the same moment waits)
    taken = _taken_along(conn, orig.id)
    lock_cases(conn, {r.lu_id: (r.location_id, r.sscc) for r in taken})
    note(conn.execute(
        select(lu_lines.c.operation_id, ref)
        .join(lu_contents, and_(lu_contents.c.unit_id == lu_lines.c.unit_id,
                                lu_contents.c.lu_id == lu_lines.c.lu_id))
        .join(units, units.c.id == lu_lines.c.unit_id)
        .join(items, items.c.id == units.c.item_id)
        .where(lu_lines.c.added, lu_lines.c.operation_id > orig.id,
               lu_lines.c.unit_id.in_(moved),
               lu_contents.c.lu_id.not_in([r.lu_id for r in taken]))
        .order_by(lu_lines.c.operation_id)
        .limit(200)
    ))  # fmt: skip
    # cases the original took along, no longer as it left them: the operations since
    # that packed, unpacked or took them along are named (or, if none is, why)
    changed = _cases_changed(conn, orig.id, taken) if taken else None
    if changed is not None:
        ids = sorted(r.lu_id for r in taken)
        ssccs = {r.lu_id: r.sscc for r in taken}
        found = conn.execute(union(
            select(lu_lines.c.operation_id, func.coalesce(lu_lines.c.child_lu_id,
                                                          lu_lines.c.lu_id))
            .where(or_(id_in(conn, lu_lines.c.lu_id, ids),
                       id_in(conn, lu_lines.c.child_lu_id, ids)),
                   lu_lines.c.operation_id > orig.id),
            select(lu_moves.c.operation_id, lu_moves.c.lu_id)
            .where(id_in(conn, lu_moves.c.lu_id, ids), lu_moves.c.operation_id > orig.id,
                   lu_moves.c.operation_id.not_in(select(settled.c[0]))),
        ).order_by("operation_id").limit(200)).all()  # fmt: skip
        note((op_id, f"SSCC {ssccs.get(lu_id) or _sscc(conn, lu_id)}") for op_id, lu_id in found)
        if not found:
            raise NotAvailable(f"operation {orig.id} ({orig.kind}) cannot be voided: {changed}; "
                               f"{FITTING[orig.kind]} instead")  # fmt: skip
    # lots the original made: held or recalled since
    made = select(lots.c.id).where(lots.c.created_op_id == orig.id)
    lot_ref = items.c.code + "@" + lots.c.code
    note(conn.execute(
        select(holds.c.placed_op_id, lot_ref)
        .join(lots, lots.c.id == holds.c.lot_id)
        .join(items, items.c.id == lots.c.item_id)
        .where(holds.c.lot_id.in_(made), holds.c.unit_id.is_(None), holds.c.placed_op_id > orig.id)
        .order_by(holds.c.placed_op_id)
        .limit(200)
    ))  # fmt: skip
    note(conn.execute(
        select(recalls.c.opened_op_id, lot_ref)
        .select_from(recall_items)
        .join(recalls, recalls.c.id == recall_items.c.recall_id)
        .join(lots, lots.c.id == recall_items.c.lot_id)
        .join(items, items.c.id == lots.c.item_id)
        .where(recall_items.c.lot_id.in_(made), recalls.c.opened_op_id > orig.id)
        .order_by(recalls.c.opened_op_id)
        .limit(200)
    ))  # fmt: skip
    # quantities of lots and untracked items the original took to its customer, given back
    # by the customer since (a return): the void would take them back a second time
    customers = location_ids_of_kind(conn, LocationKind.CUSTOMER.value)
    sent: dict[tuple[int, int | None, int], Decimal] = defaultdict(Decimal)
    for m in rows:
        if m.unit_id is None and m.to_location_id in customers and orig.party_id is not None:
            sent[(m.item_id, m.lot_id, m.to_location_id)] += Decimal(m.qty)
    for (item_id, lot_id, loc), qty in sorted(sent.items(), key=lambda kv: str(kv[0])):
        held, _ = held_by_party(conn, item_id, lot_id, orig.party_id, loc)
        if held >= qty:
            continue
        lot_match = moves.c.lot_id.is_(None) if lot_id is None else moves.c.lot_id == lot_id
        shown = (f"{_named(conn, item_id, lot_id)} ({normalize(held)} of {normalize(qty)} "
                 "still with the customer)")  # fmt: skip
        back = conn.execute(
            select(moves.c.operation_id)
            .join(operations, operations.c.id == moves.c.operation_id)
            .where(moves.c.item_id == item_id, lot_match, moves.c.from_location_id == loc,
                   operations.c.party_id == orig.party_id, moves.c.operation_id > orig.id,
                   moves.c.operation_id.not_in(select(settled.c[0])))
            .group_by(moves.c.operation_id)
            .order_by(moves.c.operation_id)
            .limit(50)
        ).scalars().all()  # fmt: skip
        if not back:
            raise NotAvailable(f"operation {orig.id} ({orig.kind}) cannot be voided: {shown}; "
                               f"{FITTING[orig.kind]} instead")  # fmt: skip
        note((op_id, shown) for op_id in back)
    # quantities of lots and untracked items to take back from where the original put
    # them: gone from there since, by whom
    needed: dict[tuple[int, int, int | None], Decimal] = defaultdict(Decimal)
    for m in rows:
        if m.unit_id is None and m.to_location_id not in virtual:
            needed[(m.item_id, m.to_location_id, m.lot_id)] += Decimal(m.qty)
    for (item_id, loc, lot_id), qty in sorted(needed.items(), key=lambda kv: str(kv[0])):
        lot_match = moves.c.lot_id.is_(None) if lot_id is None else moves.c.lot_id == lot_id
        there = conn.execute(
            select(stock.c.qty).where(
                stock.c.item_id == item_id,
                stock.c.location_id == loc,
                func.coalesce(stock.c.lot_id, 0) == (lot_id or 0),
            )
        ).scalar()
        if there is not None and Decimal(there) >= qty:
            continue
        what = _named(conn, item_id, lot_id)
        found = conn.execute(
            select(moves.c.operation_id)
            .where(moves.c.item_id == item_id, lot_match, moves.c.from_location_id == loc,
                   moves.c.operation_id > orig.id,
                   moves.c.operation_id.not_in(select(settled.c[0])))
            .group_by(moves.c.operation_id)
            .order_by(moves.c.operation_id)
            .limit(50)
        ).scalars()  # fmt: skip
        shown = f"{what} ({normalize(Decimal(there or 0))} of {normalize(qty)} left)"
        note((op_id, shown) for op_id in found)
        if not in_the_way:
            raise NotAvailable(
                f"operation {orig.id} ({orig.kind}) cannot be voided: {shown} where it put "
                f"it; {FITTING[orig.kind]} instead"
            )
    if not in_the_way:
        return
    kinds = dict(
        conn.execute(
            select(operations.c.id, operations.c.kind).where(operations.c.id.in_(list(in_the_way)))
        ).all()
    )
    ordered = sorted(in_the_way)
    named = []
    for op_id in ordered[:SHOWN]:
        refs = list(in_the_way[op_id])
        shown = ", ".join(refs[:3]) + (f" and {len(refs) - 3} more" if len(refs) > 3 else "")
        named.append(f"{kinds.get(op_id, 'operation')} {op_id} ({shown})")
    more = f" and {len(ordered) - SHOWN} more" if len(ordered) > SHOWN else ""
    packs = {K.PACK, K.UNPACK} & {kinds.get(op_id) for op_id in ordered}
    first = (
        "Undo those first, the newest first (void them; a pack is undone by unpacking, an "
        "unpack by packing again)" if packs else "Void those first (the newest first)"
    )  # fmt: skip
    raise NotAvailable(
        f"operation {orig.id} ({orig.kind}) cannot be voided: later operations depend on "
        f"what it would undo: {'; '.join(named)}{more}. {first}, or correct only what is "
        f"wrong: {FITTING[orig.kind]}"
    )


def _take_layers_back(
    conn: Connection, lines: list[Line], orig_id: int, void_id: int, virtual: frozenset[int]
) -> list[Line]:
    """Value the void's lines that take a lot or an untracked item from a real location:
    first the cost layers the original made there, then the oldest; a line to a real
    location (a move's way back) takes them along with their cost and place in the
    queue. The other lines keep the values they were given (and those coming in from
    outside get their layer when posted)."""
    out: list[Line] = []
    added: list[tuple[Any, ...]] = []
    for ln in lines:
        if ln.value is not None or ln.unit_id is not None or ln.from_id in virtual:
            out.append(ln)
            continue
        value, taken = _take(conn, ln, orig_id)
        out.append(ln._replace(value=value))
        if ln.to_id not in virtual:
            added += [(ln.item_id, ln.lot_id, ln.to_id, seq, void_id, qty, qty, cost)
                      for qty, cost, seq in taken if qty > 0]  # fmt: skip
    insert_rows(conn, "cost_layers", _LAYER_COLUMNS, added)
    return out


_LAYER_COLUMNS = ("item_id", "lot_id", "location_id", "seq", "operation_id", "qty_in",
                  "qty_left", "unit_cost")  # fmt: skip


def _take(
    conn: Connection, ln: Line, orig_id: int
) -> tuple[Decimal, list[tuple[Decimal, Decimal, int | None]]]:
    order = func.coalesce(cost_layers.c.seq, cost_layers.c.id)
    query = (
        select(cost_layers.c.id, cost_layers.c.qty_left, cost_layers.c.unit_cost, order)
        .where(
            cost_layers.c.item_id == ln.item_id,
            cost_layers.c.lot_id.is_(None)
            if ln.lot_id is None
            else cost_layers.c.lot_id == ln.lot_id,
            cost_layers.c.location_id == ln.from_id,
            cost_layers.c.operation_id == orig_id,
            cost_layers.c.qty_left > 0,
        )
        .order_by(cost_layers.c.id)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    remaining = ln.qty
    taken: list[tuple[Decimal, Decimal, int | None]] = []
    for layer_id, left, cost, seq in conn.execute(query).all():
        take = min(Decimal(left), remaining)
        conn.execute(
            update(cost_layers)
            .where(cost_layers.c.id == layer_id)
            .values(qty_left=cost_layers.c.qty_left - take)
        )
        taken.append((take, cost, seq))
        remaining -= take
        if remaining == 0:
            break
    if remaining > 0:  # the rest from the oldest layers there
        _, more = costing.take_layers(conn, ln.item_id, ln.lot_id, ln.from_id, remaining)
        taken += more
    value = costing.money(sum((q * c for q, c, _ in taken), Decimal(0)))
    return value, taken


def _undo_side_records(conn: Connection, orig_id: int, void_id: int, today: dt.date) -> None:
    """What the original recorded beside its lines: a build's genealogy links end, the
    holds it placed are released, a receipt against a purchase order or an advance
    shipping notice no longer counts."""
    conn.execute(
        update(genealogy)
        .where(genealogy.c.operation_id == orig_id, genealogy.c.removed_op_id.is_(None))
        .values(removed_op_id=void_id)
    )
    conn.execute(
        update(holds)
        .where(holds.c.placed_op_id == orig_id, holds.c.released_op_id.is_(None))
        .values(released_op_id=void_id)
    )
    received = conn.execute(
        select(po_receipts.c.po_line_id, po_receipts.c.qty, po_lines.c.po_id)
        .join(po_lines, po_lines.c.id == po_receipts.c.po_line_id)
        .where(po_receipts.c.operation_id == orig_id)
        .order_by(po_receipts.c.id)
    ).all()
    for line_id, qty, po_id in received:
        conn.execute(
            update(po_lines)
            .where(po_lines.c.id == line_id)
            .values(received=po_lines.c.received - qty)
        )
        conn.execute(insert(po_receipts).values(po_line_id=line_id, operation_id=void_id, qty=-qty))
        conn.execute(  # received in full no longer: open again
            update(purchase_orders)
            .where(purchase_orders.c.id == po_id, purchase_orders.c.status == "closed")
            .values(status="open", closed_at=None)
        )
    conn.execute(
        update(asns)
        .where(asns.c.received_op_id == orig_id)
        .values(status="open", received_op_id=None)
    )
    # what a voided receipt held for inspection waits no more (received again, it waits
    # anew); what a voided failure sent back or scrapped waits for its inspection again
    conn.execute(
        update(inspections)
        .where(inspections.c.received_op_id == orig_id, inspections.c.status == "waiting")
        .values(status="voided", result_op_id=void_id)
    )
    # a shipment against sales orders: the orders want it again, reserved afresh
    orders.unship(conn, orig_id, void_id, today)
    conn.execute(
        update(inspections)
        .where(inspections.c.result_op_id == orig_id, inspections.c.status == "failed")
        .values(
            status="waiting",
            result_op_id=None,
            inspector=None,
            decided_at=None,
            reason=None,
            disposition=None,
        )  # fmt: skip
    )


# -- reading: which operations are voided, and by what ---------------------------------------


def voided_by(conn: Connection, op_ids: Iterable[int]) -> dict[int, int]:
    """The void of each of `op_ids` that is voided: {operation: void}."""
    return _pairs(conn, voids.c.voided_op_id, voids.c.void_op_id, op_ids)


def voids_of(conn: Connection, op_ids: Iterable[int]) -> dict[int, int]:
    """The operation each void among `op_ids` voids: {void: operation}."""
    return _pairs(conn, voids.c.void_op_id, voids.c.voided_op_id, op_ids)


def _pairs(conn: Connection, key: Any, value: Any, op_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(op_ids))
    if not ids:
        return {}
    return dict(conn.execute(select(key, value).where(id_in(conn, key, ids))).all())


def voided_outputs(conn: Connection, item_id: int, serials: Sequence[str]) -> dict[str, int]:
    """Of an item's `serials`, the units a voided build made (they wait at PRODUCTION, as
    before it made them): built again, their rows are reused. {serial: unit id}"""
    if not serials:
        return {}
    assembly = location_ids_of_kind(conn, LocationKind.ASSEMBLY.value)
    query = (
        select(units.c.serial, units.c.id)
        .join(voids, voids.c.voided_op_id == units.c.created_op_id)
        .join(operations, operations.c.id == units.c.created_op_id)
        .where(units.c.item_id == item_id, units.c.serial.in_(list(serials)),
               units.c.location_id.in_(assembly), operations.c.kind == K.BUILD)
    )  # fmt: skip
    return {serial: unit_id for serial, unit_id in conn.execute(query)}


def mark(conn: Connection, rows: list[dict[str, Any]], key: str = "operation") -> None:
    """Add `voided_by` and `voids` to rows naming an operation (by `key`)."""
    ids = [row[key] for row in rows if row.get(key) is not None]
    by, of = voided_by(conn, ids), voids_of(conn, ids)
    for row in rows:
        row["voided_by"] = by.get(row.get(key))  # type: ignore[arg-type]
        row["voids"] = of.get(row.get(key))  # type: ignore[arg-type]


def operation(conn: Connection, op_id: int) -> OperationResult:
    """An operation as its answer was: its row and its lines, with `voided_by` (the void
    that reversed it) or `voids` (the operation it reversed)."""
    row = conn.execute(select(operations.c.id).where(operations.c.id == op_id)).first()
    if row is None:
        raise NotFound(f"no operation {op_id}")
    rows = conn.execute(
        select(moves).where(moves.c.operation_id == op_id).order_by(moves.c.id)
    ).all()
    lines = [
        Line(m.item_id, m.from_location_id, m.to_location_id, Decimal(m.qty), lot_id=m.lot_id,
             unit_id=m.unit_id, value=m.value)
        for m in rows
    ]  # fmt: skip
    found = result(conn, op_id, lines)
    found.voided_by = voided_by(conn, [op_id]).get(op_id)
    found.voids = voids_of(conn, [op_id]).get(op_id)
    reason = conn.execute(select(voids.c.reason).where(voids.c.voided_op_id == op_id)).scalar()
    found.void_reason = reason
    return found
