"""Stock operations: the body of each mirrors the CLI's options (CONVENTIONS). Each takes an
`Idempotency-Key` header: sent again with the same key, it is answered as the first time
and done once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
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
    ScrapRequest,
    ShipRequest,
)
from tracelot.app import Tracelot
from tracelot.domain.serials import parse_serials
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
    response: Response,
    key: str | None,
    body: BaseModel,
    operation: Callable[[Tracelot], OperationResult | None],
) -> OperationPublic:
    def once(batch: Tracelot) -> Any:
        done = operation(batch)
        if done is None:  # a count that matched: nothing to record
            return None
        return OperationPublic.model_validate(done.to_dict()).model_dump(mode="json", by_alias=True)

    digest = request_digest(request.method, request.url.path, body.model_dump(mode="json"))
    status, answer = db.once(user.id, key, digest, 201, once)
    response.status_code = status if answer is not None else 200
    return answer


def _serials(value: list[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    return parse_serials(value) if isinstance(value, str) else list(value)


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
    response: Response,
    body: ReceiveRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    options = body.model_dump(exclude={"item", "to", "scan", "reference", "serials"})
    options |= {"ref": body.reference, "serials": _serials(body.serials)}

    def operation(t: Tracelot) -> OperationResult:
        if body.scan is not None:
            return t.receive_scan(body.scan, to=body.to, item=body.item, **options)
        return t.receive(body.item or "", to=body.to, **options)

    return _run(db, user, request, response, key, body, operation)


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
    response: Response,
    body: MoveRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(
        db,
        user,
        request,
        response,
        key,
        body,
        lambda t: t.move(
            *body.refs,
            to=body.to,
            from_=body.from_,
            qty=body.qty,
            reference=body.reference,
            note=body.note,
        ),
    )


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
    response: Response,
    body: ShipRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(
        db,
        user,
        request,
        response,
        key,
        body,
        lambda t: t.ship(
            *body.refs,
            to=body.to,
            from_=body.from_,
            qty=body.qty,
            reference=body.reference,
            note=body.note,
        ),
    )


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
    response: Response,
    body: BuildRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(
        db,
        user,
        request,
        response,
        key,
        body,
        lambda t: t.build(
            body.item,
            to=body.to,
            consume=body.consume,
            serial=body.serial,
            lot=body.lot,
            qty=body.qty,
            expires=body.expires,
            reference=body.reference,
            note=body.note,
        ),
    )


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
    response: Response,
    body: ReturnRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(
        db,
        user,
        request,
        response,
        key,
        body,
        lambda t: t.return_(
            body.ref,
            from_customer=body.from_,
            to=body.to,
            qty=body.qty,
            reference=body.reference,
            note=body.note,
        ),
    )


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
    response: Response,
    body: ScrapRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(
        db,
        user,
        request,
        response,
        key,
        body,
        lambda t: t.scrap(
            body.ref, reason=body.reason, qty=body.qty, from_=body.from_, reference=body.reference
        ),
    )


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
    response: Response,
    body: AdjustRequest,
    key: IdempotencyKey = None,
) -> OperationPublic | None:
    return _run(
        db,
        user,
        request,
        response,
        key,
        body,
        lambda t: t.adjust(
            body.item,
            at_location=body.at,
            counted=body.counted,
            lot=body.lot,
            reference=body.reference,
            note=body.note,
        ),
    )


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
    response: Response,
    body: ReplaceRequest,
    key: IdempotencyKey = None,
) -> OperationPublic:
    return _run(
        db,
        user,
        request,
        response,
        key,
        body,
        lambda t: t.replace(
            body.assembly,
            remove=body.remove,
            install=body.install,
            to=body.to,
            scrap=body.scrap,
            reference=body.reference,
            note=body.note,
        ),
    )
