"""EPCIS 2.0 over HTTP: the events a query selects (the standard's simple event query
parameters), capturing a partner's document, and the advance shipping notices it made."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tracelot.api.deps import DB, CurrentUser, allow, answer
from tracelot.api.listing import IsoTime
from tracelot.api.problems import problem
from tracelot.api.routes.operations import ANSWERS, IdempotencyKey
from tracelot.api.schemas import OperationPublic
from tracelot.http.sessions import request_digest

router = APIRouter(tags=["epcis"])
LD_JSON = "application/ld+json"


#: the event types of EPCIS 2.0 (what else a query names matches nothing: refused)
EventType = Literal["ObjectEvent", "AggregationEvent", "TransactionEvent",
                    "TransformationEvent", "AssociationEvent"]  # fmt: skip


@router.get(
    "/epcis/events",
    dependencies=[Depends(allow("read"))],
    summary="EPCIS events a simple event query selects, as an EPCISQueryDocument.",
    responses={200: {"content": {LD_JSON: {}}}},
)
def events(
    db: DB,
    event_type: Annotated[list[EventType] | None, Query(alias="eventType")] = None,
    since: Annotated[IsoTime | None, Query(alias="GE_eventTime")] = None,
    until: Annotated[IsoTime | None, Query(alias="LT_eventTime")] = None,
    biz_step: Annotated[list[str] | None, Query(alias="EQ_bizStep")] = None,
    disposition: Annotated[list[str] | None, Query(alias="EQ_disposition")] = None,
    biz_location: Annotated[list[str] | None, Query(alias="EQ_bizLocation")] = None,
    any_epc: Annotated[list[str] | None, Query(alias="MATCH_anyEPC")] = None,
    any_class: Annotated[list[str] | None, Query(alias="MATCH_anyEPCClass")] = None,
) -> Response:
    document = db.epcis_events(
        event_types=event_type or (), since=_aware(since), until=_aware(until),
        biz_steps=biz_step or (), dispositions=disposition or (),
        biz_locations=biz_location or (), any_epc=any_epc or (), any_class=any_class or (),
    )  # fmt: skip
    return Response(json.dumps(document, ensure_ascii=False), media_type=LD_JSON)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A query's time (ISO 8601, `format: date-time`; without an offset, UTC)."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@router.post(
    "/epcis/capture",
    dependencies=[Depends(allow("admin"))],
    summary="Capture an EPCIS document (the request body): checked whole, written whole.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                LD_JSON: {"schema": {"type": "object"}},
            },
        }
    },
    responses={
        413: {"description": "The document is larger than TRACELOT_MAX_CAPTURE_BYTES."},
        422: {"description": "The document has problems (listed): nothing was written."},
    },
)
async def capture(db: DB, request: Request, dry_run: bool = False) -> Any:
    data = await request.body()  # at most TRACELOT_MAX_CAPTURE_BYTES (`http.guard`): 413
    summary = await run_in_threadpool(db.epcis_import, data, dry_run=dry_run)
    if summary["problems"]:
        count = len(summary["problems"])
        return _refusal(f"{count} problems in the document: nothing written", summary["problems"])
    return answer(summary, status_code=200 if dry_run else 201)


def _refusal(detail: str, problems: list[dict[str, Any]]) -> JSONResponse:
    return problem(422, "InvalidInput", detail, "invalid_input", problems=problems)


class AsnPublic(BaseModel):
    asn: int
    status: str
    supplier: str | None
    sscc: str | None
    shipped_at: dt.datetime
    lines: int
    qty: float


class AsnReceipt(BaseModel):
    to: str = Field(examples=["A1"], description="Where it is received.")
    keep_packed: bool = Field(
        default=False,
        strict=True,
        description="Keep the pallet whole: a logistic unit with its SSCC holding what came "
        "in (issue 20).",
    )


@router.get(
    "/asns",
    dependencies=[Depends(allow("read"))],
    summary="Advance shipping notices (suppliers' EPCIS shipments), with their status.",
)
def asns(
    db: DB, status: Annotated[str | None, Query(pattern="^(open|received)$")] = None
) -> list[AsnPublic]:
    return [AsnPublic.model_validate(row) for row in db.asns(status=status)]


@router.get(
    "/asns/{asn}",
    dependencies=[Depends(allow("read"))],
    summary="What an advance shipping notice announced (by number or its pallet's SSCC).",
)
def asn(db: DB, asn: Annotated[str, Path(max_length=200)]) -> dict[str, Any]:
    return answer(db.asn(asn))


@router.post(
    "/asns/{asn}/receive",
    dependencies=[Depends(allow("operate"))],
    status_code=201,
    responses=ANSWERS,
    summary="Receive what an advance shipping notice announced: a receipt per item and lot.",
)
def receive(
    db: DB,
    user: CurrentUser,
    request: Request,
    response: Response,
    asn: Annotated[str, Path(max_length=200)],
    body: AsnReceipt,
    key: IdempotencyKey = None,
) -> list[OperationPublic]:
    def once(batch: Any) -> Any:
        done = batch.receive_asn(asn, to=body.to, keep_packed=body.keep_packed)
        return [OperationPublic.model_validate(r.to_dict()).model_dump(mode="json", by_alias=True)
                for r in done]  # fmt: skip

    digest = request_digest(request.method, request.url.path, body.model_dump(mode="json"))
    status, answered = db.once(user.id, key, digest, 201, once)
    response.status_code = status
    return answered
