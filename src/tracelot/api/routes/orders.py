"""Sales orders (issue 20): taken and confirmed (their stock reserved) by operators,
planners and admins; picked and shipped by operators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from tracelot.api.deps import DB, allow, answer
from tracelot.api.listing import DAY_SCHEMA, IsoDay
from tracelot.api.schemas import Id, Named, Note, Qty, Reason, Reference, Refs
from tracelot.domain.commands import (
    CancelSalesOrder,
    ConfirmSalesOrder,
    CreateSalesOrder,
    PickScans,
    ReserveSalesOrder,
    Ship,
    check_http_size,
    from_fields,
)

router = APIRouter(tags=["sales orders"])
READ, SELL = [Depends(allow("read"))], [Depends(allow("sell"))]
OPERATE = [Depends(allow("operate"))]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class CreateSalesOrderRequest(_Body):
    customer: Named = Field(examples=["ACME"])
    lines: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=1000, examples=[["PCB:2:150", "CELL@L1:40"]],
        description="ITEM:QTY[:PRICE], or ITEM@LOT:QTY[:PRICE] for one lot.",
    )  # fmt: skip
    ship_by: IsoDay | None = Field(
        default=None, description="Ship by this day, YYYY-MM-DD.", json_schema_extra=DAY_SCHEMA
    )
    reference: Reference | None = None
    note: Note | None = None
    confirm: bool = Field(
        default=False, strict=True, description="Confirm at once: its stock reserved."
    )


class ReserveRequest(_Body):
    refs: Refs = Field(default=[], examples=[["PCB:SN0001", "CELL@L1=10"]],
                       description="Units and lots to reserve; none: what the lines still "
                       "need, first-expiry-first-out.")  # fmt: skip


class CancelRequest(_Body):
    reason: Reason | None = None


class PickRequest(_Body):
    scans: Refs = Field(examples=[["A1", "PCB:SN0001", "CELL@L1=10"]],
                        description="Scans or REFs picked (a lot as REF=QTY); a location "
                        "scanned is where the next ones were picked.")  # fmt: skip
    at: Named | None = Field(default=None, description="The bin picked from.")


class ShipOrderRequest(_Body):
    refs: Refs = Field(default=[], description="What to ship; none: what was picked (else "
                       "what is reserved).")  # fmt: skip
    from_: Named | None = Field(default=None, alias="from")
    qty: Qty | None = None
    reference: Reference | None = None
    note: Note | None = None


@router.get("/sales-orders", dependencies=READ, summary="Sales orders, in number order.")
def sales_orders(
    db: DB,
    status: Annotated[
        str | None, Query(pattern="^(draft|open|partly_shipped|shipped|cancelled)$")
    ] = None,
    customer: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    return answer(db.sales_orders(status=status, customer=customer))


@router.post(
    "/sales-orders",
    dependencies=SELL,
    status_code=201,
    summary="Take a customer's order: a draft, or confirmed (its stock reserved).",
)
def create(db: DB, body: CreateSalesOrderRequest) -> JSONResponse:  # fmt: skip
    return answer(db.run(from_fields(CreateSalesOrder, dict(body))), 201)


@router.get(
    "/sales-orders/{so_id}",
    dependencies=READ,
    summary="An order: its lines, what is reserved for it, its shipments.",
)
def show(db: DB, so_id: Id) -> JSONResponse:  # fmt: skip
    return answer(db.sales_order(so_id))


@router.post(
    "/sales-orders/{so_id}/confirm",
    dependencies=SELL,
    summary="Confirm a draft: its stock is reserved (named units and lots first, the rest "
    "first-expiry-first-out).",
)
def confirm(db: DB, so_id: Id, body: ReserveRequest | None = None) -> JSONResponse:
    fields = {**(dict(body) if body is not None else {}), "so_id": so_id}
    check_http_size(fields)
    return answer(db.run(from_fields(ConfirmSalesOrder, fields)))


@router.post(
    "/sales-orders/{so_id}/reserve",
    dependencies=SELL,
    summary="Reserve named units and lots, or what the lines still need.",
)
def reserve(db: DB, so_id: Id, body: ReserveRequest) -> JSONResponse:  # fmt: skip
    check_http_size(dict(body))
    return answer(db.run(from_fields(ReserveSalesOrder, {**dict(body), "so_id": so_id})))


@router.post(
    "/sales-orders/{so_id}/cancel",
    dependencies=SELL,
    summary="Cancel an order (what is left of it): its reservations are released.",
)
def cancel(db: DB, so_id: Id, body: CancelRequest) -> JSONResponse:  # fmt: skip
    return answer(db.run(from_fields(CancelSalesOrder, {**dict(body), "so_id": so_id})))


@router.get(
    "/sales-orders/{so_id}/pick-list",
    dependencies=READ,
    responses={200: {"content": {"application/json": {}, "application/pdf": {}}}},
    summary="The pick list in walking order (JSON or PDF), and the lines short.",
)
def pick_list(
    db: DB,
    so_id: Id,
    format: Annotated[str, Query(pattern="^(json|pdf)$")] = "json",  # noqa: A002
) -> Any:
    if format == "pdf":
        return Response(db.so_pick_pdf(so_id), media_type="application/pdf")
    return answer(db.so_pick_list(so_id))


@router.post("/sales-orders/{so_id}/picks", dependencies=OPERATE, status_code=201,
             summary="Confirm picks by scanning (all or none): wrong items, lots, expired "
             "or held units are refused with the reason.")  # fmt: skip
def pick(db: DB, so_id: Id, body: PickRequest) -> JSONResponse:
    check_http_size({"refs": body.scans})
    return answer(db.run(from_fields(PickScans, {**dict(body), "so_id": so_id})), 201)


@router.get(
    "/sales-orders/{so_id}/picks",
    dependencies=READ,
    summary="How far the picking is: each line, and those short.",
)
def picks(db: DB, so_id: Id) -> JSONResponse:  # fmt: skip
    return answer(db.so_pick_progress(so_id))


@router.post("/sales-orders/{so_id}/ship", dependencies=OPERATE, status_code=201,
             summary="Ship against the order: more than ordered is refused, less leaves a "
             "backorder.")  # fmt: skip
def ship(db: DB, so_id: Id, body: ShipOrderRequest) -> JSONResponse:
    check_http_size(dict(body))
    done = db.run(from_fields(Ship, {**dict(body), "so": so_id}))
    return answer({**done.to_dict(), "order_status": db.sales_order(so_id)["status"]}, 201)
