"""Figures of the whole inventory, replayed from the valued ledger: valuation at any date,
the inventory turnover ratio and days of inventory, issue demand, excess and idle stock,
ABC classes, and the daily stock level of an item.

Every figure is one aggregate over the ledger (see services/costing.py for what each
line is worth): stock at real locations is what came in less what went out; an issue is
a line to a customer or consumed by a build, less what customers returned. Days are UTC
days. The average inventory of a period is the mean of its daily closing balances,
taken in the same pass: a line changes every balance from its day to the period's end,
so the mean is the opening balance plus each change weighted by the days it counted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select, text

from tracelot.domain.errors import InvalidInput
from tracelot.domain.values import normalize, parse_date
from tracelot.services.costing import exact
from tracelot.services.ledger import start_of
from tracelot.services.lookup import location_ids_of_kind, virtual_location
from tracelot.services.resolver import item_named
from tracelot.store.tables import items, locations, lots
from tracelot.store.types import UtcDateTime

_EPOCH = dt.date(1970, 1, 1)
_ZERO = Decimal(0)
BY_VALUATION = ("item", "location", "lot")
BY_TURNOVER = ("item", "category", "location")


# -- shared pieces ----------------------------------------------------------------------


def ratio(a: Decimal, b: Decimal, places: str = "0.0001") -> Decimal | None:
    """a / b rounded, or None where b is not positive (no infinities in a report)."""
    if b <= 0:
        return None
    return normalize((a / b).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def rounded(value: Decimal | float, places: str = "0.01") -> Decimal:
    return normalize(Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _day_number(dialect: str) -> str:
    """SQL: the UTC day of the operation `o`, as days since 1970-01-01."""
    if dialect == "postgresql":
        return "(CAST(timezone('UTC', o.occurred_at) AS date) - DATE '1970-01-01')"
    return "CAST(julianday(substr(o.occurred_at, 1, 10)) - 2440587.5 AS INTEGER)"


def _ids(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "0"


@dataclass(frozen=True)
class _Places:
    """The virtual locations the figures turn on, as SQL lists of ids."""

    virtual: str
    customer: int
    scrap: int
    issue_to: str  # a shipment or a consumption goes to one of these
    # SQLite keeps fractions as floats: its sums add whole millionths, exactly
    scale: int = 1

    @classmethod
    def of(cls, conn: Connection) -> _Places:
        customer = virtual_location(conn, "CUSTOMER").id
        production = virtual_location(conn, "PRODUCTION").id
        return cls(
            _ids(sorted(location_ids_of_kind(conn, virtual=True))),
            customer,
            virtual_location(conn, "SCRAP").id,
            _ids((customer, production)),
            10**6 if conn.dialect.name == "sqlite" else 1,
        )

    def exact(self, column: str) -> str:
        """SQL: a quantity or value column as the whole number summed."""
        if self.scale == 1:
            return f"COALESCE({column}, 0)"
        return f"CAST(ROUND(COALESCE({column}, 0) * {self.scale}) AS INTEGER)"


def _flows(places: _Places, by_location: bool) -> str:
    """SQL: each line's change to stock at real locations (q, v), to issues (iq, iv: a
    shipment or a consumption into a build, less what customers returned), to the goods
    that left the company (sq, sv: shipments less returns) and to scrap (xq, xv), with its
    item, lot and operation, and with `by_location` the location changed."""
    # a line between two virtual locations (what a partner made and used, as its EPCIS
    # events told) is neither stock nor an issue of tracelot's
    real_from = f"m.from_location_id NOT IN ({places.virtual})"
    real_to = f"m.to_location_id NOT IN ({places.virtual})"
    returned = f"m.from_location_id = {places.customer}"
    issue = (
        f"CASE WHEN m.to_location_id IN ({places.issue_to}) AND {real_from} THEN {{x}}"
        f" WHEN {returned} AND {real_to} THEN -{{x}} ELSE 0 END"
    )
    sold = (
        f"CASE WHEN m.to_location_id = {places.customer} AND {real_from} THEN {{x}}"
        f" WHEN {returned} AND {real_to} THEN -{{x}} ELSE 0 END"
    )
    scrapped = f"CASE WHEN m.to_location_id = {places.scrap} AND {real_from} THEN {{x}} ELSE 0 END"
    qty, value = places.exact("m.qty"), places.exact("m.value")

    def outflows(case: str, name: str) -> str:
        return f" {case.format(x=qty)} AS {name}q, {case.format(x=value)} AS {name}v"

    if not by_location:
        stock_change = (
            f"CASE WHEN NOT {real_from} AND {real_to} THEN {{x}}"
            f" WHEN {real_from} AND NOT {real_to} THEN -{{x}} ELSE 0 END"
        )
        return (
            "SELECT m.item_id, m.lot_id, m.operation_id,"
            f" {stock_change.format(x=qty)} AS q, {stock_change.format(x=value)} AS v,"
            f"{outflows(issue, 'i')},{outflows(sold, 's')},{outflows(scrapped, 'x')}"
            " FROM moves m"
        )
    # each line twice: into its destination, out of its source (real locations only)
    came_back = f"CASE WHEN {returned} THEN -{{x}} ELSE 0 END"
    went = "CASE WHEN m.to_location_id IN ({to}) THEN {{x}} ELSE 0 END"
    issued = went.format(to=places.issue_to)
    to_customer = went.format(to=places.customer)
    to_scrap = went.format(to=places.scrap)
    return (
        "SELECT m.item_id, m.lot_id, m.operation_id, m.to_location_id AS loc,"
        f" {qty} AS q, {value} AS v,{outflows(came_back, 'i')},{outflows(came_back, 's')},"
        " 0 AS xq, 0 AS xv"
        f" FROM moves m WHERE m.to_location_id NOT IN ({places.virtual})"
        " UNION ALL "
        "SELECT m.item_id, m.lot_id, m.operation_id, m.from_location_id AS loc,"
        f" -{qty} AS q, -{value} AS v,"
        f"{outflows(issued, 'i')},{outflows(to_customer, 's')},{outflows(to_scrap, 'x')}"
        f" FROM moves m WHERE m.from_location_id NOT IN ({places.virtual})"
    )


_KEYS = {
    # report grouping -> (SQL key columns, the joins they need)
    "item": (["f.item_id"], ""),
    "lot": (["f.item_id", "f.lot_id"], ""),
    "category": (["COALESCE(i.category, '')"], " JOIN items i ON i.id = f.item_id"),
    "location": (["f.loc"], ""),
}


def _names(conn: Connection) -> tuple[dict[int, Any], dict[int, Any]]:
    item_rows = {r.id: r for r in conn.execute(select(items))}
    loc_rows = {
        r.id: r for r in conn.execute(select(locations.c.id, locations.c.code, locations.c.path))
    }
    return item_rows, loc_rows


def _key_fields(
    by: str, key: tuple, item_rows: dict, loc_rows: dict, lot_codes: dict | None = None
) -> dict[str, Any]:
    if by == "location":
        loc = loc_rows[key[0]]
        return {"location": loc.code, "location_path": loc.path}
    if by == "category":
        return {"category": key[0] or None}
    item = item_rows[key[0]]
    fields = {"item": item.code, "item_name": item.name, "uom": item.uom}
    if by == "lot":
        fields["lot"] = lot_codes.get(key[1])
    return fields


# -- valuation --------------------------------------------------------------------------


def value_by_day(conn: Connection, *, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The value on hand at the end of each day from `start` to `end` (one aggregate of
    each day's changes, added up from the value before `start`)."""
    places = _Places.of(conn)
    day = _day_number(conn.dialect.name)
    query = text(
        f"SELECT {day} AS d, SUM(f.v) AS value"
        f" FROM ({_flows(places, False)}) f JOIN operations o ON o.id = f.operation_id"
        f" WHERE o.occurred_at < :until GROUP BY {day}"
    ).bindparams(bindparam("until", type_=UtcDateTime()))
    first = (start - dt.date(1970, 1, 1)).days
    changes = {}
    before = Decimal(0)
    for r in conn.execute(query, {"until": start_of(end + dt.timedelta(days=1))}):
        change = exact(r.value) / places.scale
        if r.d < first:
            before += change
        else:
            changes[r.d] = change
    rows, value = [], before
    for n in range((end - start).days + 1):
        value += changes.get(first + n, Decimal(0))
        rows.append({"date": (start + dt.timedelta(days=n)).isoformat(), "value": value})
    return {"from": start.isoformat(), "to": end.isoformat(), "rows": rows}


