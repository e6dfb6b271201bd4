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
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select

from tracelot.domain.commands import PickScans
from tracelot.domain.errors import InvalidInput, NotAvailable, WrongKind
from tracelot.domain.scan import is_only_a_scan
from tracelot.domain.status import LocationKind
from tracelot.domain.values import normalize, parse_qty
from tracelot.services import orders
from tracelot.services.holds import held_lot_ids, open_holds
from tracelot.services.ledger import now
from tracelot.services.lookup import Target, find_item, find_location, is_expired
from tracelot.services.picking import check_unit_available
from tracelot.services.reservations import lock_balances, reservations_changed
from tracelot.services.resolver import location_named, read, targets_named
from tracelot.store.tables import holds, items, locations, lots, reservations, so_picks, units

_KEY = tuple[int, int, int | None, int | None]  # line, location, lot, unit


@functools.cache
def _picked_query(by_line: bool) -> Any:
    query = select(so_picks).where(so_picks.c.so_id == bindparam("so_id"),
                                   so_picks.c.shipped_op_id.is_(None))  # fmt: skip
    if by_line:
        query = query.where(so_picks.c.so_line_id == bindparam("line_id"))
    return query


def _picked(conn: Connection, so_id: int, line_id: int | None = None) -> dict[_KEY, Decimal]:
    """What is picked and not shipped yet of an order (of one line), by where and what."""
    picked: dict[_KEY, Decimal] = defaultdict(Decimal)
    query = _picked_query(line_id is not None)
    for p in conn.execute(query, {"so_id": so_id, "line_id": line_id}):
        picked[(p.so_line_id, p.location_id, p.lot_id, p.unit_id)] += Decimal(p.qty)
    return picked


def _reserved_rows(conn: Connection, so_id: int, line_id: int | None = None) -> list[Any]:
    """What is reserved for an order (for one line), in walking order."""
    params = {"so_id": so_id, "line_id": line_id}
    return list(conn.execute(_reserved_query(line_id is not None), params))


@functools.cache
def _reserved_query(by_line: bool) -> Any:
    """The query of `_reserved_rows`, built once (building it cost more than running it)."""
    where = [reservations.c.so_id == bindparam("so_id")]
    if by_line:  # one line's: a pick's question
        where.append(reservations.c.so_line_id == bindparam("line_id"))
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


def _is_location(conn: Connection, text: str) -> bool:
    scan = read(conn, text)
    if scan.form != "plain":
        return scan.kind == "location"
    return find_item(conn, text) is None and find_location(conn, text) is not None


