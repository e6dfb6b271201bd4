"""Master data that can change, with its history (issue 19): a location's fields, a
user's role, deactivating and reactivating items, locations, parties and users, and the
change log. (Adding items, locations and parties, and PATCH of items and parties, are in
routes/setup.py.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from tracelot.api.deps import DB, allow, answer
from tracelot.api.listing import DAY_SCHEMA, IsoDay, Limit, Offset
from tracelot.api.schemas import (
    ChangePublic,
    Deactivation,
    LocationChange,
    LocationPublic,
    Page,
    UserChange,
)

router = APIRouter(tags=["master data"])
READ, WRITE = [Depends(allow("read"))], [Depends(allow("master_data"))]
ADMIN = [Depends(allow("admin"))]
Given = Annotated[str | None, Query(max_length=200)]
#: a day, YYYY-MM-DD (not a number of seconds)
Since = Annotated[
    IsoDay | None, Query(description="From this day on, YYYY-MM-DD.", json_schema_extra=DAY_SCHEMA)
]


@router.patch(
    "/locations/{code}",
    dependencies=WRITE,
    summary="Change a location's name, parent, kind, GLN or pick sequence (never its code).",
)
def change_location(db: DB, code: str, body: LocationChange) -> LocationPublic:
    return LocationPublic.model_validate(
        db.set_location(code, **body.model_dump(exclude_none=True))
    )


def _switches(plural: str, entity: str) -> None:
    """POST /{plural}/{code}/deactivate (with a reason) and /reactivate."""

    def deactivate(db: DB, code: str, body: Deactivation) -> JSONResponse:
        return answer(db.deactivate(entity, code, reason=body.reason))

    def reactivate(db: DB, code: str) -> JSONResponse:
        return answer(db.reactivate(entity, code))

    router.post(
        f"/{plural}/{{code}}/deactivate",
        dependencies=WRITE,
        summary=f"Deactivate a {entity}: refused in new operations (with the reason).",
        name=f"deactivate_{entity}",
    )(deactivate)
    router.post(
        f"/{plural}/{{code}}/reactivate",
        dependencies=WRITE,
        summary=f"Make an inactive {entity} usable again.",
        name=f"reactivate_{entity}",
    )(reactivate)


for _plural, _entity in (("items", "item"), ("locations", "location"), ("parties", "party")):
    _switches(_plural, _entity)


@router.patch("/users/{name}", dependencies=ADMIN, summary="Change a user's role.")
def change_user(db: DB, name: str, body: UserChange) -> JSONResponse:
    return answer(db.set_user(name, role=body.role))


@router.post(
    "/users/{name}/deactivate",
    dependencies=ADMIN,
    summary="Deactivate a user (as disable, with a reason): no logins, no tokens, no operations.",
)
def deactivate_user(db: DB, name: str, body: Deactivation) -> JSONResponse:
    return answer(db.deactivate("user", name, reason=body.reason))


@router.post("/users/{name}/reactivate", dependencies=ADMIN, summary="Reactivate a user.")
def reactivate_user(db: DB, name: str) -> JSONResponse:
    return answer(db.reactivate("user", name))


@router.get(
    "/changes",
    dependencies=READ,
    summary="The change log of master data, oldest first (of one item, location, party, user).",
)
def list_changes(
    db: DB,
    item: Given = None,
    location: Given = None,
    party: Given = None,
    user: Given = None,
    since: Since = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Page[ChangePublic]:
    rows = db.changes(item=item, location=location, party=party, user=user, since=since)
    return Page[ChangePublic].model_validate(
        {
            "items": rows[offset : offset + limit],
            "total": len(rows),
            "limit": limit,
            "offset": offset,
        }  # fmt: skip
    )