def valuation(conn: Connection, *, as_of: dt.date, by: str = "item") -> dict[str, Any]:
    """Quantity and value on hand at the end of `as_of`, by item, location or lot."""
    if by not in BY_VALUATION:
        raise InvalidInput(f"--by must be one of {', '.join(BY_VALUATION)}, not {by!r}")
    places = _Places.of(conn)
    keys, join = _KEYS[by]
    key_sql = ", ".join(keys)
    query = text(
        f"SELECT {key_sql}, SUM(f.q) AS qty, SUM(f.v) AS value"
        f" FROM ({_flows(places, by == 'location')}) f"
        f" JOIN operations o ON o.id = f.operation_id{join}"
        f" WHERE o.occurred_at < :until GROUP BY {key_sql}"
    ).bindparams(bindparam("until", type_=UtcDateTime()))
    item_rows, loc_rows = _names(conn)
    found = conn.execute(query, {"until": start_of(as_of + dt.timedelta(days=1))}).all()
    lot_codes = dict(conn.execute(select(lots.c.id, lots.c.code)).all()) if by == "lot" else {}
    rows = []
    for r in found:
        qty, value = exact(r.qty) / places.scale, exact(r.value) / places.scale
        if qty == 0 and value == 0:
            continue
        row = _key_fields(by, tuple(r)[: len(keys)], item_rows, loc_rows, lot_codes)
        row.update(qty=qty, value=value, unit_cost=ratio(value, qty, "0.000001"))
        rows.append(row)
    sort = ("location_path",) if by == "location" else ("item", "lot") if by == "lot" else ("item",)
    rows.sort(key=lambda row: tuple(row.get(k) or "" for k in sort))
    total_value = sum((row["value"] for row in rows), Decimal(0))
    total = {"qty": sum((row["qty"] for row in rows), Decimal(0)), "value": total_value}
    return {"as_of": as_of.isoformat(), "by": by, "rows": rows, "total": total}


