"""Database-wide settings, and packing into cases and pallets with SSCCs (issue 20).
Settings are read by anyone signed in and set by admins; packing and unpacking are stock
operations (each takes an `Idempotency-Key` header); a logistic unit is named in URLs by
its number or its SSCC."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from tracelot.api.deps import DB, CurrentUser, allow, answer
from tracelot.api.schemas import Id, Named, Note, Reference, Refs
from tracelot.app import Tracelot
from tracelot.domain.commands import Pack, Unpack, check_http_size, from_fields
from tracelot.http.sessions import request_digest

router = APIRouter(tags=["packing"])
READ = [Depends(allow("read"))]
OPERATE = [Depends(allow("operate"))]
ADMIN = [Depends(allow("admin"))]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Send an operation again safely: done once."),
]
LuName = Annotated[str, Path(max_length=200, description="Its number or its SSCC.")]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class SettingsRequest(_Body):
    """The settings to set (those left out stay as they are)."""

    gs1_company_prefix: Annotated[str, Field(pattern=r"^[0-9]{6,12}$")] | None = Field(
        default=None, examples=["0614141"]
    )
    sscc_extension_digit: Annotated[str, Field(pattern=r"^[0-9]$")] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] | None = None


class PackRequest(_Body):
    refs: Refs = Field(examples=[["PCB:SN0001", "CELL@L1=40", "006141410000000012"]])
    into: Named | None = Field(default=None, description="The SSCC of the case to pack into.")
    new: Annotated[str, Field(pattern="^(case|pallet)$")] | None = Field(
        default=None, description="Pack into a new `case` or `pallet`."
    )
    at: Named | None = Field(default=None, description="Where a new one is made.")
    reference: Reference | None = None
    note: Note | None = None


class UnpackRequest(_Body):
    sscc: Named = Field(examples=["006141410000000012"])
    refs: Refs = Field(default_factory=list, description="What to take out; none: all of it.")
    note: Note | None = None


def _once(
    db: DB, user: CurrentUser, request: Request, key: str | None, body: BaseModel, command: Any
) -> JSONResponse:
    """Do an operation once per idempotency key (its command made and checked first)."""

    def once(batch: Tracelot) -> Any:
        from fastapi.encoders import jsonable_encoder

        return jsonable_encoder(batch.run(command))

    digest = request_digest(request.method, request.url.path, body.model_dump(mode="json"))
    status, found = db.once(user.id, key, digest, 201, once)
    return JSONResponse(found, status_code=status)


@router.get("/settings", dependencies=READ, summary="The database-wide settings, set or not.")
def settings(db: DB) -> JSONResponse:
    return answer(db.settings())


@router.put(
    "/settings",
    dependencies=ADMIN,
    summary="Set database-wide settings: an object of keys and values, all or none.",
)
def set_settings(
    db: DB,
    body: SettingsRequest,
) -> JSONResponse:
    with db.atomic() as batch:
        for key, value in body.model_dump(exclude_none=True).items():
            batch.set_setting(key, value)
    return answer(db.settings())


@router.get(
    "/logistic-units",
    dependencies=READ,
    summary="The cases and pallets on hand (all: shipped ones too), by number.",
)
def logistic_units(db: DB, all: bool = False) -> JSONResponse:  # noqa: A002
    return answer(db.logistic_units(all_=all))


@router.get(
    "/logistic-units/{lu}",
    dependencies=READ,
    summary="A case or pallet (by number or SSCC) and what it holds, nested.",
)
def logistic_unit(db: DB, lu: LuName) -> JSONResponse:
    return answer(db.logistic_unit(lu))


@router.get(
    "/logistic-units/{lu}/label",
    dependencies=READ,
    summary="The SSCC label of a case or pallet (PDF).",
)
def logistic_unit_label(db: DB, lu: LuName) -> Response:
    return Response(db.sscc_label_pdf(lu), media_type="application/pdf")


@router.get(
    "/operations/{operation}/slip",
    dependencies=READ,
    summary="The packing slip of a shipment (PDF): its SSCCs, items, lots, serials.",
)
def packing_slip(db: DB, operation: Id) -> Response:
    return Response(db.packing_slip(operation), media_type="application/pdf")


@router.post(
    "/operations/pack",
    dependencies=OPERATE,
    status_code=201,
    summary="Pack units, lot quantities and cases into a case or pallet (SSCC).",
)
@router.post(
    "/pack",
    dependencies=OPERATE,
    status_code=201,
    summary="Pack units, lot quantities and cases into a case or pallet (SSCC) (the same as "
    "/operations/pack).",
)
def pack(
    db: DB, user: CurrentUser, request: Request, body: PackRequest, key: IdempotencyKey = None
) -> JSONResponse:
    check_http_size(dict(body))
    return _once(db, user, request, key, body, from_fields(Pack, dict(body)))


@router.post(
    "/operations/unpack",
    dependencies=OPERATE,
    status_code=201,
    summary="Take things out of a case or pallet (all when no refs are named).",
)
@router.post(
    "/unpack",
    dependencies=OPERATE,
    status_code=201,
    summary="Take things out of a case or pallet (all when no refs are named) (the same as "
    "/operations/unpack).",
)
def unpack(
    db: DB, user: CurrentUser, request: Request, body: UnpackRequest, key: IdempotencyKey = None
) -> JSONResponse:
    check_http_size(dict(body))
    return _once(db, user, request, key, body, from_fields(Unpack, dict(body)))
