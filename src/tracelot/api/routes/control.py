"""Inventory control over HTTP: the reports (JSON, CSV, and charts as PNG or SVG), holding
what has expired, picking lists, and purchase orders."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from tracelot.api.deps import DB, allow, answer, csv_response
from tracelot.api.listing import DAY_SCHEMA, IsoDay
from tracelot.api.schemas import Id, PoCreate
from tracelot.services.planning import DEFAULTS
from tracelot.services.tabular import EXPIRING_COLUMNS, report_columns

router = APIRouter(tags=["inventory control"])
READ = [Depends(allow("read"))]
PLAN = [Depends(allow("plan"))]

Table = Annotated[str, Query(pattern="^(json|csv)$", description="json or csv")]
Picture = Annotated[
    str, Query(pattern="^(json|csv|png|svg)$", description="json, csv, or a chart: png or svg")
]
# days as `format: date` (the schema says what a day is: 2026-02-30 is none)
Day = Annotated[
    IsoDay | None, Query(description="A day, YYYY-MM-DD.", json_schema_extra=DAY_SCHEMA)
]
Start = Annotated[
    IsoDay | None,
    Query(alias="from", description="First day (a year ago).", json_schema_extra=DAY_SCHEMA),
]
End = Annotated[
    IsoDay | None,
    Query(alias="to", description="Last day (today).", json_schema_extra=DAY_SCHEMA),
]
Days = Annotated[int, Query(ge=1, le=36500)]
TABLE_OR_CHART = {
    200: {"content": {"text/csv": {}, "image/png": {}, "image/svg+xml": {}}},
}
TABLE = {200: {"content": {"text/csv": {}}}}
_MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


def _report(
    report: dict[str, Any],
    format: str,  # noqa: A002
    columns: list[str],
    chart: Callable[..., bytes] | None = None,
) -> Response:
    if format == "csv":
        return csv_response(report["rows"], columns)
    if format in _MEDIA and chart is not None:
        from tracelot.services import charts  # matplotlib: loaded only to draw

        return Response(chart(charts, format), media_type=_MEDIA[format])
    return answer(report)


@router.get(
    "/reports/valuation",
    dependencies=READ,
    responses=TABLE,
    summary="Quantity and value on hand at the end of a day, by item, location or lot.",
)
def valuation(
    db: DB,
    as_of: Day = None,
    by: Annotated[str, Query(pattern="^(item|location|lot)$")] = "item",
    format: Table = "json",  # noqa: A002
) -> Any:
    report = db.valuation(as_of=as_of, by=by)
    return _report(report, format, report_columns("valuation", by))


@router.get(
    "/reports/turnover",
    dependencies=READ,
    responses=TABLE_OR_CHART,
    summary="Turnover and days of inventory over a period, by item, category or location.",
)
def turnover(
    db: DB,
    start: Start = None,
    end: End = None,
    by: Annotated[str, Query(pattern="^(item|category|location)$")] = "item",
    top: Annotated[int, Query(ge=1, le=100, description="Rows in the chart.")] = 15,
    format: Picture = "json",  # noqa: A002
) -> Any:
    report = db.turnover(start=start, end=end, by=by)
    return _report(report, format, report_columns("turnover", by),
                   lambda charts, fmt: charts.turnover_chart(report, top=top, fmt=fmt))  # fmt: skip


def _reorder_options(
    service_level: Annotated[float, Query(gt=0, lt=1)] = DEFAULTS["service_level"],
    lookback_days: Annotated[int, Query(ge=2, le=3650)] = DEFAULTS["lookback_days"],
    lead_time_days: Annotated[int, Query(ge=0, le=3650)] = DEFAULTS["lead_time_days"],
    ordering_cost: Annotated[Decimal, Query(ge=0, lt=10**12)] = DEFAULTS["ordering_cost"],
    holding_rate: Annotated[Decimal, Query(ge=0, lt=100)] = DEFAULTS["holding_rate"],
) -> dict[str, Any]:
    return {"service_level": service_level, "lookback_days": lookback_days,
            "lead_time_days": lead_time_days, "ordering_cost": ordering_cost,
            "holding_rate": holding_rate}  # fmt: skip


ReorderOptions = Annotated[dict[str, Any], Depends(_reorder_options)]


@router.get(
    "/reports/reorder",
    dependencies=READ,
    responses=TABLE,
    summary="Items at or below their reorder point, with what to order from whom.",
)
def reorder(
    db: DB,
    options: ReorderOptions,
    all: bool = False,  # noqa: A002
    format: Table = "json",  # noqa: A002
) -> Any:
    report = db.reorder(every_item=all, **options)
    return _report(report, format, report_columns("reorder"))


@router.post(
    "/reports/reorder/purchase-orders",
    dependencies=PLAN,
    status_code=201,
    summary="Draft purchase orders of the reorder suggestions, one per supplier.",
)
def reorder_purchase_orders(db: DB, options: ReorderOptions) -> JSONResponse:
    return answer(db.reorder(create_po=True, **options), status_code=201)


@router.get(
    "/reports/excess",
    dependencies=READ,
    responses=TABLE,
    summary="Stock beyond some days of demand, and stock that has not moved, with value.",
)
def excess(
    db: DB,
    days_of_cover: Days = 90,
    idle_days: Days = 180,
    lookback_days: Days = 90,
    format: Table = "json",  # noqa: A002
) -> Any:
    report = db.excess(days_of_cover=days_of_cover, idle_days=idle_days,
                       lookback_days=lookback_days)  # fmt: skip
    return _report(report, format, report_columns("excess"))


@router.get(
    "/reports/abc",
    dependencies=READ,
    responses=TABLE_OR_CHART,
    summary="ABC classes of the items by the value they issued over a period.",
)
def abc(
    db: DB,
    start: Start = None,
    end: End = None,
    a: Annotated[float, Query(gt=0, lt=1)] = 0.8,
    b: Annotated[float, Query(gt=0, le=1)] = 0.95,
    format: Picture = "json",  # noqa: A002
) -> Any:
    report = db.abc(start=start, end=end, a=a, b=b)
    return _report(report, format, report_columns("abc"),
                   lambda charts, fmt: charts.abc_chart(report, fmt=fmt))  # fmt: skip


@router.get(
    "/reports/level/{item}",
    dependencies=READ,
    responses=TABLE_OR_CHART,
    summary="An item's stock on hand day by day (the chart with its reorder point).",
)
def level(
    db: DB,
    item: str,
    start: Start = None,
    end: End = None,
    format: Picture = "json",  # noqa: A002
) -> Any:
    report = db.level(item, start=start, end=end)
    return _report(report, format, report_columns("level"),
                   lambda charts, fmt: charts.level_chart(report, fmt=fmt))  # fmt: skip


@router.get(
    "/reports/expiring",
    dependencies=READ,
    responses=TABLE_OR_CHART,
    summary="What expires within some days, or has expired: where, how much, the value.",
)
def expiring(
    db: DB,
    within_days: Annotated[int, Query(ge=0, le=36500)] = 30,
    format: Picture = "json",  # noqa: A002
) -> Any:
    report = db.expiring(within_days=within_days)
    return _report(report, format, EXPIRING_COLUMNS,
                   lambda charts, fmt: charts.expiry_calendar(report, fmt=fmt))  # fmt: skip


@router.post(
    "/expire",
    dependencies=[Depends(allow("quality"))],
    summary="Hold every expired lot and unit not held for it yet (safe to repeat).",
)
def expire(db: DB) -> JSONResponse:
    return answer(db.expire())


@router.get(
    "/pick",
    dependencies=READ,
    summary="Which lots and bins (or units) to pick from, first-expiry-first-out.",
)
def pick(
    db: DB,
    item: Annotated[str, Query(min_length=1)],
    qty: Annotated[Decimal, Query(gt=0, lt=10**12)],
    lot: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
) -> JSONResponse:
    return answer(db.pick(item, qty=qty, lot=lot, from_location=from_))


# -- purchase orders ----------------------------------------------------------------------


@router.get("/purchase-orders", dependencies=READ, summary="List purchase orders.")
def list_purchase_orders(
    db: DB, status: Annotated[str | None, Query(pattern="^(draft|open|closed)$")] = None
) -> JSONResponse:
    return answer(db.purchase_orders(status=status))


@router.post(
    "/purchase-orders",
    dependencies=PLAN,
    status_code=201,
    summary="Order from a supplier (open: on order from now; draft: not yet).",
)
def create_purchase_order(db: DB, body: PoCreate) -> JSONResponse:
    lines = [(ln.item, ln.qty, ln.price, ln.pack) for ln in body.lines]
    order = db.po_create(body.supplier, lines=lines, expected=body.expected, note=body.note,
                         draft=body.draft, ordered=body.ordered)  # fmt: skip
    return answer(order, status_code=201)


@router.get(
    "/purchase-orders/{po_id}",
    dependencies=READ,
    summary="A purchase order: its lines and what came in against them.",
)
def get_purchase_order(db: DB, po_id: Id) -> JSONResponse:
    return answer(db.purchase_order(po_id))


@router.post(
    "/purchase-orders/{po_id}/open", dependencies=PLAN, summary="Send a draft purchase order."
)
def open_purchase_order(db: DB, po_id: Id) -> JSONResponse:
    return answer(db.po_open(po_id))


@router.post(
    "/purchase-orders/{po_id}/close",
    dependencies=PLAN,
    summary="Close a purchase order: what it still expects is no longer on order.",
)
def close_purchase_order(db: DB, po_id: Id) -> JSONResponse:
    return answer(db.po_close(po_id))