def on_hand(conn: Connection) -> dict[int, tuple[Decimal, Decimal]]:
    """Each item's quantity and value on hand now, from the projections (the open cost
    layers, the units at real locations): what `valuation` replays, without the replay."""
    found: dict[int, tuple[Decimal, Decimal]] = {}
    query = text(
        "SELECT item_id, SUM(qty_left) AS qty, SUM(qty_left * unit_cost) AS value"
        " FROM cost_layers WHERE qty_left > 0 GROUP BY item_id"
        " UNION ALL "
        "SELECT u.item_id, COUNT(*), SUM(COALESCE(u.unit_cost, 0)) FROM units u"
        " JOIN locations l ON l.id = u.location_id WHERE NOT l.virtual GROUP BY u.item_id"
    )
    for item_id, qty, value in conn.execute(query):
        before = found.get(item_id, (Decimal(0), Decimal(0)))
        found[item_id] = (before[0] + exact(qty), before[1] + exact(value))
    return found


# -- turnover ---------------------------------------------------------------------------


def report_day(value: dt.date | str | None, what: str) -> dt.date | None:
    """A day a report covers (given as a date or YYYY-MM-DD): of the years 1900 to 9998."""
    if value is None:
        return None
    day = parse_date(value, what=what)
    if not dt.date(1900, 1, 1) <= day <= dt.date(9998, 12, 31):
        raise InvalidInput(f"{what} {day} is out of range: a report covers 1900 to 9998")
    return day


def period(
    start: dt.date | str | None, end: dt.date | str | None, today: dt.date, *, days: int = 365
) -> tuple[dt.date, dt.date]:
    """The period a report covers: `end` defaults to today, `start` to `days` days
    ending on `end`."""
    last = report_day(end, "--to") or today
    first = report_day(start, "--from") or last - dt.timedelta(days=days - 1)
    return _ordered(first, last)


