"""Inventory control over HTTP: expiring stock, holding what has expired, picking lists."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from tracelot.api.deps import DB, allow, answer, csv_response
from tracelot.services.tabular import EXPIRING_COLUMNS

router = APIRouter(tags=["inventory control"])
READ = [Depends(allow("read"))]


@router.get(
    "/reports/expiring",
    dependencies=READ,
    responses={200: {"content": {"text/csv": {}}}},
    summary="What expires within some days, or has expired: where, how much, the value.",
)
def expiring(
    db: DB,
    within_days: Annotated[int, Query(ge=0, le=36500)] = 30,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",  # noqa: A002
) -> Any:
    report = db.expiring(within_days=within_days)
    if format == "csv":
        return csv_response(report["rows"], EXPIRING_COLUMNS)
    return answer(report)


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
