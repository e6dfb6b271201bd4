"""Stock operations: the body of each mirrors the CLI's options (CONVENTIONS). Each takes an
`Idempotency-Key` header: sent again with the same key, it is answered as the first time
and done once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from tracelot.api.deps import DB, CurrentUser, allow
from tracelot.api.schemas import (
    AdjustRequest,
    BuildRequest,
    MoveRequest,
    OperationPublic,
    Problem,
    ReceiveRequest,
    ReplaceRequest,
    ReturnRequest,
    ReturnToSupplierRequest,
    ScrapRequest,
    ShipRequest,
)
from tracelot.app import Tracelot
from tracelot.domain.commands import (
    Adjust,
    Build,
    Move,
    Receive,
    Replace,
    Return,
    ReturnToSupplier,
    Scrap,
    Ship,
    check_http_size,
    from_fields,
)
from tracelot.http.sessions import request_digest
from tracelot.services.results import OperationResult

router = APIRouter(prefix="/operations", tags=["operations"])
OPERATE = [Depends(allow("operate"))]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Send an operation again safely: done once."),
]
ANSWERS: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Not enough stock, or a conflict: retry."},
    422: {"model": Problem, "description": "Bad input: nothing was changed."},
}


def _run(
    db: DB,
    user: CurrentUser,
    request: Request,
    key: str | None,
    body: BaseModel,
    command: type,
) -> Any:
    """Do the operation of a request: its command is made (and checked) from the body
    before anything is looked up, then run once per idempotency key. The answer is made
    here, in OperationPublic's form, and sent as it is (FastAPI would check it again)."""
    check_http_size(dict(body))  # a range counted before it is expanded
    checked = from_fields(command, dict(body))

    def once(batch: Tracelot) -> Any:
        done: OperationResult | None = batch.run(checked)
        if done is None:  # a count that matched: nothing to record
            return None
        return OperationPublic.model_validate(done.to_dict()).model_dump(mode="json", by_alias=True)

    digest = "" if key is None else request_digest(
        request.method, request.url.path, body.model_dump(mode="json")
    )  # fmt: skip
    status, answer = db.once(user.id, key, digest, 201, once)
    return JSONResponse(answer, status_code=status if answer is not None else 200)


@router.post(
    "/receive",
    dependencies=OPERATE,
    status_code=201,
    responses=ANSWERS,
    summary="Receive from a supplier: serials, a lot quantity, a quantity, or a scan.",
)
def receive(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: ReceiveRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(db, user, request, key, body, Receive)


@router.post(
    "/move",
    dependencies=OPERATE,
    status_code=201,
    responses=ANSWERS,
    summary="Move units, or quantities of lots or items, in one operation.",
)
def move(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: MoveRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(db, user, request, key, body, Move)


@router.post(
    "/ship",
    dependencies=OPERATE,
    status_code=201,
    responses=ANSWERS,
    summary="Ship units, or quantities of lots or items, to a customer.",
)
def ship(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: ShipRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(db, user, request, key, body, Ship)


@router.post(
    "/return-to-supplier",
    dependencies=OPERATE,
    status_code=201,
    responses=ANSWERS,
    summary="Send units, or quantities of lots or items, back to a supplier.",
)
def return_to_supplier(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: ReturnToSupplierRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(db, user, request, key, body, ReturnToSupplier)


@router.post(
    "/build",
    dependencies=OPERATE,
    status_code=201,
    responses=ANSWERS,
    summary="Build an assembly from the components it consumes.",
)
def build(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: BuildRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(db, user, request, key, body, Build)


@router.post(
    "/return",
    dependencies=OPERATE,
    status_code=201,
    responses=ANSWERS,
    summary="Take back from a customer what was shipped to them.",
)
def return_(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: ReturnRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(db, user, request, key, body, Return)


@router.post(
    "/scrap",
    dependencies=OPERATE,
    status_code=201,
    responses=ANSWERS,
    summary="Scrap a unit or a quantity, with a reason.",
)
def scrap(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: ScrapRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(db, user, request, key, body, Scrap)


@router.post(
    "/adjust",
    dependencies=OPERATE,
    status_code=201,
    responses={**ANSWERS, 200: {"description": "The count matched: nothing was recorded."}},
    summary="Correct a count against the adjustment location (200, no body: it matched).",
)
def adjust(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: AdjustRequest,
    key: IdempotencyKey = None,
) -> OperationPublic | None:
    return _run(db, user, request, key, body, Adjust)


@router.post(
    "/replace",
    dependencies=OPERATE,
    status_code=201,
    responses=ANSWERS,
    summary="Repair a built unit: swap a component; genealogy keeps both, with dates.",
)
def replace(
    db: DB,
    user: CurrentUser,
    request: Request,
    body: ReplaceRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(db, user, request, key, body, Replace)
