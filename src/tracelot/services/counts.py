"""Stock counts by scanning: a count of a location's subtree, scanned into by its
counters, its variances, and their posting as one operation.

A count snapshots what the ledger expects in the subtree when it starts (a row per unit,
and per item, lot and location of what is counted by quantity). Every scan is kept with
where it was found, when, by whom, and where the ledger had it at that moment: a unit's
location, a quantity's balance at that bin. That moment is what a variance is judged
against, so stock moved while the count is open is neither lost nor counted twice:

- a unit scanned where the ledger had it is present; scanned elsewhere, it is found and
  moved here when posted (unless it has moved since it was scanned: then the later move
  stands);
- a unit expected and never scanned is missing, unless it moved after the count began;
- a quantity scanned at a bin differs by what was counted less the ledger's balance there
  at its (last) scan; a quantity expected and never scanned is missing as far as it is
  still there (what left meanwhile left by its own operation).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Connection, func, insert, literal, select, update
from sqlalchemy import text as sa_text
from sqlalchemy.exc import IntegrityError

from tracelot.domain.commands import CancelCount, CountScans, PostCount, StartCount
from tracelot.domain.errors import Conflict, InvalidInput, NotFound, WrongKind
from tracelot.domain.refs import parse_ref
from tracelot.domain.scan import is_only_a_scan, looks_like_scan
from tracelot.domain.status import LocationKind, OperationKind, Tracking, status_at
from tracelot.domain.values import normalize, parse_qty
from tracelot.services import costing
from tracelot.services.ledger import Line, new_operation, now, post
from tracelot.services.lookup import (
    find_item,
    item_by_code,
    location_by_id,
    virtual_location,
)
from tracelot.services.reservations import release_what_went
from tracelot.services.resolver import location_named, names_a_location, read, targets_named
from tracelot.store.bulk import id_in, insert_rows
from tracelot.store.tables import (
    count_expected,
    count_scans,
    counts,
    items,
    locations,
    lots,
    moves,
    operations,
    stock,
    units,
)

#: roles that see a blind count's expected figures (and post counts)
POSTERS = ("quality", "admin")

#: the auditor's report: a row per variance (CSV and PDF)
REPORT_COLUMNS = [
    "kind", "item", "item_name", "serial", "lot", "location", "location_path",
    "ledger_location_path", "expected", "counted", "difference", "unit_cost", "value",
]  # fmt: skip


# -- starting -----------------------------------------------------------------------------


def handle_start(
    conn: Connection, command: StartCount, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Open a count: the ledger's balances in the subtree (of the items given) are kept
    as what it expects."""
    c = command
    loc = location_named(conn, c.at)
    item_rows = [item_by_code(conn, parse_ref(code).code) for code in dict.fromkeys(c.items)]
    places = _subtree(conn, loc)
    _refuse_overlap(conn, loc)
    started = at or now()
    count_id = conn.execute(
        insert(counts)
        .values(
            location_id=loc.id, status="open", blind=c.blind, note=c.note, started_at=started,
            started_by=user, items=json.dumps([i.code for i in item_rows]) if item_rows else None,
        )
        .returning(counts.c.id)
    ).scalar_one()  # fmt: skip
    item_ids = [i.id for i in item_rows]
    unit_query = select(
        literal(count_id), units.c.item_id, units.c.lot_id, units.c.id, units.c.location_id,
        literal(1),
    ).where(id_in(conn, units.c.location_id, places))  # fmt: skip
    qty_query = (
        select(literal(count_id), stock.c.item_id, stock.c.lot_id, literal(None),
               stock.c.location_id, stock.c.qty)
        .join(items, items.c.id == stock.c.item_id)
        .where(id_in(conn, stock.c.location_id, places), stock.c.qty > 0,
               items.c.tracking != Tracking.SERIAL.value)
    )  # fmt: skip
    if item_ids:
        unit_query = unit_query.where(units.c.item_id.in_(item_ids))
        qty_query = qty_query.where(stock.c.item_id.in_(item_ids))
    columns = ["count_id", "item_id", "lot_id", "unit_id", "location_id", "qty"]
    n_units = conn.execute(insert(count_expected).from_select(columns, unit_query)).rowcount
    n_balances = conn.execute(insert(count_expected).from_select(columns, qty_query)).rowcount
    # what it expects, in figures: at the start everything is still to be counted
    shown = _head(conn, _count(conn, count_id)) | {"hidden": c.blind, "counted": []}
    if not c.blind:  # a unit is one; the balances, few, summed again
        balances = qty_query.subquery()
        quantity = conn.execute(select(func.coalesce(func.sum(balances.c.qty), 0))).scalar_one()
        shown |= {"expected_rows": n_units + n_balances,
                  "expected_qty": costing.exact(quantity + n_units)}  # fmt: skip
    return shown


def _subtree(conn: Connection, loc: Any) -> list[int]:
    branch = locations.c.path.startswith(loc.path + "/", autoescape=True)
    return list(
        conn.execute(select(locations.c.id).where((locations.c.id == loc.id) | branch)).scalars()
    )


#: the key of the PostgreSQL advisory lock that makes counts start one at a time
_STARTING = 0x7C0_0017