def _ordered(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if end < start:
        raise InvalidInput(f"the period ends ({end}) before it starts ({start})")
    return start, end


def turnover(conn: Connection, *, start: dt.date, end: dt.date, by: str = "item") -> dict[str, Any]:
    """Cost of goods issued over the period / average inventory value (the mean of the
    daily closing balances), the same in units, and days of inventory on hand.

    An item's issues are what it shipped or what builds consumed of it (less what came
    back); the total's, a category's and a location's are the cost of goods that left the
    company: shipments less customer returns, so that a component built into a product
    that was shipped is counted once, as the product. Scrap is reported beside, not in."""
    if by not in BY_TURNOVER:
        raise InvalidInput(f"--by must be one of {', '.join(BY_TURNOVER)}, not {by!r}")
    _ordered(start, end)
    days = (end - start).days + 1
    places = _Places.of(conn)
    keys, join = _KEYS[by]
    key_sql = ", ".join(keys)
    day = _day_number(conn.dialect.name)
    weight = f"(:end_day - {day} + 1)"
    flows = (
        f" FROM ({_flows(places, by == 'location')}) f"
        f" JOIN operations o ON o.id = f.operation_id{join}"
    )
    # two statements, each over its own range of the operations' time index: the balances
    # before the period, and the period's changes (one statement with a CASE on the time
    # in every sum took 1.6x as long: E.1)
    opening = text(
        f"SELECT {key_sql}, SUM(f.q) AS open_q, SUM(f.v) AS open_v{flows}"
        f" WHERE o.occurred_at < :start GROUP BY {key_sql}"
    ).bindparams(bindparam("start", type_=UtcDateTime()))
    changes = text(
        f"SELECT {key_sql}, SUM(f.q * {weight}) AS days_q, SUM(f.v * {weight}) AS days_v,"
        " SUM(f.q) AS change_q, SUM(f.v) AS change_v,"
        + ",".join(f" SUM(f.{column}) AS {name}" for column, name in _OUTFLOWS)
        + f"{flows} WHERE o.occurred_at >= :start AND o.occurred_at < :until GROUP BY {key_sql}"
    ).bindparams(bindparam("start", type_=UtcDateTime()), bindparam("until", type_=UtcDateTime()))
    first, until = start_of(start), start_of(end + dt.timedelta(days=1))
    sums: dict[tuple, dict[str, Decimal]] = {}
    for query, params in (
        (opening, {"start": first}),
        (changes, {"start": first, "until": until, "end_day": (end - _EPOCH).days}),
    ):
        for r in conn.execute(query, params):
            figures = sums.setdefault(tuple(r)[: len(keys)], dict.fromkeys(_TURNOVER_SUMS, _ZERO))
            for name in r._fields[len(keys) :]:
                figures[name] = exact(r._mapping[name]) / places.scale
    sums = {key: f for key, f in sums.items() if any(f.values())}
    if by == "item":  # every item, also those without stock or issues
        for item_id in conn.execute(select(items.c.id)).scalars():
            sums.setdefault((item_id,), dict.fromkeys(_TURNOVER_SUMS, _ZERO))
    item_rows, loc_rows = _names(conn)
    # an item's issues include what builds consumed; what left the company (a category, a
    # location, the whole) is what was shipped, less what came back: a component built
    # into a product that was shipped is counted once, as the product
    rows = [
        {**_key_fields(by, key, item_rows, loc_rows), **_turnover_figures(f, days, by == "item")}
        for key, f in sums.items()
    ]
    rows.sort(key=lambda row: (-(row["issued_value"]), str(next(iter(row.values())) or "")))
    total_sums = {
        name: sum((f[name] for f in sums.values()), Decimal(0)) for name in _TURNOVER_SUMS
    }
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "days": days,
        "by": by,
        "rows": rows,
        "total": _turnover_figures(total_sums, days, False),
    }


_OUTFLOWS = (
    ("iq", "issued_q"), ("iv", "issued_v"), ("sq", "shipped_q"), ("sv", "shipped_v"),
    ("xq", "scrapped_q"), ("xv", "scrapped_v"),
)  # fmt: skip
_TURNOVER_SUMS = (
    "open_q", "open_v", "days_q", "days_v", "change_q", "change_v", *(n for _, n in _OUTFLOWS)
)  # fmt: skip


def _turnover_figures(f: dict[str, Decimal], days: int, consumed: bool) -> dict[str, Any]:
    """The figures of one row; `consumed`: its issues include what builds consumed (an
    item's), else they are the goods that left the company (shipped less returned)."""
    average_value = f["open_v"] + f["days_v"] / days
    average_qty = f["open_q"] + f["days_q"] / days
    issued_v, issued_q = (
        (f["issued_v"], f["issued_q"]) if consumed else (f["shipped_v"], f["shipped_q"])
    )
    turns = ratio(issued_v, average_value)
    return {
        "opening_value": f["open_v"],
        "closing_value": f["open_v"] + f["change_v"],
        "average_value": rounded(average_value),
        "issued_value": issued_v,
        "shipped_value": f["shipped_v"],
        "scrapped_value": f["scrapped_v"],
        "turnover": turns,
        "days_of_inventory": ratio(Decimal(days), turns, "0.1") if turns else None,
        "opening_qty": f["open_q"],
        "closing_qty": f["open_q"] + f["change_q"],
        "average_qty": rounded(average_qty, "0.0001"),
        "issued_qty": issued_q,
        "shipped_qty": f["shipped_q"],
        "scrapped_qty": f["scrapped_q"],
        "turnover_units": ratio(issued_q, average_qty),
    }


