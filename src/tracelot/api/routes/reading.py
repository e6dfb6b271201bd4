"""Questions: stock on hand, where a unit or lot is, its history, and verify."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from tracelot.api.deps import DB, allow
from tracelot.api.listing import Limit, Offset, Search, page, sort_by
from tracelot.api.schemas import HistoryRow, Page, Ref, StockRow, VerifyPublic, WhereRow
from tracelot.services.tabular import STOCK_COLUMNS, csv_lines

router = APIRouter(tags=["stock"])
READ = [Depends(allow("read"))]

StockSort = sort_by(
    "item", "item_name", "location", "location_path", "lot", "serial", "qty", "uom", "status",
    "expires", "expired", "held",
)  # fmt: skip


@router.get(
    "/stock",
    dependencies=READ,
    summary="Stock on hand: a row per item, location and lot (or per unit).",
)
def stock(
    db: DB,
    item: str | None = None,
    location: str | None = None,
    lot: str | None = None,
    serials: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
    sort: StockSort = None,
    q: Search = None,
) -> Page[StockRow]:
    rows = db.stock(item=item, location=location, lot=lot, serials=serials)
    searched = ("item", "item_name", "location", "lot", "serial")
    return Page[StockRow].model_validate(
        page(rows, limit, offset, sort=sort, q=q, searched=searched)
    )


@router.get(
    "/stock.csv",
    dependencies=READ,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="All of the stock on hand as CSV, streamed as it is read (any size).",
)
def stock_csv(
    db: DB,
    item: str | None = None,
    location: str | None = None,
    lot: str | None = None,
    serials: bool = False,
) -> StreamingResponse:
    rows = db.iter_stock(item=item, location=location, lot=lot, serials=serials)
    return StreamingResponse(
        csv_lines(rows, STOCK_COLUMNS),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="stock.csv"'},
    )


@router.get(
    "/where", dependencies=READ, summary="Where a unit, lot or item (a reference or a scan) is now."
)
def where(db: DB, ref: Annotated[Ref, Query()]) -> list[WhereRow]:
    return [WhereRow.model_validate(r) for r in db.where(ref)]


@router.get("/units/{item}/{serial}", dependencies=READ, summary="Where a unit is now.")
def unit(db: DB, item: str, serial: str) -> WhereRow:
    return WhereRow.model_validate(db.where(f"{item}:{serial}")[0])


@router.get("/lots/{item}/{lot}", dependencies=READ, summary="Where a lot is now.")
def lot(db: DB, item: str, lot: str) -> list[WhereRow]:
    return [WhereRow.model_validate(r) for r in db.where(f"{item}@{lot}")]


@router.get(
    "/history",
    dependencies=READ,
    summary="Every operation of a unit, lot or item: who, when, from and to.",
)
def history(db: DB, ref: Annotated[Ref, Query()]) -> list[HistoryRow]:
    return [HistoryRow.model_validate(r) for r in db.history(ref)]


@router.get(
    "/verify",
    dependencies=[Depends(allow("quality"))],
    summary="Replay the ledger against the projections.",
)
def verify(db: DB) -> VerifyPublic:
    return VerifyPublic.model_validate(db.verify().to_dict())
