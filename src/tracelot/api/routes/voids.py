"""Corrections: an operation by its id (with the void that voided it), and its void."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from tracelot.api.deps import DB, CurrentUser, allow
from tracelot.api.routes.operations import ANSWERS, IdempotencyKey
from tracelot.api.schemas import OperationPublic, Reason
from tracelot.app import Tracelot
from tracelot.domain.commands import Void
from tracelot.http.sessions import request_digest

router = APIRouter(prefix="/operations", tags=["operations"])
READ, VOID = [Depends(allow("read"))], [Depends(allow("quality"))]
#: an operation's id; `:int` in the path, so that /operations/receive is no operation
OperationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The operation's id.")]


class VoidRequest(BaseModel):
    reason: Reason = Field(min_length=1, examples=["received into the wrong item"])


class VoidPublic(OperationPublic):
    """A void: its lines (each of the original's, the other way) and what it voids."""

    voids: int


class OperationShown(OperationPublic):
    """An operation, with the void that voided it (and why), or the operation it voids."""

    voided_by: int | None = None
    void_reason: str | None = None
    voids: int | None = None


@router.get(
    "/{operation_id:int}",
    dependencies=READ,
    summary="An operation and its lines; `voided_by` names the void that reversed it.",
    responses={404: {"description": "No such operation."}},
)
def show_operation(db: DB, operation_id: OperationId) -> OperationShown:
    return OperationShown.model_validate(db.operation(operation_id).detail_dict())


@router.post(
    "/{operation_id:int}/void",
    dependencies=VOID,
    status_code=201,
    responses=ANSWERS,
    summary="Void an operation: undo each of its lines exactly (refused, naming them, "
    "when later operations depend on it).",
)
def void(
    db: DB,
    user: CurrentUser,
    request: Request,
    response: Response,
    operation_id: OperationId,
    body: VoidRequest,
    key: IdempotencyKey = None,
) -> VoidPublic:
    command = Void(operation=operation_id, reason=body.reason)

    def once(batch: Tracelot) -> Any:
        done = batch.run(command)
        return VoidPublic.model_validate(done.to_dict()).model_dump(mode="json", by_alias=True)

    digest = request_digest(request.method, request.url.path, body.model_dump(mode="json"))
    status, answer = db.once(user.id, key, digest, 201, once)
    response.status_code = status
    return answer
