"""Recalls: hold everything a bad lot touched, tell the customers, work it to closure.

Opening a recall traces its scope forward, freezes the affected list as of that moment
(`recall_items`), and holds every affected unit and lot still in our hands. Each item
that needs action (in stock, in work in progress, shipped) then gets a disposition;
a return from the customer is matched to the recall by itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, literal, or_, select, update

from tracelot.domain.commands import CloseRecall, ExtendRecall, MarkRecall, OpenRecall
from tracelot.domain.errors import AlreadyExists, InvalidInput, NotAvailable, NotFound
from tracelot.domain.serials import parse_serials
from tracelot.domain.status import (
    DISPOSITIONS,
    ON_HAND,
    LocationKind,
    OperationKind,
    Status,
    status_at,
)
from tracelot.domain.values import parse_date
from tracelot.services import affected
from tracelot.services.holds import holds_changed, place_hold, release_holds
from tracelot.services.ledger import Line, new_operation, post
from tracelot.services.lookup import (
    Target,
    location_ids_of_kind,
    party_by_code,
    virtual_location,
)
from tracelot.services.resolver import item_named, location_named, targets_named
from tracelot.services.trace import Key, root_keys
from tracelot.store.bulk import id_in
from tracelot.store.tables import (
    genealogy,
    holds,
    items,
    locations,
    lots,
    moves,
    operations,
    parties,
    recall_items,
    recalls,
    stock,
    units,
)

NEEDS_ACTION = {Status.IN_STOCK.value, Status.WIP.value, Status.SHIPPED.value,
                Status.IN_TRANSIT.value}  # fmt: skip
ON_HAND_VALUES = {s.value for s in ON_HAND}


def handle_open_recall(
    conn: Connection, command: OpenRecall, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Open a recall of a scope: references, a supplier's lot, a serial range or a date range."""
    c = command
    reason, refs, supplier, supplier_lot = c.reason, list(c.refs), c.supplier, c.supplier_lot
    item, serials, quarantine = c.item, c.serials, c.quarantine
    made_between = _days(c.made_between)
    scope = {
        k: v
        for k, v in {
            "refs": refs or None, "supplier": supplier, "supplier_lot": supplier_lot,
            "item": item, "serials": serials,
            "made_between": list(made_between) if made_between else None,
        }.items()
        if v
    }  # fmt: skip
    roots = _scope_roots(conn, refs, supplier, supplier_lot, item, serials, made_between)
    roots_text = _refuse_open_scope(conn, roots)
    quarantine_loc = location_named(conn, quarantine) if quarantine else None
    op_id = new_operation(conn, OperationKind.RECALL, user=user, at=at, note=reason.strip())
    recall_id = conn.execute(
        insert(recalls)
        .values(
            reason=reason.strip(),
            status="open",
            scope=json.dumps(scope),
            roots=roots_text,
            opened_op_id=op_id,
        )
        .returning(recalls.c.id)
    ).scalar_one()
    _add_affected(conn, recall_id, roots, op_id, reason.strip(), quarantine_loc, user, at)
    return show_recall(conn, recall_id)


def _days(between: tuple[dt.date, dt.date] | None) -> tuple[str, str] | None:
    """Two dates as the recall's scope keeps them (ISO 8601 text)."""
    return (between[0].isoformat(), between[1].isoformat()) if between else None


