"""Trace (JSON, CSV, SVG), holds and recalls."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from tracelot.api.deps import DB, allow, answer, csv_response
from tracelot.api.schemas import Id, Named, Note, Reason, Ref, Refs
from tracelot.domain.commands import (
    DISPOSITION_LENGTH,
    HTTP_MAX_SERIALS,
    CloseRecall,
    ExtendRecall,
    Hold,
    MarkRecall,
    OpenRecall,
    Release,
    check_http_size,
    from_fields,
)
from tracelot.services.tabular import NOTIFY_COLUMNS
from tracelot.services.trace import Direction
from tracelot.services.trace_graph import trace_graph

router = APIRouter(tags=["trace and recalls"])
READ, QUALITY = [Depends(allow("read"))], [Depends(allow("quality"))]
Format = Annotated[
    str, Query(pattern="^(json|csv|jsonl|svg)$", description="json, csv, jsonl or svg")
]
FORMATS = {
    200: {
        "content": {"text/csv": {}, "application/jsonl": {}, "image/svg+xml": {}},
        "description": "The trace: JSON (the tree and `affected`), SVG, or the affected list "
        "alone as CSV or JSON Lines (written from the database without building the tree).",
    }
}
#: the affected list's formats, and their media types
FLAT = {"csv": "text/csv", "jsonl": "application/jsonl"}


def _answer(db: Any, direction: Direction, refs: list[str], fmt: str, **scope: Any) -> Any:
    if fmt in FLAT:  # streamed as the database gives it (bad input refused before)
        texts = db.iter_affected(direction, *refs, fmt=fmt, **scope)
        return StreamingResponse(texts, media_type=FLAT[fmt])
    traced = db.trace_forward if direction == "forward" else db.trace_backward
    result = traced(*refs, **scope)
    if fmt == "svg":
        return Response(trace_graph(result).pipe(format="svg"), media_type="image/svg+xml")
    return answer(result.to_dict())


@router.get(
    "/trace/backward",
    dependencies=READ,
    responses=FORMATS,
    summary="Every component and supplier lot that went into a unit or lot.",
)
def trace_backward(
    db: DB,
    ref: Annotated[Ref, Query()],
    depth: Annotated[int | None, Query(ge=1, le=1000)] = None,
    as_of: dt.date | None = None,
    format: Format = "json",  # noqa: A002
) -> Any:
    return _answer(db, "backward", [ref], format, depth=depth, as_of=as_of)


@router.get(
    "/trace/forward",
    dependencies=READ,
    responses=FORMATS,
    summary="Everything made from units, lots or a supplier's lot, and where it is.",
)
def trace_forward(
    db: DB,
    ref: Annotated[list[Ref], Query()] = [],  # noqa: B006 - FastAPI's list query
    supplier: str | None = None,
    supplier_lot: str | None = None,
    depth: Annotated[int | None, Query(ge=1, le=1000)] = None,
    as_of: dt.date | None = None,
    format: Format = "json",  # noqa: A002
) -> Any:
    scope = {"supplier": supplier, "supplier_lot": supplier_lot, "depth": depth, "as_of": as_of}
    return _answer(db, "forward", list(ref), format, **scope)


class HoldRequest(BaseModel):
    ref: Ref
    reason: Reason = Field(examples=["supplier notice 7"])


class ReleaseRequest(BaseModel):
    ref: Ref
    note: Note | None = None


@router.get("/holds", dependencies=READ, summary="Every open hold.")
def holds(db: DB) -> JSONResponse:
    return answer(db.holds())


@router.post(
    "/holds",
    dependencies=QUALITY,
    status_code=201,
    summary="Hold a unit or lot: neither shipped nor consumed until released.",
)
def hold(db: DB, body: HoldRequest) -> JSONResponse:
    return answer(db.run(from_fields(Hold, dict(body))), 201)


@router.post("/holds/release", dependencies=QUALITY, summary="Release a unit's or lot's holds.")
def release(db: DB, body: ReleaseRequest) -> JSONResponse:
    return answer(db.run(from_fields(Release, dict(body))))


class RecallRequest(BaseModel):
    reason: Reason = Field(examples=["supplier recall RS-0001"])
    refs: Refs = []
    supplier: Named | None = None
    supplier_lot: Named | None = None
    item: Named | None = None
    serials: Annotated[str, Field(max_length=HTTP_MAX_SERIALS * 65)] | None = None
    made_between: tuple[dt.date, dt.date] | None = None
    quarantine: Named | None = None


class MarkRequest(BaseModel):
    refs: Refs | None = Field(default=None, examples=[["DEV:D0001", "CELL@L1"]])
    ref: Ref | None = Field(default=None, description="One reference (or give `refs`).")
    disposition: Annotated[str, Field(max_length=DISPOSITION_LENGTH)] = Field(
        description="located, returned, returned-to-supplier, reworked, scrapped or cleared"
    )
    at: Named | None = Field(default=None, description="Everything of the recall at a location.")
    customer: Named | None = Field(default=None, description="Everything of a customer.")
    to: Named | None = Field(default=None, description="returned-to-supplier: the supplier.")
    operation: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="reworked: the repair (replace) or build that reworked them.",
    )
    note: Note | None = None


class ExtendRequest(BaseModel):
    refs: Refs


class CloseRequest(BaseModel):
    force: bool = False
    reason: Reason | None = None


@router.get("/recalls", dependencies=READ, summary="Recalls, with status and counts.")
def recalls(db: DB) -> JSONResponse:
    return answer(db.recalls())


@router.get(
    "/recalls/{recall_id}",
    dependencies=READ,
    summary="A recall: scope, counts, affected items, whom to notify.",
)
def recall(db: DB, recall_id: Id) -> JSONResponse:
    return answer(db.recall(recall_id))


@router.get(
    "/recalls/{recall_id}/notify-list",
    dependencies=QUALITY,
    responses={200: {"content": {"text/csv": {}}}},
    summary="The customer notification list as CSV.",
)
def notify_list(db: DB, recall_id: Id) -> Response:
    rows = db.recall(recall_id)["notify"]
    return csv_response(rows, NOTIFY_COLUMNS)


@router.post(
    "/recalls",
    dependencies=QUALITY,
    status_code=201,
    summary="Open a recall: trace the scope forward, hold what is on hand.",
)
def open_recall(db: DB, body: RecallRequest) -> JSONResponse:
    check_http_size(dict(body))
    return answer(db.run(from_fields(OpenRecall, dict(body))), 201)


@router.post(
    "/recalls/{recall_id}/marks",
    dependencies=QUALITY,
    summary="Record a disposition for affected units and lots (scrapped scraps them).",
)
def mark(db: DB, recall_id: Id, body: MarkRequest) -> JSONResponse:
    refs = [*(body.refs or []), *([body.ref] if body.ref else [])]
    fields = {**dict(body), "refs": refs, "recall_id": recall_id}
    return answer(db.run(from_fields(MarkRecall, fields)))


@router.post(
    "/recalls/{recall_id}/extend",
    dependencies=QUALITY,
    summary="Add references to an open recall's scope.",
)
def extend(db: DB, recall_id: Id, body: ExtendRequest) -> JSONResponse:
    return answer(db.run(from_fields(ExtendRecall, {**dict(body), "recall_id": recall_id})))


@router.post(
    "/recalls/{recall_id}/close",
    dependencies=QUALITY,
    summary="Close a recall (by force, with a reason, while items are open).",
)
def close(db: DB, recall_id: Id, body: CloseRequest) -> JSONResponse:
    return answer(db.run(from_fields(CloseRecall, {**dict(body), "recall_id": recall_id})))


class NoticesRequest(BaseModel):
    send: bool = Field(
        default=True,
        strict=True,
        description="Email each customer not sent to yet (the server's SMTP).",
    )


@router.get(
    "/recalls/{recall_id}/notices",
    dependencies=QUALITY,
    summary="Where a recall's notices to customers stand: written, sent, failed and why.",
)
def notices(db: DB, recall_id: Id) -> JSONResponse:
    return answer(db.recall(recall_id)["notices"])


@router.post(
    "/recalls/{recall_id}/notices",
    dependencies=QUALITY,
    summary="Email the recall's letter to each customer not sent to yet (none twice).",
)
def send_notices(db: DB, recall_id: Id, body: NoticesRequest) -> JSONResponse:
    return answer(db.recall_notices(recall_id, send=body.send))


@router.get(
    "/recalls/{recall_id}/notices/{customer}.pdf",
    dependencies=QUALITY,
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The letter."}},
    summary="The recall's letter to one customer, as a PDF.",
)
def notice_letter(db: DB, recall_id: Id, customer: str) -> Response:
    return Response(db.recall_letter(recall_id, customer), media_type="application/pdf")