# -- demand -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    """An item's issues per day over a look-back: total, mean and standard deviation."""

    total: Decimal
    days: int
    mean: float
    sd: float
    value: Decimal


def demand(conn: Connection, *, start: dt.date, end: dt.date) -> dict[int, Demand]:
    """Each item's daily issues from `start` to `end`: days without issues count as zero;
    the standard deviation is the sample one (n - 1)."""
    places = _Places.of(conn)
    day = _day_number(conn.dialect.name)
    days = (end - start).days + 1
    query = text(
        "SELECT item_id, SUM(q) AS total, SUM(CAST(q AS REAL) * q) AS squares,"
        " SUM(v) AS value FROM ("
        f" SELECT f.item_id, {day} AS d, SUM(f.iq) AS q, SUM(f.iv) AS v"
        f" FROM ({_flows(places, False)}) f JOIN operations o ON o.id = f.operation_id"
        " WHERE o.occurred_at >= :start AND o.occurred_at < :until"
        f" AND (f.iq <> 0 OR f.iv <> 0) GROUP BY f.item_id, {day}"
        ") daily GROUP BY item_id"
    ).bindparams(bindparam("start", type_=UtcDateTime()), bindparam("until", type_=UtcDateTime()))
    params = {"start": start_of(start), "until": start_of(end + dt.timedelta(days=1))}
    found = {}
    scale = places.scale
    for r in conn.execute(query, params):
        total, squares = float(r.total or 0) / scale, float(r.squares or 0) / scale**2
        mean = total / days
        variance = (squares - total * total / days) / (days - 1) if days > 1 else 0.0
        sd = math.sqrt(max(variance, 0.0))
        found[r.item_id] = Demand(exact(r.total) / scale, days, mean, sd, exact(r.value) / scale)
    return found


# -- ABC ----------------------------------------------------------------------------------


def abc(
    conn: Connection, *, start: dt.date, end: dt.date, a: float = 0.8, b: float = 0.95
) -> dict[str, Any]:
    """Items ranked by the value issued over the period: an item is in class A while the
    items ranked above it make less than `a` of the total, B while less than `b`, else C
    (and every item that issued nothing is C)."""
    if not 0 < a < b <= 1:
        raise InvalidInput(f"the class limits must satisfy 0 < A < B <= 1, not A={a}, B={b}")
    _ordered(start, end)
    issued = demand(conn, start=start, end=end)
    item_rows = {r.id: r for r in conn.execute(select(items))}
    ranked = sorted(
        item_rows.values(),
        key=lambda it: (-(issued[it.id].value if it.id in issued else 0), it.code),
    )
    total = sum((d.value for d in issued.values() if d.value > 0), Decimal(0))
    rows, before = [], Decimal(0)
    counts = {"A": 0, "B": 0, "C": 0}
    for rank, item in enumerate(ranked, start=1):
        value = issued[item.id].value if item.id in issued else Decimal(0)
        share = value / total if total > 0 and value > 0 else Decimal(0)
        if value <= 0:
            klass = "C"
        elif before < Decimal(str(a)):
            klass = "A"
        elif before < Decimal(str(b)):
            klass = "B"
        else:
            klass = "C"
        before += share
        counts[klass] += 1
        rows.append(
            {
                "rank": rank,
                "item": item.code,
                "item_name": item.name,
                "issued_value": value,
                "issued_qty": issued[item.id].total if item.id in issued else Decimal(0),
                "share": rounded(share, "0.0001"),
                "cumulative_share": rounded(before, "0.0001"),
                "class": klass,
            }
        )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "a": a,
        "b": b,
        "rows": rows,
        "total": {"issued_value": total, "classes": counts},
    }


# -- excess and idle stock --------------------------------------------------------------


