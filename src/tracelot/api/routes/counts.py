"""Stock counts: started and scanned into by operators, posted by quality (or admin).

A blind count's expected figures are shown to the roles that post (quality, admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from tracelot.api.deps import DB, CurrentUser, IdempotencyKey, allow, answer, once
from tracelot.api.schemas import Id, Named, Note, Reason, Refs
from tracelot.domain.commands import (
    CancelCount,
    CountScans,
    PostCount,
    StartCount,
    from_fields,
)
from tracelot.domain.roles import may

router = APIRouter(tags=["stock counts"])
READ, COUNT = [Depends(allow("read"))], [Depends(allow("count"))]
QUALITY = [Depends(allow("quality"))]


class StartCountRequest(BaseModel):
    at: Named = Field(examples=["WH"], description="The location counted, with all below it.")
    items: list[Named] = Field(default=[], max_length=1000, description="Count these only.")
    blind: bool = Field(
        default=False, strict=True, description="Hide the expected figures from counters."
    )
    note: Note | None = None


class CountScansRequest(BaseModel):
    scans: Refs = Field(
        examples=[["A1", "PCB:SN0001", "CELL@L1=40"]],
        description="Scans or REFs (a lot or item as REF=QTY); a location scanned is where "
        "the ones after it were found.",
    )
    at: Named | None = Field(default=None, description="Where they were found.")


class PostCountRequest(BaseModel):
    note: Note | None = None


@router.get("/counts", dependencies=READ, summary="Every stock count, newest first.")
def counts(db: DB) -> JSONResponse:
    return answer(db.counts())


@router.post(
    "/counts",
    dependencies=COUNT,
    status_code=201,
    summary="Open a count of a location (its subtree) with what the ledger expects there.",
)
def start(db: DB, body: StartCountRequest) -> JSONResponse:
    return answer(db.run(from_fields(StartCount, dict(body))), 201)


@router.get(
    "/counts/{count_id}",
    dependencies=READ,
    summary="A count and its variances (a blind count's only to quality and admin).",
)
def show(db: DB, user: CurrentUser, count_id: Id) -> JSONResponse:
    return answer(db.count_show(count_id, reveal=may(user.role, "quality")))


@router.post(
    "/counts/{count_id}/scans",
    dependencies=COUNT,
    status_code=201,
    summary="Record scans into an open count, all of them or none.",
)
def scan(db: DB, user: CurrentUser, request: Request, count_id: Id, body: CountScansRequest,
         key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """A counter's batch sent again with its `Idempotency-Key` (after a dropped
    connection) is recorded once."""
    fields = {**dict(body), "count_id": count_id}
    return once(db, user, request, key, body, from_fields(CountScans, fields))


@router.post(
    "/counts/{count_id}/post",
    dependencies=QUALITY,
    summary="Book a count's variances in one operation (once).",
)
def post(db: DB, count_id: Id, body: PostCountRequest) -> JSONResponse:
    return answer(db.run(from_fields(PostCount, {**dict(body), "count_id": count_id})))


class CancelCountRequest(BaseModel):
    reason: Reason


@router.post(
    "/counts/{count_id}/cancel",
    dependencies=QUALITY,
    summary="Cancel an open count: nothing is booked; its scans stay on record.",
)
def cancel(db: DB, count_id: Id, body: CancelCountRequest) -> JSONResponse:
    return answer(db.run(from_fields(CancelCount, {**dict(body), "count_id": count_id})))


@router.get(
    "/counts/{count_id}/report",
    dependencies=QUALITY,
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
    summary="The auditor's report of a count: every variance with its value, CSV or PDF.",
)
def report(
    db: DB,
    count_id: Id,
    format: Annotated[str, Query(pattern="^(csv|pdf)$")] = "csv",  # noqa: A002
) -> Any:
    data = db.count_report(count_id, fmt=format)
    media = "application/pdf" if format == "pdf" else "text/csv"
    return Response(data, media_type=media)