def _refuse_overlap(conn: Connection, loc: Any) -> None:
    """Two open counts of one place would book its variances twice. On PostgreSQL counts
    start one at a time (a lock held to the end of the transaction), so two overlapping
    ones started at once cannot both see none open; SQLite writes one at a time anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_STARTING)))
    rows = conn.execute(
        select(counts.c.id, locations.c.path)
        .join(locations, locations.c.id == counts.c.location_id)
        .where(counts.c.status == "open")
        .order_by(counts.c.id)
    ).all()
    for r in rows:
        if (
            r.path == loc.path
            or loc.path.startswith(r.path + "/")
            or r.path.startswith(loc.path + "/")
        ):
            raise Conflict(f"count {r.id} of {r.path} is open: post or cancel it before "
                           f"counting {loc.path}")  # fmt: skip


# -- scanning -------------------------------------------------------------------------------


@dataclass
class _Count:
    id: int
    location: Any
    status: str
    blind: bool
    items: list[str] | None
    started_at: dt.datetime
    row: Any


def _count(conn: Connection, count_id: int, *, lock: bool = False, share: bool = False) -> _Count:
    """A count's row; on PostgreSQL `lock` takes it for posting, `share` for scanning (many
    counters at once, but never while it is posted)."""
    query = select(counts).where(counts.c.id == count_id)
    if (lock or share) and conn.dialect.name == "postgresql":
        query = query.with_for_update(read=share and not lock)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no count {count_id}")
    return _Count(row.id, location_by_id(conn, row.location_id), row.status, bool(row.blind),
                  json.loads(row.items) if row.items else None, row.started_at, row)  # fmt: skip


def handle_scans(
    conn: Connection, command: CountScans, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Record scans into an open count, all of them or (refused) none: what each counted
    and where. A location scanned in the list is where the scans after it were found."""
    c = command
    count = _count(conn, c.count_id, share=True)  # a scan during a posting waits for it
    if count.status != "open":
        raise InvalidInput(f"count {count.id} is {count.status}: it takes no more scans")
    bin_ = _bin(conn, count, c.at) if c.at else count.location
    when = at or now()
    fast = _units_at_once(conn, count, bin_, c.scans, user, when)
    if fast is not None:
        return fast
    # each input: a location (where the next ones are), or what was counted and its qty
    plan: list[tuple[str, Any, Decimal | None]] = []
    texts: list[Any] = []
    for text in c.scans:
        typed_qty = None
        if not is_only_a_scan(text) and "=" in text:  # CELL@L1=5 typed by hand
            text, qty_text = text.split("=", 1)
            typed_qty = parse_qty(qty_text, what=f"quantity of {text}")
        scan = read(conn, text)
        if names_a_location(conn, scan):
            plan.append(("location", _bin(conn, count, text), None))
            continue
        plan.append(("target", scan, typed_qty if typed_qty is not None else scan.qty))
        # a reference typed or on a label: read once here, not again by targets_named
        typed = scan.form == "plain" or (scan.ref is not None and scan.ref_kind != "location")
        texts.append(parse_ref(scan.ref) if typed else text)
    targets = iter(targets_named(conn, texts))  # the units of each item in one query
    rows: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    seen: dict[int, str] = {}
    for (what, value, qty), text in _with_inputs(plan, c.scans):
        if what == "location":
            bin_ = value
            continue
        target = next(targets)
        rows.append(_scan_row(conn, count, target, qty, bin_, text, seen, user, when))
        counted_at = location_by_id(conn, rows[-1]["location_id"])
        answers.append({"input": text, "item": target.item.code,
                        "serial": target.unit.serial if target.unit is not None else None,
                        "lot": target.lot.code if target.lot is not None else None,
                        "qty": rows[-1]["qty"], "location": counted_at.code,
                        "location_path": counted_at.path, "scanned_at": when,
                        "user": user})  # fmt: skip
    _refuse_counted_twice(conn, count.id, [r["unit_id"] for r in rows if r["unit_id"]])
    _insert_scans(conn, rows)
    return {
        "count": count.id,
        "at": bin_.code,  # where the next scans are found, unless a location is scanned
        "at_path": bin_.path,
        "recorded": len(rows),
        "scans": answers,
    }


# -- a batch of units typed or scanned as ITEM:SERIAL, set-based -----------------------------

#: a batch's units found by serial and recorded, in one statement per item and bin
_UNIT_SCANS = {
    "sqlite": (
        "json_extract(t.value, '$[0]')", "json_extract(t.value, '$[1]')",
        "json_each(:pairs) AS t CROSS JOIN",  # CROSS: SQLite keeps the serials outermost
    ),
    "postgresql": (
        "t.s", "t.i", "unnest(CAST(:serials AS text[]), CAST(:inputs AS text[])) AS t(s, i) JOIN",
    ),
}  # fmt: skip


