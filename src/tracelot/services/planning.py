"""How much to order and when: reorder points, safety stock and economic order quantities
from each item's issue history, and the suggestions they give.

For each item, over the look-back: d, the mean daily demand, and sigma, the standard
deviation of the daily demand (days without issues count as zero). With L, the lead
time in days (configured for the item and its supplier, else for the item, else learned
from purchase orders with at least three receipts, else the report's default), and z,
the standard normal quantile of the service level:

    safety stock   SS  = z * sigma * sqrt(L)
    reorder point  ROP = d * L + SS                (at least the item's minimum, if set)
    order quantity EOQ = sqrt(2 * D * S / H)       D = 365 * d a year, S the cost of one
                                                   order, H = holding rate * unit cost
                                                   (the mean cost on hand, else standard)

An item is due when its position (available on hand: not held, expired or in quarantine;
plus what is on order) is at or below its reorder point. The suggestion is the EOQ, or
enough to bring the position above the reorder point if that is more, or up to the
item's maximum when it has one; rounded up to whole units and to its pack size.

What expires is capped: an order is never more than the demand of the days it stays
usable, its shelf life at receipt (the item's, else what its latest lot had left when it
came in) less the lead time (what is on hand when it arrives is used first), rounded down
to its pack size (one pack at least).

Make or buy: an item the company builds (it has builds on the ledger) and has no
preferred supplier is made, not bought: its suggestion is to make, with the components
it needs per its recent builds; it is left out of drafted purchase orders. An item that is
bought names its supplier: the preferred one, else the supplier of its latest purchase
order or lot, else (for the items due) of its latest receipt.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from statistics import NormalDist
from typing import Any

from sqlalchemy import Connection, func, select

from tracelot.domain.errors import InvalidInput
from tracelot.domain.status import LocationKind, Tracking
from tracelot.domain.values import parse_money
from tracelot.services import analytics, purchasing
from tracelot.services.analytics import demand, on_hand, ratio, rounded
from tracelot.services.costing import exact
from tracelot.services.inquiry import held_sets
from tracelot.services.lookup import find_item, is_expired, virtual_location
from tracelot.services.planning_defaults import DEFAULTS
from tracelot.services.resolver import item_named
from tracelot.store.tables import (
    cost_layers,
    genealogy,
    item_suppliers,
    items,
    locations,
    lots,
    moves,
    operations,
    parties,
    po_lines,
    purchase_orders,
    stock,
    units,
)


def reorder(
    conn: Connection,
    *,
    today: dt.date,
    service_level: float = DEFAULTS["service_level"],
    lookback_days: int = DEFAULTS["lookback_days"],
    lead_time_days: int = DEFAULTS["lead_time_days"],
    ordering_cost: Decimal | str = DEFAULTS["ordering_cost"],
    holding_rate: Decimal | str = DEFAULTS["holding_rate"],
    every_item: bool = False,
    only_item: int | None = None,
) -> dict[str, Any]:
    """Every item at or below its reorder point (or, with `every_item`, every item), with
    the suggested quantity and the supplier; `only_item`: that item's row alone."""
    if not 0 < service_level < 1:
        raise InvalidInput(f"the service level must be between 0 and 1, not {service_level}")
    if lookback_days < 2:
        raise InvalidInput(f"the look-back must be 2 days or more, not {lookback_days}")
    if lead_time_days < 0:
        raise InvalidInput(f"the lead time must be 0 days or more, not {lead_time_days}")
    ordering_cost = parse_money(ordering_cost, what="the ordering cost")
    holding_rate = parse_money(holding_rate, what="the holding rate")
    z = NormalDist().inv_cdf(service_level)
    start = today - dt.timedelta(days=lookback_days - 1)
    demands = demand(conn, start=start, end=today)
    available = available_on_hand(conn, today)
    ordered = purchasing.on_order(conn)
    configured = {
        (r.item_id, r.supplier_id): r.lead_time_days
        for r in conn.execute(select(item_suppliers))
        if r.lead_time_days is not None
    }
    learned = purchasing.learned_lead_times(conn)
    per_supplier = {item_id for item_id, _ in (*configured, *learned)}
    suppliers = _usual_suppliers(conn)
    shelf_lives = _shelf_lives_at_receipt(conn)
    recipes = _recipes(conn)
    codes = {pid: code for pid, code in conn.execute(select(parties.c.id, parties.c.code))}
    on_hand_cost = {
        item_id: ratio(value, qty, "0.000001") for item_id, (qty, value) in on_hand(conn).items()
    }
    codes_of_items = dict(conn.execute(select(items.c.id, items.c.code)).all())
    rows: list[dict[str, Any]] = []
    unnamed: list[Any] = []
    query = select(items).order_by(items.c.code)
    if only_item is not None:
        query, every_item = query.where(items.c.id == only_item), True
    for item in conn.execute(query):
        d = demands.get(item.id)
        # net of returns: a look-back with more back than out has no demand, not a negative one
        mean, sd = (d.mean, d.sd) if d is not None and d.mean > 0 else (0.0, 0.0)
        if d is None and item.min_qty is None and not every_item:
            continue
        made = item.supplier_id is None and item.id in recipes
        supplier_id = None if made else item.supplier_id or suppliers.get(item.id)
        if supplier_id is None and not made and item.id in per_supplier:
            supplier_id = _last_receipt_supplier(conn, item)  # its lead time may be known
        lead, source = _lead_time(item, supplier_id, configured, learned, lead_time_days)
        safety = z * sd * math.sqrt(lead)
        point = mean * lead + safety
        if item.min_qty is not None:
            point = max(point, float(item.min_qty))
        unit_cost = on_hand_cost.get(item.id) or item.standard_cost
        rate = item.holding_rate if item.holding_rate is not None else holding_rate
        cost = item.ordering_cost if item.ordering_cost is not None else ordering_cost
        holding = float(rate * unit_cost) if unit_cost else 0.0
        eoq = math.sqrt(2 * 365 * mean * float(cost) / holding) if holding > 0 else None
        if eoq is not None and not eoq < 1e12:  # a holding cost next to nothing
            eoq = None
        position = available.get(item.id, Decimal(0)) + ordered.get(item.id, Decimal(0))
        due = point > 0 and position <= Decimal(str(point))
        if not due and not every_item:
            continue
        suggested = _suggest(item, position, point, eoq) if due else Decimal(0)
        if supplier_id is None and not made and due:  # named below, in one query for all
            unnamed.append(item)
        shelf_life = item.shelf_life_days or shelf_lives.get(item.id)
        usable = _usable_qty(mean, shelf_life, lead)
        limited_by = "max" if item.max_qty is not None and due else None
        if due and usable is not None and suggested > usable:
            suggested, limited_by = _cap(item, usable), "shelf_life"
        rows.append(
            {
                "item": item.code,
                "item_name": item.name,
                "available": available.get(item.id, Decimal(0)),
                "on_order": ordered.get(item.id, Decimal(0)),
                "position": position,
                "daily_demand": rounded(mean, "0.0001"),
                "demand_sd": rounded(sd, "0.0001"),
                "lead_time_days": rounded(lead, "0.1"),
                "lead_time_source": source,
                "safety_stock": rounded(safety),
                "reorder_point": rounded(point),
                "eoq": rounded(eoq) if eoq is not None else None,
                "due": due,
                "suggested_qty": suggested,
                "action": "make" if made else "buy",
                "supplier": codes.get(supplier_id) if supplier_id else None,
                "unit_cost": unit_cost,
                "value": rounded(suggested * unit_cost) if unit_cost else None,
                "shelf_life_days": shelf_life,
                "usable_qty": rounded(usable) if usable is not None else None,
                "limited_by": limited_by,
                "components": _components(recipes.get(item.id), suggested, codes_of_items)
                if made
                else [],
            }
        )
    if unnamed:  # due items to buy that no lot, order or preference names a supplier for
        found = _receipt_suppliers(conn, unnamed)
        for row in rows:
            if row["supplier"] is None and row["action"] == "buy":
                supplier = found.get(row["item"])
                row["supplier"] = codes.get(supplier) if supplier else None
    return {
        "as_of": today.isoformat(),
        "service_level": service_level,
        "z": rounded(z, "0.0001"),
        "lookback_days": lookback_days,
        "rows": rows,
        "total": {
            "due": sum(1 for r in rows if r["due"]),
            "value": sum((r["value"] or 0 for r in rows), Decimal(0)),
        },
    }


