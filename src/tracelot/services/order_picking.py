"""Picking a sales order: the pick list in walking order, and picks confirmed by scanning.

The pick list is what is reserved for the order and not picked yet, sorted by the
locations' pick sequence (then code): first-expiry-first-out, as reserving chose it.
Stock reserved that has since become held, expired or quarantined is left off, and its
line reported short with the reason. A pick confirmed by scanning is checked against the
order: a wrong item or lot, an expired, held or otherwise reserved unit is refused with
the reason; a unit of the right item that is free may stand in for a reserved one. Picks
are not ledger moves: the stock stays where it is (reserved) until it is shipped
(`ship --so N` ships what was picked).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select

from tracelot.domain.commands import PickScans
from tracelot.domain.errors import InvalidInput, NotAvailable, WrongKind
from tracelot.domain.refs import parse_ref
from tracelot.domain.scan import is_only_a_scan, looks_like_scan
from tracelot.domain.status import LocationKind
from tracelot.domain.uom import check_whole
from tracelot.domain.values import normalize, parse_qty
from tracelot.services import orders, packing
from tracelot.services.holds import held_lot_ids, held_lots_of, open_holds
from tracelot.services.ledger import now
from tracelot.services.lookup import (
    Target,
    codes_ahead,
    is_expired,
    location_by_id,
    refs_ahead,
    target_of,
)
from tracelot.services.picking import check_unit_available
from tracelot.services.reservations import lock_balances, lock_balances_of, reservations_changed
from tracelot.services.resolver import (
    location_named,
    may_be_an_sscc,
    names_a_location,
    read,
    targets_named,
)
from tracelot.store.bulk import id_in, insert_rows, rows_params, rows_source
from tracelot.store.engine import cache, records
from tracelot.store.tables import (
    holds,
    items,
    locations,
    lots,
    reservations,
    so_lines,
    so_picks,
    units,
)

_KEY = tuple[int, int, int | None, int | None]  # line, location, lot, unit


@functools.cache
def _picked_query(by_lines: bool) -> Any:
    query = select(so_picks).where(so_picks.c.so_id == bindparam("so_id"),
                                   so_picks.c.shipped_op_id.is_(None))  # fmt: skip
    if by_lines:
        query = query.where(so_picks.c.so_line_id.in_(bindparam("line_ids", expanding=True)))
    return query


def _picked(conn: Connection, so_id: int, line_ids: list[int] | None = None) -> dict[_KEY, Decimal]:
    """What is picked and not shipped yet of an order (of some lines), by where and what."""
    picked: dict[_KEY, Decimal] = defaultdict(Decimal)
    query = _picked_query(line_ids is not None)
    for p in conn.execute(query, {"so_id": so_id, "line_ids": line_ids}).all():
        picked[(p.so_line_id, p.location_id, p.lot_id, p.unit_id)] += Decimal(p.qty)
    return picked


def _reserved_rows(conn: Connection, so_id: int, line_ids: list[int] | None = None) -> list[Any]:
    """What is reserved for an order (for some lines), in walking order."""
    params = {"so_id": so_id, "line_ids": line_ids}
    return records(conn.execute(_reserved_query(line_ids is not None), params))


@functools.cache
def _reserved_query(by_lines: bool) -> Any:
    """The query of `_reserved_rows`, built once (building it cost more than running it)."""
    where = [reservations.c.so_id == bindparam("so_id")]
    if by_lines:  # some lines': a batch of picks' question
        where.append(reservations.c.so_line_id.in_(bindparam("line_ids", expanding=True)))
    return (
        select(reservations, locations.c.code.label("location"),
               locations.c.path.label("location_path"), locations.c.kind,
               locations.c.pick_sequence, items.c.code.label("item"),
               items.c.name.label("item_name"), lots.c.code.label("lot"),
               units.c.serial, units.c.expires.label("unit_expires"), lots.c.expires)
        .join(locations, locations.c.id == reservations.c.location_id)
        .join(items, items.c.id == reservations.c.item_id)
        .outerjoin(lots, lots.c.id == reservations.c.lot_id)
        .outerjoin(units, units.c.id == reservations.c.unit_id)
        .where(*where)
        .order_by(locations.c.pick_sequence.is_(None), locations.c.pick_sequence,
                  locations.c.code, items.c.code, lots.c.expires.is_(None), lots.c.expires,
                  lots.c.code, units.c.serial, reservations.c.id)
    )  # fmt: skip


def _why_not(conn: Connection, r: Any, today: dt.date, held_lots: set[int],
             held_units: set[int]) -> str | None:  # fmt: skip
    """Why reserved stock can not be picked now (None: it can)."""
    if r.kind == LocationKind.QUARANTINE.value:
        return f"quarantined at {r.location_path}"
    if r.lot_id in held_lots or (r.unit_id is not None and r.unit_id in held_units):
        return "held"
    expires = r.unit_expires or r.expires
    if is_expired(expires, today):
        return f"expired on {expires.isoformat()}"
    return None


def pick_list(conn: Connection, so_id: int, *, today: dt.date) -> dict[str, Any]:
    """The order's pick list in walking order, and its lines that are short (with why)."""
    order = orders.order_row(conn, so_id)
    if order.status not in orders.ACTIVE:
        hint = ": confirm it first (`tracelot so confirm`)" if order.status == orders.DRAFT else ""
        raise NotAvailable(f"sales order {so_id} is {order.status}{hint}")
    picked = _picked(conn, so_id)
    held_units = set(conn.execute(select(holds.c.unit_id).where(
        holds.c.released_op_id.is_(None), holds.c.unit_id.is_not(None))).scalars())  # fmt: skip
    held_lots: set[int] = set()
    rows: list[dict[str, Any]] = []
    blocked: dict[int, list[str]] = defaultdict(list)
    pickable: dict[int, Decimal] = defaultdict(Decimal)
    lines = {ln.id: ln for ln in orders.order_lines(conn, so_id)}
    for item_id in sorted({ln.item_id for ln in lines.values()}):
        held_lots |= held_lot_ids(conn, item_id)
    for r in _reserved_rows(conn, so_id):
        key = (r.so_line_id, r.location_id, r.lot_id, r.unit_id)
        done = min(picked.get(key, Decimal(0)), Decimal(r.qty))
        picked[key] = picked.get(key, Decimal(0)) - done
        left = Decimal(r.qty) - done
        if left <= 0:
            continue
        why = _why_not(conn, r, today, held_lots, held_units)
        if why is not None:
            ref = r.item + (f":{r.serial}" if r.serial else f"@{r.lot}" if r.lot else "")
            blocked[r.so_line_id].append(f"{ref} {why}")
            continue
        pickable[r.so_line_id] += left
        rows.append({
            "seq": len(rows) + 1, "location": r.location, "location_path": r.location_path,
            "pick_sequence": r.pick_sequence, "line": lines[r.so_line_id].line_no,
            "item": r.item, "item_name": r.item_name, "lot": r.lot, "serial": r.serial,
            "expires": r.unit_expires or r.expires, "qty": left,
        })  # fmt: skip
    picked_now = orders.picked_by_line(conn, so_id)
    short = []
    for ln in sorted(lines.values(), key=lambda x: x.line_no):
        need = ln.qty - ln.shipped - picked_now.get(ln.id, Decimal(0))
        missing = need - pickable.get(ln.id, Decimal(0))
        if missing > 0:
            reasons = blocked.get(ln.id) or ["not reserved: not enough stock free"]
            short.append({"line": ln.line_no, "item": ln.item, "qty": missing,
                          "reason": "; ".join(reasons)})  # fmt: skip
    return {"order": so_id, "customer": order.customer, "status": order.status,
            "ship_by": order.ship_by, "rows": rows, "short": short}  # fmt: skip


