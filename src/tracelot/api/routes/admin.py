"""Users and API tokens (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from tracelot.api.deps import DB, allow, answer
from tracelot.api.schemas import Id

router = APIRouter(tags=["admin"])
ADMIN = [Depends(allow("admin"))]


class UserCreate(BaseModel):
    name: str = Field(examples=["clerk"])
    role: str = Field(examples=["operator"])
    password: str | None = Field(default=None, description="None: the user works with tokens")


class RoleChange(BaseModel):
    role: str


class TokenCreate(BaseModel):
    user: str
    name: str | None = None
    expires_days: int | None = Field(default=None, ge=1, le=36500, examples=[90])


@router.get("/users", dependencies=ADMIN, summary="List users.")
def users(db: DB) -> JSONResponse:
    return answer(db.users())


@router.post("/users", dependencies=ADMIN, status_code=201, summary="Add a user.")
def add_user(db: DB, body: UserCreate) -> JSONResponse:
    return answer(db.add_user(body.name, role=body.role, password=body.password), 201)


@router.post("/users/{name}/role", dependencies=ADMIN, summary="Change a user's role.")
def set_role(db: DB, name: str, body: RoleChange) -> JSONResponse:
    return answer(db.set_role(name, body.role))


@router.post(
    "/users/{name}/disable",
    dependencies=ADMIN,
    summary="Disable a user: no more logins, tokens stop working.",
)
def disable(db: DB, name: str) -> JSONResponse:
    return answer(db.disable_user(name))


@router.get("/tokens", dependencies=ADMIN, summary="List tokens (never the tokens).")
def tokens(db: DB) -> JSONResponse:
    return answer(db.tokens())


@router.post(
    "/tokens",
    dependencies=ADMIN,
    status_code=201,
    summary="Create a token: the answer holds it, once.",
)
def create_token(db: DB, body: TokenCreate) -> JSONResponse:
    made = db.create_token(body.user, name=body.name, expires_days=body.expires_days)
    return answer(made, 201)


@router.delete("/tokens/{token_id}", dependencies=ADMIN, status_code=204, summary="Revoke a token.")
def revoke(db: DB, token_id: Id) -> Response:
    db.revoke_token(token_id)
    return Response(status_code=204)