def _lead_time(
    item: Any, supplier_id: int | None, configured: dict, learned: dict, default: int
) -> tuple[float, str]:
    if supplier_id is not None and (item.id, supplier_id) in configured:
        return float(configured[(item.id, supplier_id)]), "supplier"
    if item.lead_time_days is not None:
        return float(item.lead_time_days), "item"
    if supplier_id is not None and (item.id, supplier_id) in learned:
        return learned[(item.id, supplier_id)], "learned"
    return float(default), "default"


def _suggest(item: Any, position: Decimal, point: float, eoq: float | None) -> Decimal:
    below = Decimal(str(point)) - position
    if item.max_qty is not None:
        qty = item.max_qty - position
    else:
        qty = max(Decimal(str(eoq)) if eoq is not None else Decimal(0), below)
    qty = max(qty, Decimal(1)).to_integral_value(rounding=ROUND_CEILING)
    if item.pack_size:
        packs = (qty / item.pack_size).to_integral_value(rounding=ROUND_CEILING)
        qty = packs * item.pack_size
    return exact(qty)


def _last_receipt_supplier(conn: Connection, item: Any) -> int | None:
    """The supplier of an item's latest receipt that named one (see `_receipt_suppliers`)."""
    return _receipt_suppliers(conn, [item]).get(item.code)


