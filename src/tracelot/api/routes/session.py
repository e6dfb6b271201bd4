"""Web sessions: log in with a password (a session cookie and its CSRF token), see who is
logged in, log out. The web pages use these; scripts use API tokens."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from tracelot.api.deps import CurrentUser, current_user
from tracelot.api.schemas import Problem
from tracelot.http.keys import csrf_token
from tracelot.http.sessions import SESSION_COOKIE
from tracelot.services.users import SESSION_HOURS

router = APIRouter(tags=["session"])


class Login(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["admin"])
    password: str = Field(min_length=1, max_length=1000)


class SessionPublic(BaseModel):
    user: str
    role: str
    csrf_token: str | None = Field(
        default=None, description="Send as X-CSRF-Token with every change (session only)."
    )
    expires_at: dt.datetime | None = None


@router.post(
    "/session",
    summary="Log in: a session cookie for the web pages, and its CSRF token.",
    responses={429: {"model": Problem, "description": "Too many failed logins: wait."}},
)
def login(request: Request, response: Response, body: Login) -> SessionPublic:
    address = request.client.host if request.client else "unknown"
    made = request.app.state.tracelot.login(body.name, body.password, address=address)
    response.set_cookie(
        SESSION_COOKIE,
        made["token"],
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    csrf = csrf_token(request.app.state.secret, made["token"])
    return SessionPublic(
        user=made["user"], role=made["role"], csrf_token=csrf, expires_at=made["expires_at"]
    )


@router.get("/session", summary="Who is logged in (with the session's CSRF token).")
def whoami(request: Request, user: CurrentUser) -> SessionPublic:
    cookie = request.cookies.get(SESSION_COOKIE)
    csrf = csrf_token(request.app.state.secret, cookie) if cookie else None
    return SessionPublic(user=user.name, role=user.role, csrf_token=csrf)


@router.delete(
    "/session",
    dependencies=[Depends(current_user)],
    status_code=204,
    summary="Log out: the session ends.",
)
def logout(request: Request) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        request.app.state.tracelot.logout(cookie)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response