# -- picking by scanning ----------------------------------------------------------------------


def _split(text: str) -> tuple[str, Decimal | None]:
    if not is_only_a_scan(text) and "=" in text:
        ref, _, qty = text.partition("=")
        return ref, parse_qty(qty, what=f"quantity of {ref}")
    return text, None


class _Order:
    """What a batch of picks checks against, read for the items the batch names (a batch
    of a long order reads its own lines, not all of them): their lines and what is left
    of each, what is reserved for them (in walking order) and picked of it, and which of
    their lots are held."""

    def __init__(self, conn: Connection, so_id: int) -> None:
        self.conn, self.id = conn, so_id
        self.by_item: dict[int, list[Row]] = {}
        self.left: dict[int, Decimal] = {}
        self.reserved: dict[int, list[Any]] = defaultdict(list)
        self.picked: dict[int, dict[_KEY, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.held: set[tuple[int, int | None]] = set()
        self.touched: dict[int, Row] = {}

    def load(self, item_ids: Iterable[int]) -> None:
        """Read the lines of these items (those not read yet), and what goes with them."""
        ids = sorted({i for i in item_ids if i not in self.by_item})
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for item_id in chunk:
                self.by_item[item_id] = []
            # PostgreSQL: a count or a taker of these items waits for the batch, which reads
            # what is reserved after they are done (one statement per 500 items)
            lock_balances_of(self.conn, chunk)
            lines = orders.order_lines(self.conn, self.id, chunk)
            line_ids = [ln.id for ln in lines]
            picked = _picked(self.conn, self.id, line_ids)
            for key, qty in picked.items():
                self.picked[key[0]][key] += qty
            for ln in lines:
                self.by_item[ln.item_id].append(ln)
                self.left[ln.id] = ln.qty - ln.shipped - sum(self.picked[ln.id].values(),
                                                             Decimal(0))  # fmt: skip
            for r in _reserved_rows(self.conn, self.id, line_ids):
                self.reserved[r.so_line_id].append(r)
            self.held |= held_lots_of(self.conn, chunk)

    def progress(self) -> list[dict[str, Any]]:
        """The lines the batch picked for, as it leaves them."""
        return [_line_progress(ln, ln.qty - ln.shipped - self.left[ln.id])
                for ln in sorted(self.touched.values(), key=lambda x: x.line_no)]  # fmt: skip


def handle_pick(
    conn: Connection, command: PickScans, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Confirm picks for an order by scanning, all of them or (refused) none. The order is
    read once for the batch; the picks of lots and items are written at once at its end."""
    c = command
    order = orders.order_row(conn, c.so_id, lock=True)
    if order.status not in orders.ACTIVE:
        hint = ": confirm it first (`tracelot so confirm`)" if order.status == orders.DRAFT else ""
        raise NotAvailable(f"sales order {order.id} is {order.status}{hint}")
    moment = at or now()
    today = moment.date()
    # a case or pallet scanned is picked piece by piece, at its place
    cases = {text: lu for text in c.scans
             if may_be_an_sscc(text) and (lu := packing.sscc_named(conn, text))}  # fmt: skip
    if not c.at and not cases:
        fast = _lots_at_once(conn, order.id, c.scans, user, moment)
        if fast is not None:
            return fast
    bin_ = location_named(conn, c.at) if c.at else None
    state = _Order(conn, order.id)
    state.load(_read_ahead(conn, [t for t in c.scans if t not in cases]))
    left = state.left
    answers: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    for given, text, case_at in _pieces(conn, c.scans, cases):
        scan = read(conn, text)  # read once: where, what, and a pack's quantity
        if case_at is None and names_a_location(conn, scan):
            bin_ = location_named(conn, text)
            continue
        ref, qty = _split(text)
        if scan.form == "plain" and ref != text:  # ITEM@LOT=QTY typed: its REF, read once
            target = target_of(conn, parse_ref(ref))
        else:
            (target,) = targets_named(conn, [ref])
            if qty is None and not is_only_a_scan(ref):
                qty = scan.qty
        state.load([target.item.id])  # a GS1 scan's item, known only now
        line = orders.line_for(state.by_item, target, left, order.id)
        state.touched[line.id] = line
        if left[line.id] <= 0:
            all_ = normalize(line.qty - line.shipped)
            raise InvalidInput(f"line {line.line_no} ({line.item}) of sales order {order.id}: "
                               f"all {all_} picked already")  # fmt: skip
        here = case_at or bin_
        if target.unit is not None:
            lock_balances(conn, line.item_id, reserving=True)
            rows = [_pick_unit(conn, order.id, line, target, here, today)]
        else:
            rows = _pick_quantity(conn, state, line, target, qty, left[line.id], here, today)
        got = sum((r["qty"] for r in rows), Decimal(0))
        left[line.id] -= got
        picks = [{**r, "so_id": order.id, "so_line_id": line.id, "item_id": line.item_id,
                  "picked_at": moment, "user_name": user} for r in rows]  # fmt: skip
        if target.unit is not None:  # a unit's pick is seen by the next unit's checks
            conn.execute(insert(so_picks), picks)
        else:
            later += picks
        where = ", ".join(sorted({location_by_id(conn, r["location_id"]).path for r in rows}))
        answers.append({"input": given, "line": line.line_no, "item": line.item,
                        "lot": target.lot.code if target.lot is not None else None,
                        "serial": target.unit.serial if target.unit is not None else None,
                        "qty": got, "location_path": where,
                        "left": left[line.id]})  # fmt: skip
    if later:
        conn.execute(insert(so_picks), later)
    return {"order": order.id, "at": bin_.code if bin_ is not None else None,
            "picked": answers, "lines": state.progress(),
            "short_lines": _short_lines(conn, order.id)}  # fmt: skip


def _pieces(conn: Connection, scans: Sequence[str], cases: dict[str, Row]
            ) -> Iterator[tuple[str, str, Row | None]]:  # fmt: skip
    """Each scan as (what was scanned, what to pick, the case's place when it is a piece
    of a case scanned by its SSCC)."""
    for text in scans:
        lu = cases.get(text)
        if lu is None:
            yield text, text, None
            continue
        place = location_by_id(conn, lu.location_id)
        for piece in packing.pick_refs(conn, lu):
            yield text, piece, place


# -- a batch of lot quantities typed as ITEM@LOT=QTY, set-based ---------------------------------


def _lots_at_once(conn: Connection, so_id: int, scans: Sequence[str], user: str,
                  moment: dt.datetime) -> dict[str, Any] | None:  # fmt: skip
    """A batch of lot quantities typed as `ITEM@LOT=QTY` (a picker's usual batch, each
    the only line of its item) picked by set: each scan's line, what is reserved of its
    lot in walking order and what is picked of it already, read in two statements for the
    whole batch; the picks written in one. None, having changed nothing, for any other
    batch or any doubt (a wrong or held lot, an expired one, an over-pick): the
    scan-by-scan path then picks it or says precisely what is wrong."""
    wanted: list[tuple[str, str, str, Decimal]] = []  # (input, item, lot, qty)
    for text in scans:
        if looks_like_scan(text) or "=" not in text or not text.isprintable():
            return None  # a scan, a unit, or what `read` refuses: the other path
        ref_text, _, qty_text = text.partition("=")
        try:
            ref, qty = parse_ref(ref_text), parse_qty(qty_text, what="quantity")
        except InvalidInput:
            return None
        if qty != qty.to_integral_value():
            return None  # a fraction: the other path, which knows the item's unit
        if ref.kind != "lot" or ref.key is None:
            return None
        wanted.append((text, ref.code, ref.key, qty))
    if not wanted:
        return None
    codes_ahead(conn, [code for _, code, _, _ in wanted])
    item_ids = sorted({item.id for item in map(cache(conn).item, {w[1] for w in wanted}) if item})
    # PostgreSQL: a count or a taker of these items waits for the batch, which then reads
    # what is reserved after they are done (as `_Order.load` does)
    lock_balances_of(conn, item_ids)
    dialect = conn.dialect.name
    found = records(conn.execute(_lots_named(dialect), {
        "so_id": so_id,
        **rows_params(dialect, _LOT_REFS, [(n, w[1], w[2]) for n, w in enumerate(wanted)]),
    }))  # fmt: skip
    by_scan: dict[int, list[Any]] = defaultdict(list)
    for row in found:
        by_scan[row.n].append(row)
    if len(by_scan) != len(wanted):
        return None  # an unknown item or lot, or an item the order lacks
    held = held_lots_of(conn, item_ids)
    today = moment.date()
    lines: dict[int, Any] = {}  # each line's row (as `orders.order_lines` names them)
    for rows in by_scan.values():
        first = rows[0]
        if len({r.id for r in rows}) > 1 or (first.item_id, first.lot_id) in held:
            return None  # an item on two lines, or a held lot
        if first.lot is not None or is_expired(first.expires, today):
            return None  # a line of one lot (its lot checked by the other path), expired
        lines[first.id] = first
    # what is picked and not shipped of each line, and of each lot at each place
    picked: dict[_KEY, Decimal] = {}
    left = {line_id: r.qty - r.shipped for line_id, r in lines.items()}
    for line_id, location_id, lot_id, unit_id, qty in conn.execute(
        select(so_picks.c.so_line_id, so_picks.c.location_id, so_picks.c.lot_id,
               so_picks.c.unit_id, so_picks.c.qty)
        .where(so_picks.c.so_id == so_id, so_picks.c.shipped_op_id.is_(None),
               id_in(conn, so_picks.c.so_line_id, sorted(lines)))
    ).all():  # fmt: skip
        left[line_id] -= qty
        key = (line_id, location_id, lot_id, unit_id)
        picked[key] = picked.get(key, Decimal(0)) + qty
    paths = {r.location_id: r.path for r in found}
    answers, rows_out = [], []
    for n, (text, _, lot_code, qty) in enumerate(wanted):
        rows = by_scan[n]
        line = rows[0]
        if qty > left[line.id]:
            return None
        reserved = [(r.location_id, r.lot_id, None, r.kind, r.reserved)
                    for r in rows if r.location_id is not None]  # fmt: skip
        free = _unpicked(line.id, reserved, picked)
        if sum((q for *_, q in free), Decimal(0)) < qty:
            return None  # not reserved (enough) of this lot for the line
        takes = _take(free, qty, line.id, picked)
        left[line.id] -= qty
        rows_out += [(so_id, line.id, line.item_id, location_id, lot, take, moment, user)
                     for location_id, lot, take in takes]  # fmt: skip
        answers.append({"input": text, "line": line.line_no, "item": line.item,
                        "lot": lot_code, "serial": None, "qty": qty,
                        "location_path": ", ".join(sorted({paths[loc] for loc, *_ in takes})),
                        "left": left[line.id]})  # fmt: skip
    insert_rows(conn, "so_picks", ("so_id", "so_line_id", "item_id", "location_id", "lot_id",
                                   "qty", "picked_at", "user_name"), rows_out)  # fmt: skip
    progress = [_line_progress(ln, ln.qty - ln.shipped - left[ln.id])
                for ln in sorted(lines.values(), key=lambda x: x.line_no)]  # fmt: skip
    return {"order": so_id, "at": None, "picked": answers, "lines": progress,
            "short_lines": _short_lines(conn, so_id)}  # fmt: skip


_LOT_REFS = ("n", "item", "lot")


@functools.cache
def _lots_named(dialect: str) -> Any:
    """Each `ITEM@LOT` of a batch with its order line and what is reserved of the lot for
    it, in walking order: built once per database kind."""
    source = rows_source(dialect, _LOT_REFS, (int, str, str))
    line_lot = lots.alias("line_lot")
    return (
        select(source.c.n, so_lines.c.id, so_lines.c.line_no, so_lines.c.qty,
               so_lines.c.shipped, line_lot.c.code.label("lot"), items.c.id.label("item_id"),
               items.c.code.label("item"), lots.c.id.label("lot_id"), lots.c.expires,
               reservations.c.location_id, reservations.c.qty.label("reserved"),
               locations.c.kind, locations.c.path)
        .select_from(source)
        .join(items, items.c.code == source.c.item)
        .join(lots, (lots.c.item_id == items.c.id) & (lots.c.code == source.c.lot))
        .join(so_lines, (so_lines.c.so_id == bindparam("so_id"))
              & (so_lines.c.item_id == items.c.id))
        .outerjoin(line_lot, line_lot.c.id == so_lines.c.lot_id)
        .outerjoin(reservations, (reservations.c.so_line_id == so_lines.c.id)
                   & (reservations.c.lot_id == lots.c.id)
                   # not by the index on unit_id: SQLite would read every lot's reservation
                   & (func.coalesce(reservations.c.unit_id, 0) == 0))
        .outerjoin(locations, locations.c.id == reservations.c.location_id)
        .order_by(source.c.n, so_lines.c.line_no, locations.c.pick_sequence.is_(None),
                  locations.c.pick_sequence, locations.c.code, reservations.c.id)
    )  # fmt: skip


def _short_lines(conn: Connection, so_id: int) -> int:
    """How many of an order's lines are still to pick (in part or whole)."""
    picked = (
        select(so_picks.c.so_line_id, func.sum(so_picks.c.qty).label("qty"))
        .where(so_picks.c.so_id == so_id, so_picks.c.shipped_op_id.is_(None))
        .group_by(so_picks.c.so_line_id)
        .subquery()
    )
    return conn.execute(
        select(func.count()).select_from(so_lines)
        .outerjoin(picked, picked.c.so_line_id == so_lines.c.id)
        .where(so_lines.c.so_id == so_id,
               so_lines.c.qty - so_lines.c.shipped > func.coalesce(picked.c.qty, 0))
    ).scalar_one()  # fmt: skip


def _read_ahead(conn: Connection, scans: Sequence[str]) -> list[int]:
    """The items and lots a batch of scans typed as references names, read at once; the
    ids of those items."""
    parsed = []
    for text in scans:
        if is_only_a_scan(text):
            continue
        try:
            parsed.append(parse_ref(_split(text)[0]))
        except InvalidInput:
            continue  # refused in its turn
    refs_ahead(conn, parsed)
    found = cache(conn)
    return [item.id for item in map(found.item, {ref.code for ref in parsed}) if item is not None]


def _pick_unit(conn: Connection, so_id: int, line: Any, target: Target, bin_: Any,
               today: dt.date) -> dict[str, Any]:  # fmt: skip
    unit = target.unit
    assert unit is not None
    loc = check_unit_available(conn, target, today=today, from_location=bin_, so_id=so_id)
    if loc.kind in orders.NOT_FOR_SALE:
        raise NotAvailable(f"{target} is at {loc.path} ({loc.kind}): not to be picked")
    if line.lot_id is not None and unit.lot_id != line.lot_id:
        raise WrongKind(f"wrong lot: line {line.line_no} orders {line.item}@{line.lot}, "
                        f"{target} is not of it")  # fmt: skip
    already = conn.execute(select(so_picks.c.id).where(
        so_picks.c.unit_id == unit.id, so_picks.c.shipped_op_id.is_(None))).first()  # fmt: skip
    if already is not None:
        raise InvalidInput(f"{target} is picked already")
    mine = conn.execute(select(reservations.c.id).where(
        reservations.c.unit_id == unit.id, reservations.c.so_id == so_id)).first()  # fmt: skip
    if mine is None:  # a free unit stands in for one reserved and not picked yet
        picked_units = select(so_picks.c.unit_id).where(
            so_picks.c.unit_id.is_not(None), so_picks.c.shipped_op_id.is_(None)
        )
        spare = conn.execute(
            select(reservations.c.id).where(reservations.c.so_line_id == line.id,
                                            reservations.c.unit_id.not_in(picked_units))
            .order_by(reservations.c.id.desc()).limit(1)
        ).scalar()  # fmt: skip
        if spare is not None:
            conn.execute(delete(reservations).where(reservations.c.id == spare))
        conn.execute(insert(reservations).values(
            so_id=so_id, so_line_id=line.id, item_id=line.item_id, location_id=loc.id,
            lot_id=unit.lot_id, unit_id=unit.id, qty=1))  # fmt: skip
        reservations_changed(conn)
    return {"location_id": loc.id, "lot_id": unit.lot_id, "unit_id": unit.id, "qty": Decimal(1)}


def _pick_quantity(conn: Connection, state: _Order, line: Any, target: Target,
                   qty: Decimal | None, need: Decimal, bin_: Any,
                   today: dt.date) -> list[dict[str, Any]]:  # fmt: skip
    """Picks of a lot or untracked item: from what is reserved of it for the line (at
    `bin_` if given), in walking order, each of the lot reserved. Counted in `state`."""
    so_id = state.id
    lot_id = target.lot.id if target.lot is not None else None
    if qty is not None:
        check_whole(qty, item=target.item.code, uom=target.item.uom)
    if target.lot is not None:
        if (target.item.id, lot_id) in state.held:
            found = open_holds(conn, target)
            raise NotAvailable(f"{target} is held and can not be picked: hold #{found[0].id}, "
                               f"{found[0].reason}")  # fmt: skip
        if is_expired(target.lot.expires, today):
            raise NotAvailable(f"{target} expired on {target.lot.expires.isoformat()}")
    reserved = state.reserved[line.id]
    free = _unpicked(line.id, [(r.location_id, r.lot_id, r.unit_id, r.kind, r.qty)
                               for r in reserved], state.picked[line.id], lot_id=lot_id,
                     bin_id=bin_.id if bin_ is not None else None)  # fmt: skip
    there = sum((q for *_, q in free), Decimal(0))
    if there == 0:
        lots_reserved = sorted({r.lot for r in reserved if r.lot})
        where = f" at {bin_.path}" if bin_ is not None else ""
        if lots_reserved and lot_id is not None:
            raise WrongKind(f"wrong lot: {target} is not reserved for line {line.line_no}{where}; "
                            f"pick {', '.join(f'{line.item}@{x}' for x in lots_reserved)} "
                            "(first-expiry-first-out)")  # fmt: skip
        raise NotAvailable(f"nothing of {target} is reserved for line {line.line_no} "
                           f"of sales order {so_id}{where} to pick")  # fmt: skip
    wanted = qty if qty is not None else min(need, there)
    if wanted > need:
        raise InvalidInput(f"over-pick: line {line.line_no} needs {normalize(need)} more "
                           f"{line.item}, not {normalize(wanted)}")  # fmt: skip
    if wanted > there:
        raise InvalidInput(f"only {normalize(there)} of {target} reserved for line "
                           f"{line.line_no} to pick, not {normalize(wanted)}")  # fmt: skip
    return [
        {"location_id": location_id, "lot_id": lot, "unit_id": None, "qty": take}
        for location_id, lot, take in _take(free, wanted, line.id, state.picked[line.id])
    ]


_Reserved = tuple[int, int | None, int | None, str, Decimal]  # place, lot, unit, its kind, qty


def _unpicked(line_id: int, reserved: Sequence[_Reserved], picked: dict[_KEY, Decimal], *,
              lot_id: int | None = None, bin_id: int | None = None
              ) -> list[tuple[int, int | None, Decimal]]:  # fmt: skip
    """What is reserved for a line and not picked yet (of one lot, at one bin, when given),
    in walking order, as (place, lot, quantity): each reservation less what is picked of
    its lot at its place, the picks counted against the first reservations there. Units'
    reservations and quarantined stock are left out. `reserved`: the line's reservations
    in walking order; `picked`: what is picked of the line, by `_KEY`."""
    unclaimed: dict[_KEY, Decimal] = {}
    free = []
    for location_id, lot, unit_id, kind, qty in reserved:
        if (unit_id is not None or (lot_id is not None and lot != lot_id)
                or (bin_id is not None and location_id != bin_id)
                or kind == LocationKind.QUARANTINE.value):  # fmt: skip
            continue
        key = (line_id, location_id, lot, None)
        left = unclaimed.get(key, picked.get(key, Decimal(0)))
        done = min(left, qty)
        unclaimed[key] = left - done
        if qty - done > 0:
            free.append((location_id, lot, qty - done))
    return free


def _take(free: Sequence[tuple[int, int | None, Decimal]], wanted: Decimal, line_id: int,
          picked: dict[_KEY, Decimal]) -> list[tuple[int, int | None, Decimal]]:  # fmt: skip
    """`wanted` taken from `free` (`_unpicked`) in order, as (place, lot, quantity); what
    is taken is counted in `picked`."""
    takes = []
    for location_id, lot, there in free:
        take = min(there, wanted)
        takes.append((location_id, lot, take))
        key = (line_id, location_id, lot, None)
        picked[key] = picked.get(key, Decimal(0)) + take
        wanted -= take
        if wanted == 0:
            break
    return takes


def _progress(conn: Connection, so_id: int) -> list[dict[str, Any]]:
    """Each line: ordered, picked (not shipped yet), shipped, and short (still to pick)."""
    picked = orders.picked_by_line(conn, so_id)
    return [_line_progress(ln, picked.get(ln.id, Decimal(0)))
            for ln in orders.order_lines(conn, so_id)]  # fmt: skip


def _line_progress(ln: Any, picked: Decimal) -> dict[str, Any]:
    return {"line": ln.line_no, "item": ln.item, "lot": ln.lot, "qty": ln.qty,
            "picked": picked, "shipped": ln.shipped,
            "short": ln.qty - ln.shipped - picked}  # fmt: skip


def progress(conn: Connection, so_id: int) -> dict[str, Any]:
    """How far an order's picking is: each line, and those short."""
    order = orders.order_row(conn, so_id)
    lines = _progress(conn, so_id)
    return {"order": so_id, "status": order.status, "lines": lines,
            "short": [ln for ln in lines if ln["short"] > 0]}  # fmt: skip


def render_pdf(shown: dict[str, Any]) -> bytes:
    """The pick list as a printable A4 PDF: walking order, then the short lines."""
    import io

    from reportlab.lib import colors  # loaded only when a pick list is printed
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"Pick list, sales order {shown['order']}",
                            author="tracelot", leftMargin=15 * mm, rightMargin=15 * mm)  # fmt: skip

    def para(text: str, style: str = "BodyText") -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, styles[style])

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal | int):
            return format(normalize(Decimal(value)), "f")
        return str(value)

    def grid(rows: list[list[str]]) -> Table:
        t = Table(rows, repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ]))  # fmt: skip
        return t

    columns = ["seq", "location_path", "item", "lot", "serial", "expires", "qty", "line"]
    story: list[Any] = [
        para(f"Pick list: sales order {shown['order']} for {shown['customer']}", "Title"),
        para(f"Status {shown['status']}; ship by {cell(shown['ship_by']) or '-'}."),
        Spacer(1, 4 * mm),
    ]
    rows = [[*columns, "done"]] + [[cell(r[c]) for c in columns] + ["[  ]"]
                                   for r in shown["rows"]]  # fmt: skip
    story.append(grid(rows) if len(rows) > 1 else para("Nothing to pick."))
    if shown["short"]:
        story += [Spacer(1, 4 * mm), para("Short", "Heading2")]
        story.append(grid([["line", "item", "qty", "reason"]]
                          + [[cell(s["line"]), s["item"], cell(s["qty"]), s["reason"]]
                             for s in shown["short"]]))  # fmt: skip
    doc.build(story)
    return out.getvalue()