def _receipt_suppliers(conn: Connection, wanted: list[Any]) -> dict[str, int]:
    """Each item's supplier of its latest receipt that named one, by item code: its units'
    for serialized items, else the cost layer of a receipt. A query per 5,000 items."""
    found: dict[str, int] = {}
    codes = {item.id: item.code for item in wanted}
    serial = [i.id for i in wanted if i.tracking == Tracking.SERIAL]
    other = [i.id for i in wanted if i.tracking != Tracking.SERIAL]
    for start in range(0, len(serial), 5000):
        chunk = serial[start : start + 5000]
        latest = (
            select(func.max(units.c.id))
            .where(units.c.item_id.in_(chunk), units.c.supplier_id.is_not(None))
            .group_by(units.c.item_id)
        )
        query = select(units.c.item_id, units.c.supplier_id).where(units.c.id.in_(latest))
        found.update((codes[i], p) for i, p in conn.execute(query))
    receipts = (
        (cost_layers.c.operation_id == operations.c.id)
        & (operations.c.kind == "receive")
        & operations.c.party_id.is_not(None)
    )
    for start in range(0, len(other), 5000):
        chunk = other[start : start + 5000]
        latest = (
            select(func.max(cost_layers.c.id))
            .select_from(cost_layers.join(operations, receipts))
            .where(cost_layers.c.item_id.in_(chunk))
            .group_by(cost_layers.c.item_id)
        )
        query = (
            select(cost_layers.c.item_id, operations.c.party_id)
            .select_from(cost_layers.join(operations, receipts))
            .where(cost_layers.c.id.in_(latest))
        )
        found.update((codes[i], p) for i, p in conn.execute(query))
    return found


def _usable_qty(mean: float, shelf_life: int | None, lead: float) -> float | None:
    """What can be used before it expires: the demand of its shelf life at receipt, less
    the lead time; None for what does not expire or has no demand."""
    if shelf_life is None or mean <= 0:
        return None
    return mean * max(shelf_life - lead, 0.0)


def _cap(item: Any, usable: float) -> Decimal:
    """The most of an item to order that is used before it expires: whole units, whole
    packs, one of them at least."""
    size = item.pack_size or Decimal(1)
    packs = (Decimal(str(usable)) / size).to_integral_value(rounding=ROUND_FLOOR)
    return exact(max(packs, Decimal(1)) * size)


def _shelf_lives_at_receipt(conn: Connection) -> dict[int, int]:
    """Each item's days of shelf life left when its latest lot with an expiry came in."""
    found: dict[int, int] = {}
    query = (
        select(lots.c.item_id, lots.c.expires, operations.c.occurred_at)
        .join(operations, operations.c.id == lots.c.created_op_id)
        .where(lots.c.expires.is_not(None))
        .order_by(lots.c.id)
    )
    for item_id, expires, received in conn.execute(query):
        found[item_id] = max((expires - received.date()).days, 0)
    return found


def _recipes(conn: Connection) -> dict[int, dict[int, Decimal]]:
    """What the items the company builds consumed per unit of output, over their latest
    ten builds: {item: {component: quantity per unit}}."""
    latest: dict[int, list[int]] = defaultdict(list)
    builds = (
        select(genealogy.c.parent_item_id, genealogy.c.operation_id)
        .join(operations, operations.c.id == genealogy.c.operation_id)
        .where(operations.c.kind == "build")  # not a repair's part put in
        .group_by(genealogy.c.parent_item_id, genealogy.c.operation_id)
        .order_by(genealogy.c.parent_item_id, genealogy.c.operation_id.desc())
    )
    for item_id, op_id in conn.execute(builds):
        if len(latest[item_id]) < 10:
            latest[item_id].append(op_id)
    if not latest:
        return {}
    production = virtual_location(conn, "PRODUCTION").id
    made: dict[int, Decimal] = defaultdict(Decimal)
    used: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    op_ids = [op for ops in latest.values() for op in ops]
    for start in range(0, len(op_ids), 5000):
        chunk = op_ids[start : start + 5000]
        outputs = select(moves.c.item_id, moves.c.qty).where(
            moves.c.operation_id.in_(chunk), moves.c.from_location_id == production
        )
        for item_id, qty in conn.execute(outputs):
            made[item_id] += exact(qty)
        inputs = select(genealogy.c.parent_item_id, genealogy.c.child_item_id, genealogy.c.qty)
        for parent, child, qty in conn.execute(inputs.where(genealogy.c.operation_id.in_(chunk))):
            used[parent][child] += exact(qty)
    return {
        item_id: {child: qty / made[item_id] for child, qty in used[item_id].items()}
        for item_id in latest
        if made.get(item_id, 0) > 0 and used.get(item_id)
    }


