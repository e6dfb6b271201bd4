"""Flat lists as CSV, the same from the command line and the API: ISO dates and times,
exact quantities, empty cells for none."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from tracelot.domain.values import format_qty

#: a trace's flat list of what it reached
AFFECTED_COLUMNS = [
    "item", "serial", "lot", "qty", "status", "location", "location_path", "customer",
    "customer_name", "shipment_ref", "shipment_date", "supplier", "supplier_name",
]  # fmt: skip
#: stock on hand, a row per item, location and lot (or unit)
STOCK_COLUMNS = [
    "item", "item_name", "location", "location_path", "lot", "serial", "qty", "uom", "status",
    "expires", "expired", "held",
]  # fmt: skip
#: what expires soon, or has
EXPIRING_COLUMNS = [
    "item", "item_name", "lot", "serial", "location", "location_path", "qty", "uom", "expires",
    "days_left", "expired", "held", "unit_cost", "value",
]  # fmt: skip
#: a recall's customer notification list
NOTIFY_COLUMNS = [
    "customer", "customer_name", "item", "serial", "lot", "qty", "shipment_ref",
    "shipment_date", "disposition",
]  # fmt: skip

#: the report columns, by report (the key columns of turnover follow its --by)
TURNOVER_FIGURES = [
    "opening_value", "closing_value", "average_value", "issued_value", "turnover",
    "days_of_inventory", "opening_qty", "closing_qty", "average_qty", "issued_qty",
    "turnover_units", "shipped_value", "scrapped_value", "shipped_qty", "scrapped_qty",
]  # fmt: skip
TURNOVER_KEYS = {
    "item": ["item", "item_name", "uom"],
    "category": ["category"],
    "location": ["location", "location_path"],
}
VALUATION_KEYS = {
    "item": ["item", "item_name", "uom"],
    "lot": ["item", "item_name", "lot"],
    "location": ["location", "location_path"],
}
REORDER_COLUMNS = [
    "item", "item_name", "available", "on_order", "position", "daily_demand", "demand_sd",
    "lead_time_days", "lead_time_source", "safety_stock", "reorder_point", "eoq", "due",
    "suggested_qty", "supplier", "unit_cost", "value", "action", "shelf_life_days",
    "usable_qty", "limited_by",
]  # fmt: skip
EXCESS_COLUMNS = [
    "item", "item_name", "qty", "value", "daily_demand", "days_of_cover", "excess_qty",
    "excess_value", "last_moved", "idle",
]  # fmt: skip
ABC_COLUMNS = [
    "rank", "item", "item_name", "issued_value", "issued_qty", "share", "cumulative_share",
    "class",
]  # fmt: skip
LEVEL_COLUMNS = ["date", "qty", "value"]
PO_COLUMNS = ["id", "supplier", "status", "expected", "ordered_at", "lines", "qty", "received"]


def report_columns(report: str, by: str | None = None) -> list[str]:
    """The CSV columns of a report (of a --by grouping)."""
    if report == "turnover":
        return [*TURNOVER_KEYS[by or "item"], *TURNOVER_FIGURES]
    if report == "valuation":
        return [*VALUATION_KEYS[by or "item"], "qty", "value", "unit_cost"]
    return {"reorder": REORDER_COLUMNS, "excess": EXCESS_COLUMNS, "abc": ABC_COLUMNS,
            "level": LEVEL_COLUMNS}[report]  # fmt: skip


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_qty(value)
    return str(value)


def csv_lines(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], chunk: int = 1 << 16
) -> Iterator[str]:
    """The CSV text of `rows` (a header, then a line per row) in pieces of about `chunk`
    characters: what a streamed export sends as it reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_value(row.get(k)) for k in columns])
        if buffer.tell() >= chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(out: IO[str], rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    out.writelines(csv_lines(rows, columns))


def csv_text(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    return "".join(csv_lines(rows, columns))