def handle_pick(
    conn: Connection, command: PickScans, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Confirm picks for an order by scanning, all of them or (refused) none."""
    c = command
    order = orders.order_row(conn, c.so_id, lock=True)
    if order.status not in orders.ACTIVE:
        hint = ": confirm it first (`tracelot so confirm`)" if order.status == orders.DRAFT else ""
        raise NotAvailable(f"sales order {order.id} is {order.status}{hint}")
    moment = at or now()
    today = moment.date()
    bin_ = location_named(conn, c.at) if c.at else None
    lines = orders.order_lines(conn, order.id)
    picked = orders.picked_by_line(conn, order.id)
    left = {ln.id: ln.qty - ln.shipped - picked.get(ln.id, Decimal(0)) for ln in lines}
    by_item = orders.lines_by_item(lines)
    answers: list[dict[str, Any]] = []
    for text in c.scans:
        if _is_location(conn, text):
            bin_ = location_named(conn, text)
            continue
        ref, qty = _split(text)
        (target,) = targets_named(conn, [ref])
        if qty is None and not is_only_a_scan(ref):
            qty = read(conn, ref).qty
        line = orders.line_for(by_item, target, left, order.id)
        if left[line.id] <= 0:
            all_ = normalize(line.qty - line.shipped)
            raise InvalidInput(f"line {line.line_no} ({line.item}) of sales order {order.id}: "
                               f"all {all_} picked already")  # fmt: skip
        lock_balances(conn, line.item_id, reserving=True)
        if target.unit is not None:
            rows = [_pick_unit(conn, order.id, line, target, bin_, today)]
        else:
            rows = _pick_quantity(conn, order.id, line, target, qty, left[line.id], bin_, today)
        got = sum((r["qty"] for r in rows), Decimal(0))
        left[line.id] -= got
        conn.execute(insert(so_picks), [
            {**r, "so_id": order.id, "so_line_id": line.id, "item_id": line.item_id,
             "picked_at": moment, "user_name": user} for r in rows
        ])  # fmt: skip
        where = ", ".join(sorted({_path(conn, r["location_id"]) for r in rows}))
        answers.append({"input": text, "line": line.line_no, "item": line.item,
                        "lot": target.lot.code if target.lot is not None else None,
                        "serial": target.unit.serial if target.unit is not None else None,
                        "qty": got, "location_path": where,
                        "left": left[line.id]})  # fmt: skip
    return {"order": order.id, "at": bin_.code if bin_ is not None else None,
            "picked": answers, "lines": _progress(conn, order.id)}  # fmt: skip


def _path(conn: Connection, location_id: int) -> str:
    from tracelot.services.lookup import location_by_id

    return location_by_id(conn, location_id).path


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


def _pick_quantity(conn: Connection, so_id: int, line: Any, target: Target,
                   qty: Decimal | None, need: Decimal, bin_: Any,
                   today: dt.date) -> list[dict[str, Any]]:  # fmt: skip
    """Picks of a lot or untracked item: from what is reserved of it for the line (at
    `bin_` if given), in walking order."""
    lot_id = target.lot.id if target.lot is not None else None
    if target.lot is not None:
        found = open_holds(conn, target)
        if found:
            raise NotAvailable(f"{target} is held and can not be picked: hold #{found[0].id}, "
                               f"{found[0].reason}")  # fmt: skip
        if is_expired(target.lot.expires, today):
            raise NotAvailable(f"{target} expired on {target.lot.expires.isoformat()}")
    picked = _picked(conn, so_id, line.id)
    free: list[tuple[int, Decimal]] = []
    for r in _reserved_rows(conn, so_id, line.id):
        if r.so_line_id != line.id or r.unit_id is not None:
            continue
        if (lot_id is not None and r.lot_id != lot_id) or (
            bin_ is not None and r.location_id != bin_.id
        ):
            continue
        if r.kind == LocationKind.QUARANTINE.value:
            continue
        key = (line.id, r.location_id, r.lot_id, None)
        done = min(picked.get(key, Decimal(0)), Decimal(r.qty))
        picked[key] = picked.get(key, Decimal(0)) - done
        if r.qty - done > 0:
            free.append((r.location_id, Decimal(r.qty) - done))
    there = sum((q for _, q in free), Decimal(0))
    if there == 0:
        lots_reserved = sorted({r.lot for r in _reserved_rows(conn, so_id, line.id) if r.lot})
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
    rows = []
    for location_id, q in free:
        take = min(q, wanted)
        rows.append(
            {
                "location_id": location_id,
                "lot_id": lot_id
                if lot_id is not None
                else _lot_at(conn, so_id, line.id, location_id),
                "unit_id": None,
                "qty": take,
            }
        )
        wanted -= take
        if wanted == 0:
            break
    return rows


def _lot_at(conn: Connection, so_id: int, line_id: int, location_id: int) -> int | None:
    query = select(reservations.c.lot_id).where(
        reservations.c.so_line_id == line_id, reservations.c.location_id == location_id,
        reservations.c.unit_id.is_(None))  # fmt: skip
    return conn.execute(query.order_by(reservations.c.id).limit(1)).scalar()


def _progress(conn: Connection, so_id: int) -> list[dict[str, Any]]:
    """Each line: ordered, picked (not shipped yet), shipped, and short (still to pick)."""
    picked = orders.picked_by_line(conn, so_id)
    out = []
    for ln in orders.order_lines(conn, so_id):
        got = picked.get(ln.id, Decimal(0))
        out.append({"line": ln.line_no, "item": ln.item, "lot": ln.lot, "qty": ln.qty,
                    "picked": got, "shipped": ln.shipped,
                    "short": ln.qty - ln.shipped - got})  # fmt: skip
    return out


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