def _units_at_once(
    conn: Connection,
    count: _Count,
    bin_: Any,
    scans: Sequence[str],
    user: str,
    when: dt.datetime,
) -> dict[str, Any] | None:
    """A batch of plain unit references (`ITEM:SERIAL`, between location codes that say
    where the next were found) recorded by set: a counter's usual batch, at the speed of
    the rows it writes. None, having changed nothing, for any other batch or any doubt
    (an unknown serial, a unit scanned twice, one the ledger has in transit or gone): the
    scan-by-scan path then records it or says precisely what is wrong."""
    groups: list[tuple[Any, Any, list[tuple[str, str]]]] = []  # (bin, item, [(serial, text)])
    counted: dict[str, Any] = {}  # item code: the item, when it is one this count counts
    for text in scans:
        ref = _plain_unit(text)
        if ref is None:
            if not _plain_code(text) or not names_a_location(conn, read(conn, text)):
                return None
            bin_ = _bin(conn, count, text)
            continue
        code, serial = ref
        item = counted.get(code)
        if item is None:
            item = find_item(conn, code)
            if (
                item is None
                or item.tracking != Tracking.SERIAL
                or (count.items is not None and item.code not in count.items)
            ):
                return None
            counted[code] = item
        if not groups or groups[-1][0] is not bin_ or groups[-1][1] is not item:
            groups.append((bin_, item, []))
        groups[-1][2].append((serial, text))
    if not groups:
        return None
    sqlite = conn.dialect.name == "sqlite"
    serial, text_, source = _UNIT_SCANS[conn.dialect.name]
    # a unit the ledger has below the bin scanned is where the ledger has it (`_found_at`)
    statement = sa_text(
        "INSERT INTO count_scans (count_id, item_id, lot_id, unit_id, location_id, qty,"
        " ledger_location_id, scanned_at, user_name, input)"
        " SELECT :count_id, u.item_id, u.lot_id, u.id, CASE WHEN u.location_id IN (SELECT id"
        " FROM locations WHERE substr(path, 1, :n) = :below) THEN u.location_id ELSE :bin END,"
        f" 1, u.location_id, :when, :user, {text_} FROM {source} units u ON u.item_id = :item"
        f" AND u.serial = {serial} RETURNING input, lot_id, ledger_location_id, location_id"
    )
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else when
    recorded: dict[str, tuple[int | None, int]] = {}  # input: its lot, where it was counted
    savepoint = conn.begin_nested()
    try:
        for where, item, pairs in groups:
            values: dict[str, Any] = {"count_id": count.id, "bin": where.id, "when": stamp,
                                      "user": user, "item": item.id, "n": len(where.path) + 1,
                                      "below": where.path + "/"}  # fmt: skip
            if sqlite:
                values["pairs"] = json.dumps(pairs)
            else:
                values |= {"serials": [p[0] for p in pairs], "inputs": [p[1] for p in pairs]}
            rows = conn.execute(statement, values).all()
            if len(rows) != len(pairs):  # a serial the item does not have
                raise _NotAtOnce
            for held_at in map(partial(location_by_id, conn), {r[2] for r in rows}):
                if held_at.kind == LocationKind.TRANSIT or (
                    held_at.virtual and held_at.kind != LocationKind.ADJUSTMENT
                ):  # in transit, or gone (shipped, consumed, scrapped) by the ledger
                    raise _NotAtOnce
            recorded.update((r[0], (r[1], r[3])) for r in rows if r[1] or r[3] != where.id)
    except (_NotAtOnce, IntegrityError):  # IntegrityError: a unit counted already
        savepoint.rollback()
        return None
    savepoint.commit()
    answers = []
    for where, item, pairs in groups:
        base = {"item": item.code, "lot": None, "qty": Decimal(1), "location": where.code,
                "location_path": where.path, "scanned_at": when, "user": user}  # fmt: skip
        for serial, text in pairs:
            answer = {"input": text, "serial": serial, **base}
            if text in recorded:  # in a lot, or counted where the ledger has it below
                lot_id, counted_at = recorded[text]
                loc = location_by_id(conn, counted_at)
                answer |= {"lot": _lot_code(conn, lot_id), "location": loc.code,
                           "location_path": loc.path}  # fmt: skip
            answers.append(answer)
    return {"count": count.id, "at": bin_.code, "at_path": bin_.path,
            "recorded": len(answers), "scans": answers}  # fmt: skip


class _NotAtOnce(Exception):
    """A batch the set-based path leaves to the scan-by-scan one."""


def _plain_unit(text: str) -> tuple[str, str] | None:
    """(item, serial) of `ITEM:SERIAL` as typed (or as a code-39/128 label reads it), else
    None (as parse_ref reads it: split at the first `:`, no `@` before it)."""
    code, _, serial = text.partition(":")
    if (
        not code or not serial or "@" in code or "=" in text or looks_like_scan(text)
        or not text.isprintable() or text != text.strip()
    ):  # fmt: skip
        return None
    return code, serial


def _plain_code(text: str) -> bool:
    """A bare code (a location's, in a counter's batch) that no scan could also be."""
    return (
        not looks_like_scan(text) and text.isprintable() and text == text.strip()
        and ":" not in text and "@" not in text and "=" not in text
    )  # fmt: skip


def _with_inputs(plan: list, scans: Sequence[str]) -> list:
    return list(zip(plan, scans, strict=True))


def _bin(conn: Connection, count: _Count, text: str) -> Any:
    """A location of the count (its place, or one below it), named by a scan or code."""
    loc = location_named(conn, text)
    root = count.location.path
    if loc.path != root and not loc.path.startswith(root + "/"):
        raise WrongKind(f"{loc.path} is not in count {count.id} (of {count.location.path})")
    return loc


