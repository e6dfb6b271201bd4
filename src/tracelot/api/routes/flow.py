"""Incoming inspection and transfers between sites (issue 19). Inspections are done by
operators (and quality); transfers are stock operations; whether an item is inspected
on receipt is master data. Each operation takes an `Idempotency-Key` header."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tracelot.api.deps import DB, CurrentUser, IdempotencyKey, allow, answer, once
from tracelot.api.schemas import Id, Named, Note, Qty, Reason, Reference, Refs
from tracelot.domain.commands import (
    InspectFail,
    InspectPass,
    ReceiveTransfer,
    Transfer,
    check_http_size,
    from_fields,
)

router = APIRouter(tags=["inspection and transfers"])
READ = [Depends(allow("read"))]
INSPECT = [Depends(allow("inspect"))]
OPERATE = [Depends(allow("operate"))]
MASTER_DATA = [Depends(allow("master_data"))]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class InspectPassRequest(_Body):
    refs: Refs = Field(examples=[["PCB:SN0001", "CELL@L1"]])
    note: Note | None = None
    to: Named | None = Field(default=None, description="Put it away here.")


class InspectFailRequest(_Body):
    refs: Refs = Field(examples=[["PCB:SN0002"]])
    reason: Reason = Field(examples=["cracked housing"])
    return_to_supplier: bool = False
    scrap: bool = False


class TransferRequest(_Body):
    refs: Refs = Field(examples=[["PCB:SN0001", "CELL@L1=40"]])
    from_: Named = Field(alias="from", examples=["WH"], description="The site sending.")
    to: Named = Field(examples=["WH2"], description="The site receiving.")
    qty: Qty | None = None
    carrier: Reference | None = None
    reference: Reference | None = None
    note: Note | None = None


class TransferReceiveRequest(_Body):
    refs: Refs = Field(default_factory=list, description="What arrived; none: all of it.")
    to: Named | None = Field(default=None, description="Where it goes (in the destination).")
    qty: Qty | None = None
    complete: bool = False
    note: Note | None = None


class InspectionRule(_Body):
    inspect_on_receipt: bool
    supplier: Named | None = Field(default=None, description="For this supplier's receipts only.")


@router.put(
    "/items/{code}/inspection",
    dependencies=MASTER_DATA,
    summary="Say whether what is received of an item (from a supplier) waits for inspection.",
)
def set_inspection(db: DB, code: str, body: InspectionRule) -> JSONResponse:
    return answer(db.item_set_inspection(code, inspect=body.inspect_on_receipt,
                                         supplier=body.supplier))  # fmt: skip


@router.get("/inspections", dependencies=READ, summary="What waits for inspection, with its age.")
def inspections(db: DB, all: bool = False) -> JSONResponse:  # noqa: A002
    return answer(db.inspections(all_=all))


@router.post(
    "/inspections/pass",
    dependencies=INSPECT,
    status_code=201,
    summary="Pass the inspection of units or lots: released, put away at `to` if given.",
)
def inspect_pass(db: DB, user: CurrentUser, request: Request, body: InspectPassRequest,
                 key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    check_http_size(dict(body))
    return once(db, user, request, key, body, from_fields(InspectPass, dict(body)))


@router.post(
    "/inspections/fail",
    dependencies=INSPECT,
    status_code=201,
    summary="Fail the inspection of units or lots: kept held, returned or scrapped.",
)
def inspect_fail(db: DB, user: CurrentUser, request: Request, body: InspectFailRequest,
                 key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    check_http_size(dict(body))
    return once(db, user, request, key, body, from_fields(InspectFail, dict(body)))


@router.get("/transfers", dependencies=READ, summary="Open transfers (all: every one), by age.")
def transfers(db: DB, all: bool = False) -> JSONResponse:  # noqa: A002
    return answer(db.transfers(all_=all))


@router.post(
    "/transfers",
    dependencies=OPERATE,
    status_code=201,
    summary="Send stock from one site to another: in transit until received.",
)
def transfer(db: DB, user: CurrentUser, request: Request, body: TransferRequest,
             key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    check_http_size(dict(body))
    return once(db, user, request, key, body, from_fields(Transfer, dict(body)))


@router.get("/transfers/{transfer_id}", dependencies=READ, summary="One transfer and its lines.")
def transfer_show(db: DB, transfer_id: Id) -> JSONResponse:
    return answer(db.transfer_show(transfer_id))


@router.post(
    "/transfers/{transfer_id}/receive",
    dependencies=OPERATE,
    status_code=201,
    summary="Receive a transfer at its destination: all, or what `refs` name; `complete` "
    "books what did not arrive as missing.",
)
def transfer_receive(db: DB, user: CurrentUser, request: Request, transfer_id: Id,
                     body: TransferReceiveRequest,
                     key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    check_http_size(dict(body))
    command = from_fields(ReceiveTransfer, {**dict(body), "transfer_id": transfer_id})
    return once(db, user, request, key, body, command)