def excess(
    conn: Connection,
    *,
    today: dt.date,
    days_of_cover: int = 90,
    idle_days: int = 180,
    lookback_days: int = 90,
) -> dict[str, Any]:
    """Stock beyond `days_of_cover` days of demand (the mean daily issues of the last
    `lookback_days`), and stock that has not moved for `idle_days`, with its value."""
    for name, value in (("--days-of-cover", days_of_cover), ("--idle-days", idle_days),
                        ("--lookback", lookback_days)):  # fmt: skip
        if value <= 0:
            raise InvalidInput(f"{name} must be a positive number of days, not {value}")
    stock_now = on_hand(conn)
    start = today - dt.timedelta(days=lookback_days - 1)
    issued = demand(conn, start=start, end=today)
    places = _Places.of(conn)
    last_moved = {
        r.item_id: r.last
        for r in conn.execute(
            text(
                "SELECT m.item_id, MAX(o.occurred_at) AS last FROM moves m"
                " JOIN operations o ON o.id = m.operation_id"
                f" WHERE m.from_location_id NOT IN ({places.virtual})"
                f" OR m.to_location_id NOT IN ({places.virtual}) GROUP BY m.item_id"
            ).columns(last=UtcDateTime())
        )
    }
    idle_since = today - dt.timedelta(days=idle_days)
    item_rows = {r.id: r for r in conn.execute(select(items.c.id, items.c.code, items.c.name))}
    rows = []
    for item_id, (qty, value) in stock_now.items():
        if qty <= 0:
            continue
        d = issued.get(item_id)
        daily = Decimal(str(d.mean)) if d is not None else Decimal(0)
        cover = ratio(qty, daily, "0.1") if daily > 0 else None
        excess_qty = max(Decimal(0), qty - daily * days_of_cover)
        moved = last_moved.get(item_id)
        idle = moved is not None and moved.date() < idle_since
        if excess_qty <= 0 and not idle:
            continue
        rows.append(
            {
                "item": item_rows[item_id].code,
                "item_name": item_rows[item_id].name,
                "qty": qty,
                "value": value,
                "daily_demand": rounded(daily, "0.0001"),
                "days_of_cover": cover,
                "excess_qty": rounded(excess_qty, "0.0001"),
                "excess_value": rounded(excess_qty * value / qty),
                "last_moved": moved.date().isoformat() if moved else None,
                "idle": idle,
            }
        )
    rows.sort(key=lambda r: (-r["excess_value"], r["item"]))
    return {
        "as_of": today.isoformat(),
        "days_of_cover": days_of_cover,
        "idle_days": idle_days,
        "lookback_days": lookback_days,
        "rows": rows,
        "total": {
            "excess_value": sum((r["excess_value"] for r in rows), Decimal(0)),
            "idle_value": sum((r["value"] for r in rows if r["idle"]), Decimal(0)),
        },
    }


# -- an item's stock level over time ------------------------------------------------------


def level(conn: Connection, item: str, *, start: dt.date, end: dt.date) -> dict[str, Any]:
    """An item's closing quantity and value on hand on each day from `start` to `end`."""
    _ordered(start, end)
    if (end - start).days > 3660:
        raise InvalidInput("a stock level history covers ten years at most")
    row = item_named(conn, item)
    places = _Places.of(conn)
    day = _day_number(conn.dialect.name)
    query = text(
        f"SELECT CASE WHEN o.occurred_at < :start THEN -1 ELSE {day} END AS d,"
        " SUM(f.q) AS q, SUM(f.v) AS v"
        f" FROM ({_flows(places, False)}) f JOIN operations o ON o.id = f.operation_id"
        " WHERE f.item_id = :item AND o.occurred_at < :until GROUP BY 1"
    ).bindparams(bindparam("start", type_=UtcDateTime()), bindparam("until", type_=UtcDateTime()))
    params = {
        "item": row.id,
        "start": start_of(start),
        "until": start_of(end + dt.timedelta(days=1)),
    }
    changes = {
        r.d: (exact(r.q) / places.scale, exact(r.v) / places.scale)
        for r in conn.execute(query, params)
    }
    qty, value = changes.pop(-1, (Decimal(0), Decimal(0)))
    days = []
    for n in range((end - start).days + 1):
        date = start + dt.timedelta(days=n)
        dq, dv = changes.get((date - _EPOCH).days, (Decimal(0), Decimal(0)))
        qty, value = qty + dq, value + dv
        days.append({"date": date.isoformat(), "qty": qty, "value": value})
    return {"item": row.code, "item_name": row.name, "from": start.isoformat(),
            "to": end.isoformat(), "rows": days}  # fmt: skip