def _scan_row(
    conn: Connection,
    count: _Count,
    target: Any,
    qty: Decimal | None,
    bin_: Any,
    text: str,
    seen: dict[int, str],
    user: str,
    when: dt.datetime,
) -> dict[str, Any]:
    item = target.item
    if count.items is not None and item.code not in count.items:
        raise WrongKind(f"{item.code} is not counted in count {count.id} "
                        f"(of {', '.join(count.items)})")  # fmt: skip
    row = {"count_id": count.id, "item_id": item.id, "lot_id": None, "unit_id": None,
           "location_id": bin_.id, "qty": Decimal(1), "ledger_location_id": None,
           "ledger_qty": None, "scanned_at": when, "user_name": user, "input": text}  # fmt: skip
    if target.unit is not None:
        unit = target.unit
        if qty is not None and qty != 1:
            raise InvalidInput(f"{target} is one unit, not {normalize(qty)}")
        if unit.id in seen:
            raise InvalidInput(f"{target} is scanned twice")
        seen[unit.id] = str(target)
        held_at = location_by_id(conn, unit.location_id)
        if held_at.kind == LocationKind.TRANSIT:
            raise WrongKind(f"{target} is in transit by the ledger: receive its transfer first")
        if held_at.virtual and held_at.kind != LocationKind.ADJUSTMENT:
            status = status_at(held_at.kind).value
            raise WrongKind(f"{target} is {status} by the ledger: not stock to count "
                            "(take it back in by its operation first)")  # fmt: skip
        return row | {"lot_id": unit.lot_id, "unit_id": unit.id,
                      "ledger_location_id": unit.location_id,
                      "location_id": _found_at(bin_, held_at)}  # fmt: skip
    if item.tracking == Tracking.SERIAL:
        raise WrongKind(f"{item.code} is serial-tracked: scan its units one by one")
    if item.tracking == Tracking.LOT and target.lot is None:
        raise InvalidInput(f"{item.code} is lot-tracked: scan the lot ({item.code}@LOT=QTY)")
    if qty is None:
        raise InvalidInput(f"how many of {target}? scan a label with a count (30 or 37), or "
                           f"type {target}=QTY")  # fmt: skip
    lot_id = target.lot.id if target.lot is not None else None
    there = conn.execute(
        select(stock.c.qty).where(
            stock.c.item_id == item.id,
            stock.c.location_id == bin_.id,
            func.coalesce(stock.c.lot_id, 0) == (lot_id or 0),
        )
    ).scalar()
    if not there:
        _refuse_kept_below(conn, target, bin_, lot_id)
    return row | {"lot_id": lot_id, "qty": qty, "ledger_qty": Decimal(there or 0)}


def _found_at(bin_: Any, held_at: Any) -> int:
    """Where a unit scanned at `bin_` was counted: where the ledger has it when that is
    below the bin (a counter who scanned no bin, or a shelf's, found it in its subtree),
    else the bin scanned."""
    return held_at.id if held_at.path.startswith(bin_.path + "/") else bin_.id


def _refuse_kept_below(conn: Connection, target: Any, bin_: Any, lot_id: int | None) -> None:
    """A quantity is counted at the bin that holds it: counted at a location above it,
    the count would find it there and miss it in its bin."""
    below = (
        conn.execute(
            select(locations.c.path)
            .join(stock, stock.c.location_id == locations.c.id)
            .where(
                stock.c.item_id == target.item.id,
                func.coalesce(stock.c.lot_id, 0) == (lot_id or 0),
                stock.c.qty > 0,
                locations.c.path.startswith(bin_.path + "/", autoescape=True),
            )
            .order_by(locations.c.path)
            .limit(3)
        )
        .scalars()
        .all()
    )
    if below:
        raise WrongKind(f"{target} is kept below {bin_.path} (at {', '.join(below)}): scan the "
                        "bin it is in, then count it")  # fmt: skip


def _refuse_counted_twice(conn: Connection, count_id: int, unit_ids: list[int]) -> None:
    if not unit_ids:
        return
    found = conn.execute(
        select(units.c.serial, items.c.code, locations.c.path, count_scans.c.scanned_at)
        .join(units, units.c.id == count_scans.c.unit_id)
        .join(items, items.c.id == units.c.item_id)
        .join(locations, locations.c.id == count_scans.c.location_id)
        .where(count_scans.c.count_id == count_id, id_in(conn, count_scans.c.unit_id, unit_ids))
        .order_by(items.c.code, units.c.serial)
        .limit(1)
    ).first()
    if found is not None:
        raise InvalidInput(f"{found.code}:{found.serial} was counted already, at {found.path} "
                           f"({found.scanned_at.isoformat(timespec='seconds')})")  # fmt: skip


_SCAN_COLUMNS = (
    "count_id", "item_id", "lot_id", "unit_id", "location_id", "qty", "ledger_location_id",
    "ledger_qty", "scanned_at", "user_name", "input",
)  # fmt: skip


def _insert_scans(conn: Connection, rows: list[dict[str, Any]]) -> None:
    try:
        insert_rows(conn, "count_scans", _SCAN_COLUMNS,
                    ([r[c] for c in _SCAN_COLUMNS] for r in rows))  # fmt: skip
    except IntegrityError:  # another counter scanned the same unit at the same moment
        raise Conflict("a unit scanned was counted by another counter meanwhile (conflict, "
                       "retry)") from None  # fmt: skip