def _components(
    recipe: dict[int, Decimal] | None, qty: Decimal, codes: dict[int, str]
) -> list[dict[str, Any]]:
    """The components a suggestion to make `qty` needs, per the recent builds."""
    return [
        {"item": codes[child], "qty_per_unit": rounded(per, "0.0001"), "qty": rounded(per * qty)}
        for child, per in sorted((recipe or {}).items(), key=lambda kv: codes[kv[0]])
    ]


def available_on_hand(conn: Connection, today: dt.date) -> dict[int, Decimal]:
    """Each item's stock that can be used: at real locations other than quarantine, not
    held and not expired."""
    usable = ~locations.c.virtual & (locations.c.kind != LocationKind.QUARANTINE.value)
    held_units, held_lots = held_sets(conn)
    found: dict[int, Decimal] = defaultdict(Decimal)
    unusable_lots: set[int] = set(held_lots)
    for item_id, lot_id, qty, expires in conn.execute(
        select(stock.c.item_id, stock.c.lot_id, stock.c.qty, lots.c.expires)
        .join(locations, locations.c.id == stock.c.location_id)
        .outerjoin(lots, lots.c.id == stock.c.lot_id)
        .where(usable, stock.c.qty > 0)
    ):
        if lot_id in held_lots or is_expired(expires, today):
            unusable_lots.add(lot_id)
            continue
        found[item_id] += qty
    # units held on their own, or expired on their own, in lots still counted
    for item_id, lot_id in conn.execute(
        select(units.c.item_id, units.c.lot_id)
        .join(locations, locations.c.id == units.c.location_id)
        .where(usable, (units.c.expires < today) | units.c.id.in_(held_units or {0}))
    ):
        if lot_id not in unusable_lots:
            found[item_id] -= 1
    return dict(found)


def _usual_suppliers(conn: Connection) -> dict[int, int]:
    """Each item's usual supplier, for items without a preferred one: the supplier of its
    latest purchase order, else of its latest lot that names one."""
    found = {
        item_id: supplier_id
        for item_id, supplier_id in conn.execute(
            select(lots.c.item_id, lots.c.supplier_id)
            .where(lots.c.supplier_id.is_not(None))
            .order_by(lots.c.id)
        )
    }
    found.update(
        (item_id, supplier_id)
        for item_id, supplier_id in conn.execute(
            select(po_lines.c.item_id, purchase_orders.c.supplier_id)
            .join(purchase_orders, purchase_orders.c.id == po_lines.c.po_id)
            .order_by(purchase_orders.c.id)
        )
    )
    return found


def draft_orders(conn: Connection, *, user: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Draft purchase orders of the suggestions in `rows`, one per supplier; the items
    without a supplier are left out and named, as are those to make."""
    by_supplier: dict[str, list[tuple[str, Decimal, None]]] = defaultdict(list)
    left_out, to_make, inactive = [], [], []
    for row in rows:
        if not row["due"] or row["suggested_qty"] <= 0:
            continue
        if not _active(conn, row["item"], row["supplier"]):  # retired: not ordered
            inactive.append(row["item"])
            continue
        if row["action"] == "make":
            to_make.append(row["item"])
            continue
        if row["supplier"] is None:
            left_out.append(row["item"])
            continue
        by_supplier[row["supplier"]].append((row["item"], row["suggested_qty"], None))
    orders = [
        purchasing.create(
            conn,
            user=user,
            supplier=supplier,
            lines=list(lines),
            draft=True,
            note="suggested by the reorder report",
        )  # fmt: skip
        for supplier, lines in sorted(by_supplier.items())
    ]
    return {"orders": orders, "without_supplier": left_out, "to_make": to_make,
            "inactive": inactive}  # fmt: skip


def _active(conn: Connection, item: str, supplier: str | None) -> bool:
    """Whether an item, and its supplier if it has one, are active (issue 19)."""
    found = find_item(conn, item)
    if found is not None and not found.active:
        return False
    if supplier is None:
        return True
    party = conn.execute(select(parties.c.active).where(parties.c.code == supplier)).scalar()
    return party is None or bool(party)


def level(
    conn: Connection, item: str, *, start: dt.date, end: dt.date, today: dt.date
) -> dict[str, Any]:
    """An item's stock day by day (`analytics.level`), with its reorder point and safety
    stock as the reorder report sets them today."""
    report = analytics.level(conn, item, start=start, end=end)
    rows = reorder(conn, today=today, only_item=item_named(conn, item).id)["rows"]
    report["reorder_point"] = rows[0]["reorder_point"] if rows else None
    report["safety_stock"] = rows[0]["safety_stock"] if rows else None
    return report
