"""What every page shares: the templates and their filters, the menu, the signed-in
user and the role a page needs (`Reader`, `Operator`, ...), `page()` to render, and the
error pages (`install_errors`)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from tracelot.domain.commands import HTTP_MAX_REFS
from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.domain.values import format_qty
from tracelot.http.keys import csrf_token
from tracelot.http.sessions import CSRF_HEADER, SAFE_METHODS, User, csrf_matches, session_of

HERE = Path(__file__).parent.parent  # web/


templates = Jinja2Templates(directory=HERE / "templates")


def _number(value: Any) -> str:
    """A quantity as people write it: 12, 2.5 (exact, without trailing zeros)."""
    return "" if value is None else format_qty(value)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value or "")


def _cell(value: Any) -> str:
    """A report's cell: numbers exact, times to the minute, yes or no, lists joined, a
    component as ITEM × QTY."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if hasattr(value, "hour"):
        return _when(value)
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict) and {"item", "qty"} <= value.keys():  # a make's component
        return f"{value['item']} × {_cell(value['qty'])}"
    return str(value)


templates.env.filters["num"] = _number


templates.env.filters["when"] = _when


templates.env.filters["cell"] = _cell


#: the scan-first forms: what the list becomes, who may use it, what else it asks
SCAN_FORMS = {
    "receive": ("Receive", "operate", "Received into (location)"),
    "move-to": ("Move", "operate", "Move to (location)"),
    "ship-to": ("Ship", "operate", "Ship to (customer)"),
    "consume-into": ("Build", "operate", "Built at (location)"),
}


#: the menu: (path, label, capability)
MENU = [
    ("/", "Dashboard", "read"),
    ("/items", "Items", "read"),
    ("/stock", "Stock", "read"),
    ("/trace", "Trace", "read"),
    ("/recalls", "Recalls", "read"),
    ("/inspections", "Inspect", "inspect"),  # issue 19
    ("/transfers", "Transfers", "read"),  # issue 19
    ("/reports", "Reports", "read"),
    *((f"/scan/{mode}", label, cap) for mode, (label, cap, _) in SCAN_FORMS.items()),
    ("/do/return", "Return", "operate"),
    ("/do/return-to-supplier", "To supplier", "operate"),
    ("/do/scrap", "Scrap", "operate"),
    ("/do/adjust", "Count", "operate"),
    ("/locations", "Locations", "read"),
    ("/parties", "Parties", "read"),
    ("/labels", "Labels", "read"),
    ("/admin", "Admin", "admin"),
]
# purchase orders (issue 21)
MENU.insert(
    MENU.index(("/reports", "Reports", "read")), ("/purchase-orders", "Purchase orders", "read")
)
# stock counts (issue 19)
MENU.insert(MENU.index(("/recalls", "Recalls", "read")) + 1, ("/counts", "Counts", "read"))
# cases and pallets (issue 20)
MENU.insert(MENU.index(("/transfers", "Transfers", "read")) + 1, ("/sscc", "Cases", "read"))


class LoginRequired(Exception):
    """No valid session: the page sends the user to log in."""


class Refused(Exception):
    """The user's role may not use this page."""


class Missing(Exception):
    """No such page (a report, a form)."""


#: characters of scans in one form
MAX_TEXT = 200_000


def scan_lines(text: str) -> list[str]:
    """The scans or references a form's box holds, one a line (a scanner's Enter ends
    each), at most as many as one request takes."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > HTTP_MAX_REFS:
        raise BadInput(f"at most {HTTP_MAX_REFS:,} scans in one form")
    return lines


class BadInput(Exception):
    """Input a page refuses before it reaches a service (NUL characters, too long)."""


def _user(request: Request) -> User:
    """The logged-in user; a change must carry the session's CSRF token (a header from
    htmx, or the form's `csrf` field), else it is refused."""
    found = session_of(request)
    if found is None:
        raise LoginRequired
    row, cookie = found
    request.state.csrf = csrf_token(request.app.state.secret, cookie)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or request.state.form_csrf
        if not csrf_matches(request, cookie, str(sent)):
            raise Refused("this form is out of date: load the page again")
    return User(row.id, row.name, row.role)