def _serial(conn: Connection, unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    return conn.execute(select(units.c.serial).where(units.c.id == unit_id)).scalar_one()


def _lot_code(conn: Connection, lot_id: int | None) -> str | None:
    if lot_id is None:
        return None
    return conn.execute(select(lots.c.code).where(lots.c.id == lot_id)).scalar_one()


# -- variances ------------------------------------------------------------------------------


@dataclass
class _Variances:
    present: int
    missing: list[dict[str, Any]]
    found: list[dict[str, Any]]
    moved: list[dict[str, Any]]
    quantities: list[dict[str, Any]]
    lines: list[Line]


def _variances(conn: Connection, count: _Count) -> _Variances:
    """What the count found against what the ledger expected, judged at each scan's time;
    and the ledger lines that would book it. Units are compared in the database: only the
    few that differ (missing, found elsewhere) come back as rows."""
    adjustment = virtual_location(conn, "ADJUSTMENT").id
    of_count = count_expected.c.count_id == count.id
    scanned_of_count = count_scans.c.count_id == count.id
    unit_scans = scanned_of_count & count_scans.c.unit_id.is_not(None)
    present = conn.execute(
        select(func.count()).where(
            unit_scans, count_scans.c.ledger_location_id == count_scans.c.location_id
        )
    ).scalar_one()
    scanned = select(count_scans.c.id).where(
        scanned_of_count, count_scans.c.unit_id == count_expected.c.unit_id
    )
    unscanned = conn.execute(
        select(count_expected.c.unit_id, count_expected.c.location_id)
        .where(of_count, count_expected.c.unit_id.is_not(None), ~scanned.exists())
        .order_by(count_expected.c.unit_id)
    ).all()
    elsewhere = conn.execute(
        select(count_scans)
        .where(unit_scans, count_scans.c.ledger_location_id != count_scans.c.location_id)
        .order_by(count_scans.c.unit_id)
    ).all()
    unit_ids = {r.unit_id for r in unscanned} | {r.unit_id for r in elsewhere}
    now_at = _unit_rows(conn, unit_ids)
    moved_since = _units_moved_since(conn, count.started_at, count.row.posted_op_id, unit_ids)
    missing, found, moved, lines = [], [], [], []
    for e in unscanned:
        uid = e.unit_id
        u = now_at[uid]
        if uid in moved_since or u.location_id != e.location_id:
            moved.append(_unit_info(conn, u, e.location_id, note="moved during the count"))
            continue
        missing.append(_unit_info(conn, u, e.location_id))
        lines.append(Line(u.item_id, e.location_id, adjustment, Decimal(1), u.lot_id, uid))
    for s in elsewhere:
        u = now_at[s.unit_id]
        if u.location_id != s.ledger_location_id:  # moved after it was scanned: that stands
            moved.append(_unit_info(conn, u, s.location_id, note="moved since it was scanned"))
            continue
        info = _unit_info(conn, u, s.location_id)
        held_at = location_by_id(conn, s.ledger_location_id)
        info |= {"ledger_location": held_at.code, "ledger_location_path": held_at.path,
                 "scanned_at": s.scanned_at, "user": s.user_name}  # fmt: skip
        found.append(info)
        lines.append(Line(u.item_id, s.ledger_location_id, s.location_id, Decimal(1), u.lot_id,
                          s.unit_id))  # fmt: skip
    expected = conn.execute(
        select(count_expected).where(of_count, count_expected.c.unit_id.is_(None))
    ).all()
    scans = conn.execute(
        select(count_scans)
        .where(scanned_of_count, count_scans.c.unit_id.is_(None))
        .order_by(count_scans.c.id)
    ).all()
    quantities = _quantities(conn, count, expected, scans, adjustment, lines)
    return _Variances(present, missing, found, moved, quantities, lines)


def _unit_rows(conn: Connection, unit_ids: set[int]) -> dict[int, Any]:
    if not unit_ids:
        return {}
    query = select(
        units.c.id,
        units.c.item_id,
        units.c.lot_id,
        units.c.serial,
        units.c.location_id,
        units.c.unit_cost,
    ).where(id_in(conn, units.c.id, unit_ids))
    return {r.id: r for r in conn.execute(query)}  # fmt: skip


def _units_moved_since(
    conn: Connection, since: dt.datetime, posted_op: int | None, unit_ids: set[int]
) -> set[int]:
    """Which of these units a later operation moved (before the count's own posting)."""
    if not unit_ids:
        return set()
    query = (
        select(moves.c.unit_id)
        .join(operations, operations.c.id == moves.c.operation_id)
        .where(operations.c.recorded_at > since, id_in(conn, moves.c.unit_id, unit_ids))
    )
    if posted_op is not None:
        query = query.where(operations.c.id < posted_op)
    return set(conn.execute(query).scalars())


def _unit_info(
    conn: Connection, u: Any, location_id: int, *, note: str | None = None
) -> dict[str, Any]:
    loc = location_by_id(conn, location_id)
    item = _item(conn, u.item_id)
    cost = u.unit_cost or Decimal(0)
    info = {"item": item.code, "item_name": item.name, "serial": u.serial,
            "lot": _lot_code(conn, u.lot_id), "location": loc.code, "location_path": loc.path,
            "unit_cost": cost, "value": cost}  # fmt: skip
    if note:
        now_at = location_by_id(conn, u.location_id)
        info |= {"note": note, "now_location_path": now_at.path}
    return info


def _item(conn: Connection, item_id: int) -> Any:
    from tracelot.services.lookup import item_by_id

    return item_by_id(conn, item_id)


def _quantities(
    conn: Connection,
    count: _Count,
    expected: Sequence[Any],
    scans: Sequence[Any],
    adjustment: int,
    lines: list[Line],
) -> list[dict[str, Any]]:
    """A row per item, lot and location counted by quantity: expected at the start, the
    ledger's balance at the (last) scan, counted, and the difference to book."""
    Key = tuple[int, int | None, int]
    start: dict[Key, Decimal] = {}
    for r in expected:
        if r.unit_id is None:
            start[(r.item_id, r.lot_id, r.location_id)] = Decimal(r.qty)
    counted: dict[Key, Decimal] = defaultdict(Decimal)
    ledger_at_scan: dict[Key, Decimal] = {}
    for s in scans:  # in the order scanned: the last scan's ledger figure stands
        if s.unit_id is None:
            key = (s.item_id, s.lot_id, s.location_id)
            counted[key] += Decimal(s.qty)
            ledger_at_scan[key] = Decimal(s.ledger_qty or 0)
    unscanned = [k for k in start if k not in counted]
    balances = _balances(conn, unscanned)
    rows = []
    for key in sorted(start.keys() | counted.keys(), key=lambda k: (k[0], k[1] or 0, k[2])):
        item_id, lot_id, location_id = key
        if key in counted:
            judged, got = ledger_at_scan[key], counted[key]
        else:  # never scanned: what is still there of what was expected is missing
            judged, got = min(start[key], balances.get(key, Decimal(0))), Decimal(0)
        diff = got - judged
        cost = costing.incoming_cost(conn, item_id, lot_id)
        item, loc = _item(conn, item_id), location_by_id(conn, location_id)
        rows.append({
            "item": item.code, "item_name": item.name, "lot": _lot_code(conn, lot_id),
            "location": loc.code, "location_path": loc.path,
            "expected": start.get(key, Decimal(0)), "ledger": judged, "counted": got,
            "difference": diff, "unit_cost": cost, "value": costing.money(diff * cost),
        })  # fmt: skip
        if diff > 0:
            lines.append(Line(item_id, adjustment, location_id, diff, lot_id))
        elif diff < 0:
            lines.append(Line(item_id, location_id, adjustment, -diff, lot_id))
    return rows


def _balances(conn: Connection, keys: list[tuple[int, int | None, int]]) -> dict:
    if not keys:
        return {}
    places = {k[2] for k in keys}
    query = select(stock.c.item_id, stock.c.lot_id, stock.c.location_id, stock.c.qty).where(
        id_in(conn, stock.c.location_id, places)
    )
    return {(r.item_id, r.lot_id, r.location_id): Decimal(r.qty) for r in conn.execute(query)}


# -- showing ------------------------------------------------------------------------------


def show_count(conn: Connection, count_id: int, *, reveal: bool = True) -> dict[str, Any]:
    """A count: its header, what was scanned, and (unless it is blind and not `reveal`ed)
    its variances: serials missing, serials found elsewhere, quantity differences per lot
    and per item, each with its value. A posted count shows what it booked."""
    count = _count(conn, count_id)
    head = _head(conn, count)
    counted = _counted(conn, count)
    if (count.blind and not reveal) or count.status == "cancelled":  # nothing to book
        return head | {"hidden": True, "counted": counted}
    if count.status == "posted" and count.row.variances:
        frozen = json.loads(count.row.variances, parse_float=Decimal)
        return head | {"hidden": False, "counted": counted} | _decimals(frozen)
    return (
        head
        | {"hidden": False, "counted": counted}
        | _report(conn, count, _variances(conn, count), counted)
    )


_FIGURES = frozenset({"expected", "ledger", "counted", "difference", "unit_cost", "value",
                      "missing_value", "found_value", "quantity_value"})  # fmt: skip


def _decimals(value: Any, key: str = "") -> Any:
    """The figures of a frozen report as the exact decimals they were."""
    if isinstance(value, dict):
        return {k: _decimals(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if key in _FIGURES and isinstance(value, int | Decimal) and not isinstance(value, bool):
        return normalize(Decimal(value))
    return value


def _head(conn: Connection, count: _Count) -> dict[str, Any]:
    r = count.row
    scans = conn.execute(
        select(func.count(), func.count(func.distinct(count_scans.c.user_name))).where(
            count_scans.c.count_id == count.id
        )
    ).one()
    return {
        "count": count.id, "location": count.location.code,
        "location_path": count.location.path, "status": count.status, "blind": count.blind,
        "items": count.items, "note": r.note, "started_at": r.started_at,
        "started_by": r.started_by, "posted_at": r.posted_at, "posted_by": r.posted_by,
        "operation": r.posted_op_id, "scans": scans[0], "counters": scans[1],
        "cancelled_at": r.cancelled_at, "cancelled_by": r.cancelled_by,
        "cancel_reason": r.cancel_reason,
    }  # fmt: skip


def _counted(conn: Connection, count: _Count) -> list[dict[str, Any]]:
    """What was counted, per item, lot and location (units counted, not listed)."""
    sums = (  # grouped by ids first, named after: a few rows to join, not every scan
        select(count_scans.c.item_id, count_scans.c.lot_id, count_scans.c.location_id,
               func.sum(count_scans.c.qty).label("qty"),
               func.max(count_scans.c.scanned_at).label("last"))
        .where(count_scans.c.count_id == count.id)
        .group_by(count_scans.c.item_id, count_scans.c.lot_id, count_scans.c.location_id)
        .subquery()
    )  # fmt: skip
    query = (
        select(items.c.code, lots.c.code.label("lot"), locations.c.code.label("location"),
               locations.c.path, sums.c.qty, sums.c.last)
        .select_from(sums)
        .join(items, items.c.id == sums.c.item_id)
        .outerjoin(lots, lots.c.id == sums.c.lot_id)
        .join(locations, locations.c.id == sums.c.location_id)
        .order_by(items.c.code, lots.c.code, locations.c.path)
    )  # fmt: skip
    return [
        {"item": r.code, "lot": r.lot, "location": r.location, "location_path": r.path,
         "qty": costing.exact(r.qty), "last_scanned_at": r.last}
        for r in conn.execute(query)
    ]  # fmt: skip


def _report(
    conn: Connection, count: _Count, v: _Variances, counted: list[dict[str, Any]]
) -> dict[str, Any]:
    by_item: dict[str, dict[str, Any]] = {}

    def add(item: str, *, expected: Decimal = Decimal(0), counted: Decimal = Decimal(0),
            difference: Decimal = Decimal(0), value: Decimal = Decimal(0)) -> None:  # fmt: skip
        row = by_item.setdefault(item, {"item": item, "expected": Decimal(0),
                                        "counted": Decimal(0), "difference": Decimal(0),
                                        "value": Decimal(0)})  # fmt: skip
        row["expected"] += expected
        row["counted"] += counted
        row["difference"] += difference
        row["value"] += value

    exp_units = conn.execute(
        select(items.c.code, func.count())
        .join(items, items.c.id == count_expected.c.item_id)
        .where(count_expected.c.count_id == count.id, count_expected.c.unit_id.is_not(None))
        .group_by(items.c.code)
    ).all()
    for code, n in exp_units:
        add(code, expected=Decimal(n))
    for row in counted:
        tracked = _item_tracking(conn, row["item"])
        if tracked == Tracking.SERIAL:
            add(row["item"], counted=row["qty"])
    for m in v.missing:
        add(m["item"], difference=Decimal(-1), value=-m["value"])
    for q in v.quantities:
        add(q["item"], expected=q["expected"], counted=q["counted"], difference=q["difference"],
            value=q["value"])  # fmt: skip
    missing_value = sum((m["value"] for m in v.missing), Decimal(0))
    found_value = sum((f["value"] for f in v.found), Decimal(0))
    qty_value = sum((q["value"] for q in v.quantities), Decimal(0))
    return {
        "present": v.present,
        "missing": v.missing,
        "found": v.found,
        "moved": v.moved,
        "quantities": v.quantities,
        "by_item": [by_item[k] for k in sorted(by_item)],
        "total": {
            "missing": len(v.missing), "found": len(v.found),
            "missing_value": missing_value, "found_value": found_value,
            "quantity_value": qty_value, "value": qty_value - missing_value,
        },
    }  # fmt: skip


def _item_tracking(conn: Connection, code: str) -> str:
    return item_by_code(conn, code).tracking


def list_counts(conn: Connection) -> list[dict[str, Any]]:
    """Every count, newest first: place, status, scans."""
    scans = (
        select(count_scans.c.count_id, func.count().label("n"))
        .group_by(count_scans.c.count_id)
        .subquery()
    )
    query = (
        select(counts, locations.c.code, locations.c.path, scans.c.n)
        .join(locations, locations.c.id == counts.c.location_id)
        .outerjoin(scans, scans.c.count_id == counts.c.id)
        .order_by(counts.c.id.desc())
    )
    return [
        {"count": r.id, "location": r.code, "location_path": r.path, "status": r.status,
         "blind": bool(r.blind), "items": json.loads(r.items) if r.items else None,
         "started_at": r.started_at, "started_by": r.started_by, "posted_at": r.posted_at,
         "operation": r.posted_op_id, "scans": r.n or 0}
        for r in conn.execute(query)
    ]  # fmt: skip


# -- posting --------------------------------------------------------------------------------


def handle_post(
    conn: Connection, command: PostCount, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Book the count's variances in one operation (kind `count`); a count is posted
    once: of two posts at once, the second is refused."""
    c = command
    count = _count(conn, c.count_id, lock=True)
    claimed = conn.execute(
        update(counts)
        .where(counts.c.id == count.id, counts.c.status == "open")
        .values(status="posted", posted_at=at or now(), posted_by=user)
    ).rowcount
    if claimed != 1 and count.status == "cancelled":
        raise Conflict(f"count {count.id} is cancelled: it books nothing")
    if claimed != 1:
        raise Conflict(f"count {count.id} is posted already"
                       + (f" (operation {count.row.posted_op_id})"
                          if count.row.posted_op_id else ""))  # fmt: skip
    v = _variances(conn, count)
    op_id = None
    if v.lines:
        op_id = new_operation(conn, OperationKind.COUNT, user=user, at=at,
                              reference=f"count {count.id}", note=c.note)  # fmt: skip
        post(conn, op_id, _merged(v.lines))
        release_what_went(conn, v.lines)  # what was missing is reserved no more
    counted = _counted(conn, count)
    report = _report(conn, count, v, counted)
    conn.execute(
        update(counts)
        .where(counts.c.id == count.id)
        .values(posted_op_id=op_id, variances=json.dumps(report, default=_json_default))
    )
    head = _head(conn, _count(conn, count.id))  # as posted: by whom, when, its operation
    return head | {"hidden": False, "counted": counted} | report | {"lines": len(v.lines)}


def handle_cancel(
    conn: Connection, command: CancelCount, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Cancel an open count: it books nothing and takes no more scans (of a cancel and a
    post at once, one is refused)."""
    count = _count(conn, command.count_id, lock=True)
    claimed = conn.execute(
        update(counts)
        .where(counts.c.id == count.id, counts.c.status == "open")
        .values(
            status="cancelled",
            cancelled_at=at or now(),
            cancelled_by=user,
            cancel_reason=command.reason,
        )  # fmt: skip
    ).rowcount
    if claimed != 1:
        raise Conflict(f"count {count.id} is {count.status}: only an open count is cancelled")
    return _head(conn, _count(conn, count.id)) | {"hidden": True, "counted": []}


def _merged(lines: list[Line]) -> list[Line]:
    """Unit lines as they are; quantity lines are one per item, lot and place already."""
    return lines


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


# -- the auditor's report -------------------------------------------------------------------


def report(conn: Connection, count_id: int, *, fmt: str = "csv") -> bytes:
    """The auditor's report of a count (its expected figures always): CSV or PDF."""
    if fmt not in ("csv", "pdf"):
        raise InvalidInput(f"a count report is csv or pdf, not {fmt!r}")
    shown = show_count(conn, count_id, reveal=True)
    if fmt == "pdf":
        return render_pdf(shown)
    from tracelot.services.tabular import csv_text

    return csv_text(report_rows(shown), REPORT_COLUMNS).encode()


def report_rows(shown: dict[str, Any]) -> list[dict[str, Any]]:
    """A count's variances as flat rows (REPORT_COLUMNS): missing and found units, and
    quantity differences."""
    rows: list[dict[str, Any]] = []
    for m in shown.get("missing", []):
        rows.append({**m, "kind": "missing", "expected": 1, "counted": 0, "difference": -1,
                     "value": -m["value"]})  # fmt: skip
    for f in shown.get("found", []):
        rows.append({**f, "kind": "found", "expected": 0, "counted": 1, "difference": 0})
    for q in shown.get("quantities", []):
        if q["difference"] != 0:
            rows.append({**q, "kind": "quantity", "expected": q["ledger"]})
    return rows


def render_pdf(shown: dict[str, Any]) -> bytes:
    """The count report as an A4 PDF for the auditor: the count, its totals, every
    variance with its value, and the figures per item."""
    import io

    from reportlab.lib import colors  # loaded only when a report is written
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=f"Count {shown['count']}",
                            author="tracelot", leftMargin=15 * mm, rightMargin=15 * mm)  # fmt: skip

    def para(text: str, style: str = "BodyText") -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, styles[style])

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal | int | float):
            return format(normalize(Decimal(str(value))), "f")
        return str(value)

    def grid(rows: list[list[str]]) -> Table:
        t = Table(rows, repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ]))  # fmt: skip
        return t

    total = shown.get("total", {})
    story: list[Any] = [
        para(f"Stock count {shown['count']}: {shown['location_path']}", "Title"),
        para(f"Status: {shown['status']}; started {cell(shown['started_at'])} by "
             f"{shown['started_by']}; posted {cell(shown['posted_at']) or '-'} by "
             f"{shown['posted_by'] or '-'}; operation {shown['operation'] or '-'}; "
             f"{shown['scans']} scans by {shown['counters']} counter(s)."),  # fmt: skip
        para(f"Units missing: {total.get('missing', 0)} (value {cell(total.get('missing_value'))});"
             f" units found elsewhere: {total.get('found', 0)} (value "
             f"{cell(total.get('found_value'))}); quantity differences: value "
             f"{cell(total.get('quantity_value'))}; net adjustment: {cell(total.get('value'))}."),
        Spacer(1, 4 * mm),
        para("Variances", "Heading2"),
    ]  # fmt: skip
    columns = ["kind", "item", "serial", "lot", "location_path", "ledger_location_path",
               "expected", "counted", "difference", "value"]  # fmt: skip
    rows = [columns] + [[cell(r.get(c)) for c in columns] for r in report_rows(shown)]
    story += [grid(rows) if len(rows) > 1 else para("None: the count matches the ledger.")]
    story += [Spacer(1, 4 * mm), para("By item", "Heading2")]
    item_cols = ["item", "expected", "counted", "difference", "value"]
    story.append(grid([item_cols] + [[cell(r[c]) for c in item_cols]
                                     for r in shown.get("by_item", [])]))  # fmt: skip
    doc.build(story)
    return out.getvalue()


def role_of(conn: Connection, user: str) -> str | None:
    """The role of a user of the database (the CLI's acting user), or None."""
    from tracelot.store.tables import users

    return conn.execute(select(users.c.role).where(users.c.name == user)).scalar()


__all__ = [
    "POSTERS", "REPORT_COLUMNS", "handle_post", "handle_scans", "handle_start", "list_counts",
    "render_pdf", "report_rows", "role_of", "show_count",
]  # fmt: skip
