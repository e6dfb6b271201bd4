"""Logging in and out: the session cookie, set by a login from tracelot's own page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import TooManyAttempts, Unauthenticated
from tracelot.http.sessions import SESSION_COOKIE
from tracelot.services.users import SESSION_HOURS
from tracelot.web.pages.common import BadInput, Reader, Refused, page

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:  # noqa: A002
    return page(request, None, "login.html", next=_local(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise Refused("log in from tracelot's own login page")  # no login forced by another site
    if "\x00" in name + password:
        raise BadInput("text cannot contain NUL (0x00) characters")
    address = request.client.host if request.client else "unknown"
    try:
        made = request.app.state.tracelot.login(name, password, address=address)
    except (Unauthenticated, TooManyAttempts) as exc:
        return page(request, None, "login.html", status=401, next=_local(next), error=str(exc))
    response = RedirectResponse(_local(next), status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, made["token"], max_age=SESSION_HOURS * 3600,
                        httponly=True, samesite="lax", secure=secure)  # fmt: skip
    return response


@router.post("/logout")
def logout(request: Request, user: Reader) -> Response:
    request.app.state.tracelot.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response


def _local(target: str) -> str:
    """Only a path of this site to go to after logging in (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"
