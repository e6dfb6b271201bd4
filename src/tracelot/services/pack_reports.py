"""The stock report, `where` and the valuation with each row's packs beside its base
quantity (issue 20: stock, reports and valuation are in base units, the packs beside)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from tracelot.services import analytics, inquiry, transfers
from tracelot.services.uom import with_packs


def stock_rows(conn: Connection, **filters: Any) -> list[dict[str, Any]]:
    """`inquiry.stock_rows`, each row with its packs (`uom.with_packs`)."""
    return with_packs(conn, inquiry.stock_rows(conn, **filters))


def valuation(conn: Connection, **options: Any) -> dict[str, Any]:
    """`analytics.valuation`, each row of an item or lot with its packs."""
    report = analytics.valuation(conn, **options)
    with_packs(conn, report["rows"])
    return report


def where(conn: Connection, *, ref: str) -> list[dict[str, Any]]:
    """`transfers.where`, each row of a lot or item with its packs."""
    return with_packs(conn, transfers.where(conn, ref=ref))
