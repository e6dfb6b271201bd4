"""Flat lists as CSV, the same from the command line and the API: ISO dates and times,
exact quantities, empty cells for none."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

from tracelot.domain.values import normalize

#: a trace's flat list of what it reached
AFFECTED_COLUMNS = [
    "item", "serial", "lot", "qty", "status", "location", "location_path", "customer",
    "customer_name", "shipment_ref", "shipment_date",
]  # fmt: skip
#: a recall's customer notification list
NOTIFY_COLUMNS = [
    "customer", "customer_name", "item", "serial", "lot", "qty", "shipment_ref",
    "shipment_date", "disposition",
]  # fmt: skip


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{normalize(value):f}"
    return str(value)


def write_csv(out: IO[str], rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: csv_value(r.get(k)) for k in columns} for r in rows)


def csv_text(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    write_csv(buffer, rows, columns)
    return buffer.getvalue()