def handle_extend_recall(
    conn: Connection, command: ExtendRecall, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Add references to an open recall's scope and hold what they touched as well."""
    recall_id, refs = command.recall_id, list(command.refs)
    recall = _open_recall_row(conn, recall_id)
    new_roots = root_keys(conn, refs, None, None)
    roots = list(dict.fromkeys(_parse_roots(recall.roots) + new_roots))
    scope = json.loads(recall.scope)
    scope["refs"] = list(dict.fromkeys([*scope.get("refs", []), *refs]))
    op_id = new_operation(
        conn, OperationKind.RECALL, user=user, at=at, note=f"extend recall {recall_id}"
    )
    conn.execute(
        update(recalls)
        .where(recalls.c.id == recall_id)
        .values(scope=json.dumps(scope), roots=_roots_text(roots))
    )
    _add_affected(conn, recall_id, roots, op_id, recall.reason, None, user, at)
    return show_recall(conn, recall_id)


def _scope_roots(
    conn: Connection,
    refs: list[str] | None,
    supplier: str | None,
    supplier_lot: str | None,
    item: str | None,
    serials: str | None,
    made_between: tuple[str, str] | None,
) -> list[Key]:
    roots: list[Key] = []
    if refs or supplier or supplier_lot:
        roots += root_keys(conn, refs or [], supplier, supplier_lot)
    if serials or made_between:
        if not item:
            raise InvalidInput("a serial or date range needs --item")
        item_row = item_named(conn, item)
        if serials:
            wanted = parse_serials(serials)
            found = dict(
                conn.execute(
                    select(units.c.serial, units.c.id).where(
                        units.c.item_id == item_row.id, units.c.serial.in_(wanted)
                    )
                ).all()
            )
            missing = [s for s in wanted if s not in found]
            if missing:
                shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
                raise NotFound(f"item {item_row.code} has no serial {shown}")
            roots += [("unit", found[s]) for s in wanted]
        if made_between:
            start, end = (parse_date(d, what="date") for d in made_between)
            if end < start:
                raise InvalidInput(f"the date range {start}..{end} runs backwards")
            roots += [
                ("lot", i)
                for i in conn.execute(
                    select(lots.c.id).where(
                        lots.c.item_id == item_row.id, lots.c.made.between(start, end)
                    )
                ).scalars()
            ]
            roots += [
                ("unit", i)
                for i in conn.execute(
                    select(units.c.id).where(
                        units.c.item_id == item_row.id, units.c.made.between(start, end)
                    )
                ).scalars()
            ]
    elif item:
        raise InvalidInput("--item needs --serials or --made-between")
    if not roots:
        raise InvalidInput("the recall scope is empty: nothing was made or received in it")
    return list(dict.fromkeys(roots))


def _roots_text(roots: list[Key]) -> str:
    return ",".join(f"{kind}:{ident}" for kind, ident in sorted(roots))


def _parse_roots(text: str) -> list[Key]:
    return [(part.split(":")[0], int(part.split(":")[1])) for part in text.split(",") if part]


def _add_affected(
    conn: Connection,
    recall_id: int,
    roots: list[Key],
    op_id: int,
    reason: str,
    quarantine: Row | None,
    user: str,
    at: dt.datetime | None,
) -> None:
    """Freeze the affected list (new rows only) and hold what of them is still in our
    hands, all in the database (`affected.freeze`: no Python object per row)."""
    last = affected.freeze(conn, recall_id, roots, needs_action=frozenset(NEEDS_ACTION))
    new_rows = and_(
        recall_items.c.recall_id == recall_id,
        recall_items.c.id > last,
        # in transit: ours, and held when it arrives
        recall_items.c.status.in_(sorted(ON_HAND_VALUES | {Status.IN_TRANSIT.value})),
    )
    held = holds.alias("held")
    held_already = (
        select(held.c.id)
        .where(
            held.c.recall_id == recall_id,
            held.c.released_op_id.is_(None),
            held.c.unit_id.is_not_distinct_from(recall_items.c.unit_id),
            held.c.lot_id.is_not_distinct_from(recall_items.c.lot_id),
        )
        .exists()
    )
    to_hold = (
        select(
            recall_items.c.item_id,
            recall_items.c.unit_id,
            recall_items.c.lot_id,
            literal(f"recall {recall_id}: {reason}"),
            literal(recall_id),
            literal(op_id),
        )
        .where(new_rows, ~held_already)
        .group_by(recall_items.c.item_id, recall_items.c.unit_id, recall_items.c.lot_id)
        .order_by(func.min(recall_items.c.id))
    )
    columns = ["item_id", "unit_id", "lot_id", "reason", "recall_id", "placed_op_id"]
    if conn.execute(insert(holds).from_select(columns, to_hold)).rowcount:
        holds_changed(conn)
    if quarantine is not None:
        keys = conn.execute(
            select(recall_items.c.unit_id, recall_items.c.lot_id)
            .where(new_rows)
            .order_by(recall_items.c.id)
        ).all()
        in_hands = [("unit", u) if u is not None else ("lot", lot) for u, lot in keys]
        _quarantine(conn, list(dict.fromkeys(in_hands)), quarantine, recall_id, user, at)
        conn.execute(  # the list says where the stock is now: in quarantine
            update(recall_items)
            .where(
                recall_items.c.recall_id == recall_id,
                recall_items.c.status.in_(ON_HAND_VALUES),
            )
            .values(location_id=quarantine.id, status=status_at(quarantine.kind).value)
        )


def _quarantine(
    conn: Connection,
    keys: list[Key],
    quarantine: Row,
    recall_id: int,
    user: str,
    at: dt.datetime | None,
) -> None:
    """Move every held unit and lot balance on hand into the quarantine location."""
    unit_ids = [i for k, i in keys if k == "unit"]
    lot_ids = [i for k, i in keys if k == "lot"]
    lines: list[Line] = []
    if unit_ids:
        lines += [
            Line(u.item_id, u.location_id, quarantine.id, Decimal(1), u.lot_id, u.id)
            for u in conn.execute(
                select(units).where(
                    id_in(conn, units.c.id, unit_ids), units.c.location_id != quarantine.id
                )
            )
        ]
    if lot_ids:
        balances = conn.execute(
            select(stock.c.item_id, stock.c.location_id, stock.c.lot_id, stock.c.qty)
            .join(locations, locations.c.id == stock.c.location_id)
            .where(
                id_in(conn, stock.c.lot_id, lot_ids), stock.c.qty > 0, ~locations.c.virtual,
                stock.c.location_id != quarantine.id,
            )
        )  # fmt: skip
        lines += [Line(b.item_id, b.location_id, quarantine.id, b.qty, b.lot_id) for b in balances]
    if lines:
        op_id = new_operation(
            conn, OperationKind.MOVE, user=user, at=at, reference=f"recall {recall_id}",
            note="quarantined by the recall",
        )  # fmt: skip
        post(conn, op_id, lines)


def _open_recall_row(conn: Connection, recall_id: int) -> Row:
    recall = conn.execute(select(recalls).where(recalls.c.id == recall_id)).first()
    if recall is None:
        raise NotFound(f"there is no recall {recall_id}")
    if recall.status != "open":
        raise NotAvailable(f"recall {recall_id} is closed")
    return recall


def handle_mark_recall(
    conn: Connection, command: MarkRecall, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Record, in one operation, what became of affected units and lots: named (`refs`),
    everything of the recall at a location (`at`, and below it), or of a customer.

    `scrapped` scraps what of them is still on hand (a scrap operation on the ledger);
    `returned` is accepted only for what is no longer at the customer; `reworked` names
    the repair (replace) or build that reworked each of them; `cleared` releases their
    holds. The other dispositions are records."""
    c = command
    if c.disposition not in DISPOSITIONS:
        raise InvalidInput(
            f"disposition must be one of {', '.join(DISPOSITIONS)}, not {c.disposition!r}"
        )
    recall = _open_recall_row(conn, c.recall_id)
    rows = _rows_to_mark(conn, c)
    if c.disposition == "returned":
        _refuse_still_at_customer(conn, rows)
    if c.operation is not None and c.disposition != "reworked":
        raise InvalidInput("--operation names the repair of reworked only")
    rework_op_id = _rework_operation(conn, c, rows) if c.disposition == "reworked" else None
    named = ", ".join(c.refs) or "selected items"
    op_id = new_operation(
        conn, OperationKind.RECALL, user=user, at=at, reference=f"recall {c.recall_id}",
        note=c.note or f"{named}: {c.disposition}",
    )  # fmt: skip
    if c.disposition == "scrapped":
        _scrap_on_hand(conn, rows, recall, user=user, at=at)
    if c.disposition == "returned-to-supplier":
        _return_on_hand(conn, rows, recall, to=c.to, user=user, at=at)
    elif c.to is not None:
        raise InvalidInput("--to names the supplier of returned-to-supplier only")
    conn.execute(
        update(recall_items)
        .where(recall_items.c.id.in_([r.id for r in rows]))
        .values(disposition=c.disposition, disposition_op_id=op_id, rework_op_id=rework_op_id)
    )
    if c.disposition == "cleared":
        release_holds(conn, _holds_of_rows(conn, c.recall_id, rows), op_id)
    return show_recall(conn, c.recall_id)


def _rows_to_mark(conn: Connection, c: MarkRecall) -> list[Row]:
    """The recall's rows a mark names: its references' (or all), narrowed by location
    and customer."""
    query = (
        select(
            recall_items.c.id, recall_items.c.item_id, recall_items.c.unit_id,
            recall_items.c.lot_id, items.c.tracking,
        )
        .join(items, items.c.id == recall_items.c.item_id)
        .join(locations, locations.c.id == recall_items.c.location_id)
        .where(recall_items.c.recall_id == c.recall_id)
        .order_by(recall_items.c.id)
    )  # fmt: skip
    if not c.refs and c.at is None and c.customer is None:
        raise InvalidInput("name what to mark: references, --at LOC or --customer C")
    if c.refs:
        selectors = []
        for target in targets_named(conn, c.refs):
            selector = _item_selector(target)
            if selector is None:
                raise InvalidInput(f"mark a unit or a lot, not {target}")
            if conn.execute(query.where(selector)).first() is None:
                raise NotFound(f"{target} is not in recall {c.recall_id}")
            selectors.append(selector)
        query = query.where(or_(*selectors))
    if c.at is not None:
        place = location_named(conn, c.at)
        query = query.where(
            or_(locations.c.path == place.path, locations.c.path.like(f"{place.path}/%"))
        )
    if c.customer is not None:
        customer = party_by_code(conn, c.customer, "customer")
        query = query.where(recall_items.c.customer_id == customer.id)
    rows = list(conn.execute(query).all())
    if not rows:
        raise NotFound(f"nothing of recall {c.recall_id} matches")
    return rows


def _rework_operation(conn: Connection, c: MarkRecall, rows: list[Row]) -> int:
    """The repair (a replace) or build a `reworked` mark names, checked to have worked on
    every unit and lot marked: moved it, or changed its components."""
    if c.operation is None:
        raise InvalidInput(
            "reworked names the repair that reworked it: give --operation ID (a replace or build)"
        )
    op = conn.execute(
        select(operations.c.id, operations.c.kind).where(operations.c.id == c.operation)
    ).first()
    if op is None:
        raise NotFound(f"there is no operation {c.operation}")
    if op.kind not in (OperationKind.REPLACE, OperationKind.BUILD):
        raise InvalidInput(f"operation {op.id} is a {op.kind}, not a repair (replace) or build")
    of_op = or_(genealogy.c.operation_id == op.id, genealogy.c.removed_op_id == op.id)
    touched_units = set(
        conn.execute(select(moves.c.unit_id).where(moves.c.operation_id == op.id)).scalars()
    ) | set(conn.execute(select(genealogy.c.parent_unit_id).where(of_op)).scalars())
    touched_lots = set(
        conn.execute(select(moves.c.lot_id).where(moves.c.operation_id == op.id)).scalars()
    ) | set(conn.execute(select(genealogy.c.parent_lot_id).where(of_op)).scalars())
    untouched = [
        r for r in rows
        if (r.lot_id not in touched_lots if r.unit_id is None else r.unit_id not in touched_units)
    ]  # fmt: skip
    if untouched:
        names = ", ".join(_row_names(conn, untouched[:5]))
        more = f" and {len(untouched) - 5} more" if len(untouched) > 5 else ""
        raise InvalidInput(f"{op.kind} {op.id} did not rework {names}{more}")
    return int(op.id)


def _row_names(conn: Connection, rows: list[Row]) -> list[str]:
    """ITEM:SERIAL or ITEM@LOT of recall rows, for messages."""
    found = conn.execute(
        select(items.c.code, units.c.serial, lots.c.code.label("lot"))
        .select_from(recall_items)
        .join(items, items.c.id == recall_items.c.item_id)
        .outerjoin(units, units.c.id == recall_items.c.unit_id)
        .outerjoin(lots, lots.c.id == recall_items.c.lot_id)
        .where(recall_items.c.id.in_([r.id for r in rows]))
        .order_by(recall_items.c.id)
    )
    return [f"{r.code}:{r.serial}" if r.serial else f"{r.code}@{r.lot}" for r in found]


def _refuse_still_at_customer(conn: Connection, rows: list[Row]) -> None:
    """`returned` is for what came back: a unit still at a customer is refused."""
    at_customer = location_ids_of_kind(conn, LocationKind.CUSTOMER.value)
    unit_ids = [r.unit_id for r in rows if r.unit_id is not None]
    if not unit_ids:
        return
    still = conn.execute(
        select(items.c.code, units.c.serial)
        .join(items, items.c.id == units.c.item_id)
        .where(units.c.id.in_(unit_ids), units.c.location_id.in_(at_customer))
        .order_by(items.c.code, units.c.serial)
    ).all()
    if still:
        names = ", ".join(f"{r.code}:{r.serial}" for r in still)
        raise NotAvailable(
            f"{names} not returned: still at the customer (book the return with "
            "`tracelot return`, which marks it returned)"
        )


def _scrap_on_hand(
    conn: Connection, rows: list[Row], recall: Row, *, user: str, at: dt.datetime | None
) -> None:
    """Scrap what of the rows is still on hand (held stock too), in one scrap operation."""
    lines = _on_hand_lines(conn, rows, virtual_location(conn, "SCRAP").id)
    if not lines:
        return
    op_id = new_operation(
        conn, OperationKind.SCRAP, user=user, at=at, reference=f"recall {recall.id}",
        note=f"recall {recall.id}: {recall.reason}",
    )  # fmt: skip
    post(conn, op_id, lines)


def _return_on_hand(
    conn: Connection,
    rows: list[Row],
    recall: Row,
    *,
    to: str | None,
    user: str,
    at: dt.datetime | None,
) -> None:
    """Send what of the rows is still on hand back to the supplier (`to`, else the
    recall's), in one return-to-supplier operation."""
    code = to or json.loads(recall.scope).get("supplier")
    if not code:
        raise InvalidInput("give --to: the supplier this recall's stock goes back to")
    supplier = party_by_code(conn, code, "supplier")
    lines = _on_hand_lines(conn, rows, virtual_location(conn, "SUPPLIER").id)
    if not lines:
        raise NotAvailable("nothing of it is on hand to send back")
    op_id = new_operation(
        conn, OperationKind.RETURN_TO_SUPPLIER, user=user, at=at,
        reference=f"recall {recall.id}", note=f"recall {recall.id}: {recall.reason}",
        party_id=supplier.id,
    )  # fmt: skip
    post(conn, op_id, lines, party_id=supplier.id)


def _on_hand_lines(conn: Connection, rows: list[Row], to_id: int) -> list[Line]:
    """Lines taking what of the rows is still on hand (held stock too) to `to_id`."""
    scrap_id = to_id
    on_hand = location_ids_of_kind(
        conn, *(k.value for k in LocationKind if status_at(k.value) in ON_HAND)
    )
    lines: list[Line] = []
    unit_ids = [r.unit_id for r in rows if r.unit_id is not None]
    if unit_ids:
        for u in conn.execute(
            select(units.c.id, units.c.item_id, units.c.lot_id, units.c.location_id)
            .where(units.c.id.in_(unit_ids), units.c.location_id.in_(on_hand))
            .order_by(units.c.id)
        ):
            lines.append(Line(u.item_id, u.location_id, scrap_id, Decimal(1),
                              lot_id=u.lot_id, unit_id=u.id))  # fmt: skip
    lot_ids = sorted({r.lot_id for r in rows if r.unit_id is None and r.tracking == "lot"})
    if lot_ids:
        for b in conn.execute(
            select(stock.c.item_id, stock.c.lot_id, stock.c.location_id, stock.c.qty)
            .where(stock.c.lot_id.in_(lot_ids), stock.c.qty > 0, stock.c.location_id.in_(on_hand))
            .order_by(stock.c.lot_id, stock.c.location_id)
        ):
            lines.append(Line(b.item_id, b.location_id, scrap_id, b.qty, lot_id=b.lot_id))
    return lines


def _holds_of_rows(conn: Connection, recall_id: int, rows: list[Row]) -> list[int]:
    unit_ids = [r.unit_id for r in rows if r.unit_id is not None]
    lot_ids = [r.lot_id for r in rows if r.unit_id is None and r.lot_id is not None]
    query = select(holds.c.id).where(
        holds.c.recall_id == recall_id,
        holds.c.released_op_id.is_(None),
        or_(
            holds.c.unit_id.in_(unit_ids or [-1]),
            and_(holds.c.unit_id.is_(None), holds.c.lot_id.in_(lot_ids or [-1])),
        ),
    )
    return list(conn.execute(query.order_by(holds.c.id)).scalars())


def _item_selector(target: Target):  # noqa: ANN202
    if target.unit is not None:
        return recall_items.c.unit_id == target.unit.id
    if target.lot is not None:
        return (recall_items.c.lot_id == target.lot.id) & recall_items.c.unit_id.is_(None)
    return None


def _recall_holds(conn: Connection, recall_id: int, target: Target | None = None) -> list[int]:
    query = select(holds.c.id).where(
        holds.c.recall_id == recall_id, holds.c.released_op_id.is_(None)
    )
    if target is not None and target.unit is not None:
        query = query.where(holds.c.unit_id == target.unit.id)
    elif target is not None and target.lot is not None:
        query = query.where(holds.c.lot_id == target.lot.id, holds.c.unit_id.is_(None))
    return list(conn.execute(query).scalars())


def match_return(conn: Connection, target: Target, customer_id: int, op_id: int) -> None:
    """A return from a customer of recalled stock: mark it returned and hold it again."""
    selector = _item_selector(target)
    if selector is None:
        return
    found = conn.execute(
        select(recall_items.c.id, recall_items.c.recall_id, recalls.c.reason)
        .join(recalls, recalls.c.id == recall_items.c.recall_id)
        .where(
            selector, recalls.c.status == "open", recall_items.c.customer_id == customer_id,
            recall_items.c.status == Status.SHIPPED.value, recall_items.c.disposition.is_(None),
        )
    ).all()  # fmt: skip
    for row in found:
        conn.execute(
            update(recall_items)
            .where(recall_items.c.id == row.id)
            .values(disposition="returned", disposition_op_id=op_id)
        )
        place_hold(
            conn, target, reason=f"recall {row.recall_id}: {row.reason}", op_id=op_id,
            recall_id=row.recall_id,
        )  # fmt: skip


def handle_close_recall(
    conn: Connection, command: CloseRecall, *, user: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Close a recall whose affected items all have a disposition (or, forced, with a reason)."""
    recall_id, force, reason = command.recall_id, command.force, command.reason
    _open_recall_row(conn, recall_id)
    still_open = conn.execute(
        select(recall_items.c.id).where(
            recall_items.c.recall_id == recall_id, recall_items.c.needs_action,
            recall_items.c.disposition.is_(None),
        )
    ).scalars().all()  # fmt: skip
    if still_open and not force:
        raise NotAvailable(
            f"recall {recall_id} still has {len(still_open)} affected items without a "
            "disposition: mark them, or close with --force --reason"
        )
    if force and not (reason or "").strip():
        raise InvalidInput("closing by force needs a --reason")
    op_id = new_operation(
        conn, OperationKind.RECALL, user=user, at=at, reference=f"recall {recall_id}",
        note=f"closed: {reason.strip()}" if reason else "closed",
    )  # fmt: skip
    conn.execute(
        update(recalls)
        .where(recalls.c.id == recall_id)
        .values(status="closed", closed_op_id=op_id, close_reason=(reason or "").strip() or None)
    )
    # what was cleared was released when it was marked; everything else stays held
    return show_recall(conn, recall_id)


def list_recalls(conn: Connection) -> list[dict[str, Any]]:
    ids = conn.execute(select(recalls.c.id).order_by(recalls.c.id)).scalars().all()
    return [_summary(conn, i) for i in ids]


def show_recall(conn: Connection, recall_id: int) -> dict[str, Any]:
    """Scope, counts by status and disposition, affected items, and whom to notify."""
    summary = _summary(conn, recall_id)
    summary["items"] = recall_item_rows(conn, recall_id)
    summary["notify"] = notify_list(summary["items"])
    return summary


def _summary(conn: Connection, recall_id: int) -> dict[str, Any]:
    opened, closed = operations.alias("opened"), operations.alias("closed")
    r = conn.execute(
        select(
            recalls, opened.c.occurred_at.label("opened_at"),
            opened.c.user_name.label("opened_by"), closed.c.occurred_at.label("closed_at"),
        )
        .join(opened, opened.c.id == recalls.c.opened_op_id)
        .outerjoin(closed, closed.c.id == recalls.c.closed_op_id)
        .where(recalls.c.id == recall_id)
    ).first()  # fmt: skip
    if r is None:
        raise NotFound(f"there is no recall {recall_id}")
    # counted by the database: a recall of 30,000 rows is a handful of groups
    states = conn.execute(
        select(
            recall_items.c.status,
            recall_items.c.needs_action,
            recall_items.c.disposition,
            parties.c.code.label("customer"),
            func.count().label("n"),
        )
        .outerjoin(parties, parties.c.id == recall_items.c.customer_id)
        .where(recall_items.c.recall_id == recall_id)
        .group_by(
            recall_items.c.status,
            recall_items.c.needs_action,
            recall_items.c.disposition,
            parties.c.code,
        )  # fmt: skip
    ).all()

    def count(key: Callable[[Row], str | None], rows: Iterable[Row] = states) -> Counter[str]:
        counted: Counter[str] = Counter()
        for s in rows:
            if (k := key(s)) is not None:
                counted[k] += s.n
        return counted

    return {
        "recall": r.id,
        "status": r.status,
        "reason": r.reason,
        "scope": json.loads(r.scope),
        "opened_at": r.opened_at,
        "opened_by": r.opened_by,
        "closed_at": r.closed_at,
        "close_reason": r.close_reason,
        "affected": sum(s.n for s in states),
        "open": sum(s.n for s in states if s.needs_action and s.disposition is None),
        "by_status": dict(sorted(count(lambda s: s.status).items())),
        "by_disposition": _in_order(
            count(lambda s: s.disposition or "open", [s for s in states if s.needs_action]),
            ("open", *DISPOSITIONS),
        ),
        "by_customer": dict(sorted(count(lambda s: s.customer).items())),
    }


def recall_item_rows(conn: Connection, recall_id: int) -> list[dict[str, Any]]:
    query = (
        select(
            items.c.code.label("item"), units.c.serial, lots.c.code.label("lot"),
            recall_items.c.qty, recall_items.c.status, recall_items.c.needs_action,
            locations.c.path.label("location_path"), parties.c.code.label("customer"),
            parties.c.name.label("customer_name"), recall_items.c.shipment_ref,
            recall_items.c.shipment_date, recall_items.c.disposition,
            recall_items.c.rework_op_id.label("rework_operation"),
        )
        .select_from(recall_items)
        .join(items, items.c.id == recall_items.c.item_id)
        .outerjoin(units, units.c.id == recall_items.c.unit_id)
        .outerjoin(lots, lots.c.id == recall_items.c.lot_id)
        .join(locations, locations.c.id == recall_items.c.location_id)
        .outerjoin(parties, parties.c.id == recall_items.c.customer_id)
        .where(recall_items.c.recall_id == recall_id)
        .order_by(recall_items.c.id)
    )  # fmt: skip
    result = conn.execute(query)
    names = tuple(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result.all()]


def notify_list(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per customer, the units and lots they received, with shipment references and dates."""
    return sorted(
        (
            {
                "customer": r["customer"], "customer_name": r["customer_name"],
                "item": r["item"], "serial": r["serial"], "lot": r["lot"], "qty": r["qty"],
                "shipment_ref": r["shipment_ref"], "shipment_date": r["shipment_date"],
                "disposition": r["disposition"],
            }
            for r in rows
            if r["status"] == Status.SHIPPED.value
        ),
        key=lambda r: (r["customer"], r["item"], r["serial"] or "", r["lot"] or ""),
    )  # fmt: skip


def preview(
    conn: Connection,
    *,
    refs: list[str] | None = None,
    supplier: str | None = None,
    supplier_lot: str | None = None,
    item: str | None = None,
    serials: str | None = None,
    made_between: tuple[str, str] | None = None,
    quarantine: str | None = None,
) -> dict[str, Any]:
    """What a recall of this scope would list and whom it would notify, read without
    writing anything (a recall's number is taken only when it opens). What `open_recall`
    would refuse (an unknown reference or quarantine, a scope open already) is refused."""
    roots = _scope_roots(conn, refs, supplier, supplier_lot, item, serials, made_between)
    _refuse_open_scope(conn, roots)
    if quarantine:
        location_named(conn, quarantine)
    rows = [
        {**row, "disposition": None, "needs_action": row["status"] in NEEDS_ACTION}
        for row in _affected_rows(conn, roots)
    ]
    return {
        "recall": None,
        "status": "preview",
        "affected": len(rows),
        "open": sum(1 for r in rows if r["needs_action"]),
        "by_status": dict(sorted(Counter(r["status"] for r in rows).items())),
        "by_disposition": {},
        "items": rows,
        "notify": notify_list(rows),
    }


def _refuse_open_scope(conn: Connection, roots: list[Key]) -> str:
    """The scope's roots as kept; refused when a recall of the same scope is open."""
    roots_text = _roots_text(roots)
    same = conn.execute(
        select(recalls.c.id).where(recalls.c.status == "open", recalls.c.roots == roots_text)
    ).first()
    if same is not None:
        raise AlreadyExists(f"recall {same.id} is already open for this scope")
    return roots_text


def _affected_rows(conn: Connection, roots: list[Key]) -> list[dict[str, Any]]:
    """Everything the roots reach now, each unit or lot once per status, place and
    customer (a lot in two bins is two rows): the rows `affected.freeze` would freeze."""
    found, seen = [], set()
    for row in affected.rows(conn, "forward", roots, current_only=True):
        unit_id, lot_id, _, location_id, customer_id = (row.pop(k) for k in _IDS)
        identity = (unit_id, lot_id if unit_id is None else None, row["status"], location_id,
                    customer_id)  # fmt: skip
        if identity not in seen:
            seen.add(identity)
            found.append(row)
    return found


_IDS = ("unit_id", "lot_id", "item_id", "location_id", "customer_id")


def _in_order(counts: Counter[str], order: tuple[str, ...]) -> dict[str, int]:
    """Counts in a fixed order (open first, then the dispositions' own), never the rows' order."""
    return {k: counts[k] for k in order if counts[k]}