async def _read_form(request: Request) -> None:
    """Read the form once (its CSRF token for `_user`); refuse NUL characters anywhere,
    alike on every database (PostgreSQL's text cannot hold one)."""
    request.state.form_csrf = ""
    values = [request.url.path, *request.query_params.values()]
    if request.method not in SAFE_METHODS:
        form = await request.form()
        request.state.form_csrf = str(form.get("csrf", ""))
        values += [v for v in form.values() if isinstance(v, str)]
    if any("\x00" in v for v in values):
        raise BadInput("text cannot contain NUL (0x00) characters")


def allowed(capability: str):  # noqa: ANN202
    async def check(request: Request) -> User:
        await _read_form(request)
        user = _user(request)
        if not may(user.role, capability):
            raise Refused(f"your role ({user.role}) may not use this page")
        return user

    return check


Reader = Annotated[User, Depends(allowed("read"))]


Operator = Annotated[User, Depends(allowed("operate"))]


Quality = Annotated[User, Depends(allowed("quality"))]


Admin = Annotated[User, Depends(allowed("admin"))]


Inspector = Annotated[User, Depends(allowed("inspect"))]


def page(request: Request, user: User | None, template: str, status: int = 200, **context: Any):  # noqa: ANN201
    """A page (or, for htmx asking for part of one, the partial template)."""
    menu = [(path, label) for path, label, cap in MENU if user and may(user.role, cap)]
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "menu": menu,
            "csrf": getattr(request.state, "csrf", ""),
            "can": lambda capability: bool(user and may(user.role, capability)),
            **context,
        },  # fmt: skip
        status_code=status,
    )


_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')


def _attributes(declarations: str) -> str:
    """CSS declarations (`fill: #fff; stroke-width: 0.8`) as SVG presentation attributes."""
    pairs = (d.split(":", 1) for d in declarations.split(";") if ":" in d)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def inline_svg(svg: str) -> str:
    """An SVG document as markup to put in a page (without its XML prologue). Its styles
    become presentation attributes: the pages' Content-Security-Policy allows no inline
    style (matplotlib writes `style="..."` and a `<style>` of defaults for all)."""
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    defaults = "".join(re.findall(r"\*\s*\{([^}]*)\}", " ".join(_STYLE_ELEMENT.findall(svg))))
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _STYLE_ATTRIBUTE.sub(lambda m: _attributes(m[1]), svg)
    if defaults:
        svg = svg.replace("<svg", "<svg" + _attributes(defaults), 1)
    return svg


def install_errors(app: Any) -> None:
    """The error pages: a page refused, missing or given bad input answers with a page
    (a login needed, with the login page); the API's paths keep the API's answers."""

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("HX-Request"):  # back to the page it came from after the login
            came = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = f"/login?next={quote(came.path)}" if came.path.startswith("/") else "/login"
            return Response(status_code=401, headers={"HX-Redirect": back})
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    async def error_page(request: Request, status: int, message: str) -> Response:
        found = session_of(request)
        user = User(found[0].id, found[0].name, found[0].role) if found else None
        return page(request, user, "error.html", status=status, message=message)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return await error_page(request, 403, str(exc))

    @app.exception_handler(Missing)
    async def missing(request: Request, exc: Missing) -> Response:
        return await error_page(request, 404, str(exc))

    @app.exception_handler(BadInput)
    async def bad(request: Request, exc: BadInput) -> Response:
        return await error_page(request, 422, str(exc))

    # the API answers problem+json; the pages answer pages
    for kind in (RequestValidationError, TracelotError, HTTPException, StarletteHTTPException):
        api_handler = app.exception_handlers.get(kind)
        if api_handler is None:
            continue

        async def either(request: Request, exc: Exception, api_handler=api_handler) -> Response:
            if request.url.path.startswith(("/api/", "/docs", "/static/", "/healthz", "/readyz")):
                return await api_handler(request, exc)
            status = getattr(exc, "status_code", None) or getattr(exc, "status", None)
            if isinstance(exc, RequestValidationError):
                status, message = 422, "the form or the address is not what this page takes"
            elif isinstance(exc, TracelotError):
                status, message = exc.http_status, exc.message
            else:
                message = str(getattr(exc, "detail", "")) or "no such page"
            return await error_page(request, int(status or 400), message)

        app.add_exception_handler(kind, either)
