"""The web pages: server-rendered (Jinja2), made quicker by htmx where it is there, and
usable without it (every form posts and gets a whole page). They call the same
`Tracelot` as the API and the command line, as the logged-in user; the session is the
API's (a cookie and its CSRF token), and the role decides what a page shows and what
the server does: a page or a button a role may not use is not shown, and is refused.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi import Path as FastPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from tracelot.api.deps import (
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    User,
    csrf_matches,
    request_digest,
    session_of,
)
from tracelot.api.deps import acting_database as _db  # as the logged-in user
from tracelot.api.keys import csrf_token
from tracelot.app import Tracelot
from tracelot.domain.errors import NotAvailable, TooManyAttempts, TracelotError, Unauthenticated
from tracelot.domain.roles import may
from tracelot.domain.values import parse_days
from tracelot.services import charts
from tracelot.services.trace_graph import trace_graph
from tracelot.services.users import SESSION_HOURS

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def _number(value: Any) -> str:
    """A quantity as people write it: 12, 2.5 (exact, without trailing zeros)."""
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value or "")


def _cell(value: Any) -> str:
    """A report's cell: numbers exact, times to the minute, yes or no, lists joined."""
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
    return str(value)


templates.env.filters["num"] = _number
templates.env.filters["when"] = _when
templates.env.filters["cell"] = _cell
router = APIRouter(include_in_schema=False)

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
    ("/reports", "Reports", "read"),
    *((f"/scan/{mode}", label, cap) for mode, (label, cap, _) in SCAN_FORMS.items()),
    ("/do/return", "Return", "operate"),
    ("/do/scrap", "Scrap", "operate"),
    ("/do/adjust", "Count", "operate"),
    ("/locations", "Locations", "read"),
    ("/parties", "Parties", "read"),
    ("/labels", "Labels", "read"),
    ("/admin", "Admin", "admin"),
]


class LoginRequired(Exception):
    """No valid session: the page sends the user to log in."""


class Refused(Exception):
    """The user's role may not use this page."""


class Missing(Exception):
    """No such page (a report, a form)."""


class BadInput(Exception):
    """Input a page refuses before it reaches a service (NUL characters, too long)."""


MAX_SCANS = 500  # scans on one list
DASHBOARD_SECONDS = 60  # the dashboard's report figures are at most this old
MAX_FIELD = 2000  # characters in a field of a one-reference form
RecallId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]


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


def _allowed(capability: str):  # noqa: ANN202
    async def check(request: Request) -> User:
        await _read_form(request)
        user = _user(request)
        if not may(user.role, capability):
            raise Refused(f"your role ({user.role}) may not use this page")
        return user

    return check


Reader = Annotated[User, Depends(_allowed("read"))]
Operator = Annotated[User, Depends(_allowed("operate"))]


def page(request: Request, user: User | None, template: str, status: int = 200, **context: Any):  # noqa: ANN201
    """A page (or, for htmx asking for part of one, the partial template)."""
    menu = [(path, label) for path, label, cap in MENU if user and may(user.role, cap)]
    return templates.TemplateResponse(
        request,
        template,
        {"user": user, "menu": menu, "csrf": getattr(request.state, "csrf", ""), **context},
        status_code=status,
    )


def install(app: Any) -> None:
    """Add the pages, their static files and their error pages to the app."""
    from fastapi.staticfiles import StaticFiles

    app.include_router(router)
    app.mount("/assets", StaticFiles(directory=HERE / "static"), name="assets")

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
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


# -- logging in -----------------------------------------------------------------------


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


# -- reading --------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: Reader, fresh: bool = False) -> Response:
    """The figures of the reports (at most `DASHBOARD_SECONDS` old: on a large ledger
    they take seconds), and what just happened (always current)."""
    db = _db(request, user)
    kept = getattr(request.app.state, "dashboard", None)
    if fresh or kept is None or time.monotonic() - kept[0] > DASHBOARD_SECONDS:
        turnover = db.turnover()
        figures = {
            "value": db.valuation()["total"],
            "turnover": turnover,
            "due": [r for r in db.reorder()["rows"] if r.get("due")],
            "expiring": db.expiring(within_days=30),
            "chart": _inline_svg(charts.turnover_chart(turnover, top=10, fmt="svg").decode()),
            "values": _inline_svg(charts.value_chart(db.value_by_day(days=90), fmt="svg").decode()),
            "as_of": dt.datetime.now(dt.UTC),
        }
        request.app.state.dashboard = kept = (time.monotonic(), figures)
    return page(
        request, user, "dashboard.html", **kept[1],
        holds=db.holds(), recalls=[r for r in db.recalls() if r["status"] == "open"],
        recent=db.recent_operations(limit=12),
    )  # fmt: skip


def _page_of(node: Any) -> str:
    """The page of a trace's node: a unit's, a lot's, or an item's."""
    item = quote(node.item, safe="")
    if node.serial is not None:
        return f"/units/{item}/{quote(node.serial, safe='')}"
    if node.lot is not None:
        return f"/lots/{item}/{quote(node.lot, safe='')}"
    return f"/items/{item}"


def _picture(result: Any) -> str:
    """A trace's genealogy graph as inline SVG, each node a link to its page."""
    return _inline_svg(trace_graph(result, link=_page_of).pipe(format="svg").decode())


def _inline_svg(svg: str) -> str:
    """An SVG document as markup to put in a page (without its XML prologue)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


@router.get("/items", response_class=HTMLResponse)
def items(
    request: Request,
    user: Reader,
    q: Annotated[str, Query(max_length=100)] = "",
    sort: Annotated[str, Query(pattern="^(code|name|tracking|category)$")] = "code",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    rows = _db(request, user).items()
    if q:
        needle = q.lower()
        rows = [r for r in rows if needle in r["item"].lower() or needle in r["name"].lower()]
    rows.sort(key=lambda r: str(r.get("item" if sort == "code" else sort) or ""))
    return page(request, user, "items.html", rows=rows[offset : offset + limit], total=len(rows),
                q=q, sort=sort, offset=offset, limit=limit)  # fmt: skip


@router.get("/items/{code}", response_class=HTMLResponse)
def item(request: Request, user: Reader, code: str) -> Response:
    db = _db(request, user)
    try:
        found = db.item(code)
        stock = db.stock(item=code)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    return page(request, user, "item.html", item=found, stock=stock)


@router.get("/units/{item}/{serial}", response_class=HTMLResponse)
def unit(request: Request, user: Reader, item: str, serial: str) -> Response:
    return _thing(request, user, f"{item}:{serial}")


@router.get("/lots/{item}/{lot}", response_class=HTMLResponse)
def lot(request: Request, user: Reader, item: str, lot: str) -> Response:
    return _thing(request, user, f"{item}@{lot}")


def _thing(request: Request, user: User, ref: str) -> Response:
    """A unit's or lot's page: where it is, its status and holds, its history, and its
    genealogy both ways as pictures."""
    db = _db(request, user)
    try:
        places = db.where(ref)
        history = db.history(ref)
        backward, forward = db.trace_backward(ref), db.trace_forward(ref)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    pictures = {
        name: _picture(result)
        for name, result in (("backward", backward), ("forward", forward))
        if any(root.children for root in result.roots)
    }
    return page(request, user, "thing.html", ref=ref, places=places, history=history,
                backward=backward.to_dict(), forward=forward.to_dict(),
                pictures=pictures)  # fmt: skip


@router.get("/trace", response_class=HTMLResponse)
def trace(
    request: Request,
    user: Reader,
    ref: Annotated[str, Query(max_length=500)] = "",
    direction: Annotated[str, Query(pattern="^(forward|backward)$")] = "forward",
) -> Response:
    result, picture, error = None, None, None
    if ref:
        db = _db(request, user)
        try:
            found = db.trace_forward(ref) if direction == "forward" else db.trace_backward(ref)
        except TracelotError as exc:
            error = str(exc)
        else:
            result = found.to_dict()
            picture = _picture(found)
    return page(request, user, "trace.html", ref=ref, direction=direction, result=result,
                picture=picture, error=error)  # fmt: skip


# -- scan-first forms -------------------------------------------------------------------


def _scan_form(mode: str) -> tuple[str, str, str]:
    if mode not in SCAN_FORMS:
        raise Missing(f"no such form: {mode}")
    return SCAN_FORMS[mode]


@router.get("/scan/{mode}", response_class=HTMLResponse)
def scan_page(request: Request, user: Operator, mode: str) -> Response:
    title, _, where = _scan_form(mode)
    return page(request, user, "scan.html", mode=mode, title=title, where=where, batch=[],
                scans=[], error=None, done=None, target="", to="",
                once=secrets.token_urlsafe(16))  # fmt: skip


@router.post("/scan/{mode}", response_class=HTMLResponse)
def scan_step(
    request: Request,
    user: Operator,
    mode: str,
    scans: Annotated[list[str], Form()] = [],  # noqa: B006
    scan: Annotated[str, Form(max_length=2000)] = "",
    action: Annotated[str, Form(pattern="^(add|undo|commit|clear)$")] = "add",
    to: Annotated[str, Form(max_length=200)] = "",
    target: Annotated[str, Form(max_length=200)] = "",
    once: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """One step of a scan-first form: add a scan (refused with its reason, the list
    kept), undo the last one, or commit the list as one operation. A commit sent again
    (a double click, a reload) is answered as the first time and done once."""
    title, _, where = _scan_form(mode)
    if any(len(text) > MAX_FIELD for text in scans):
        raise BadInput(f"a scan holds at most {MAX_FIELD} characters")
    db = _db(request, user)
    error, done = None, None
    if action == "commit":
        try:
            done = _commit(request, user, db, mode, scans, to, target, once)
            scans = []
        except TracelotError as exc:
            error = str(exc)
    elif action == "clear":
        scans = []
    elif action == "undo":
        scans = scans[:-1]
    elif action == "add" and scan.strip():
        if len(scans) >= MAX_SCANS:
            error = f"a list holds at most {MAX_SCANS} scans: commit these first"
        else:
            scans = [*scans, scan.strip()]
    found = db.scan_rebuild(mode, scans)
    dropped = found.dropped
    if action == "add" and scan.strip() and dropped and dropped[-1][0] == scan.strip():
        error = f"{scan.strip()}: {dropped.pop()[1]}"  # the new scan, refused
    if dropped:  # earlier scans that no longer stand (shipped meanwhile ...), said and dropped
        said = "; ".join(f"{text}: {why}" for text, why in dropped)
        error = f"{said}; {error}" if error else said
    name = "scan_list.html" if request.headers.get("HX-Request") else "scan.html"
    return page(request, user, name, mode=mode, title=title, where=where, batch=found.batch,
                scans=found.scans, error=error, done=done, target=target, to=to,
                once=secrets.token_urlsafe(16))  # fmt: skip


def _commit(request: Request, user: User, db: Tracelot, mode: str, scans: list[str],
            to: str, target: str, once: str) -> list[dict[str, Any]]:  # fmt: skip
    """The list as one operation, done once per form (`once`, through the API's
    idempotency keys). A scan that no longer stands refuses the commit: the page shows the
    list as it now is, to look at and commit again."""

    def commit(t: Tracelot) -> list[dict[str, Any]]:
        found = t.scan_rebuild(mode, scans)
        if found.dropped:
            said = "; ".join(f"{text}: {why}" for text, why in found.dropped)
            raise NotAvailable(f"{said}: nothing was done; look at the list and commit again")
        done = t.scan_commit(mode, found.batch, to=to or None, target=target or None)
        return [{"kind": r.kind, "id": r.id} for r in done]

    body = {"mode": mode, "scans": scans, "to": to, "target": target}
    digest = request_digest("POST", request.url.path, body)
    _, answer = db.once(user.id, f"web:{once}" if once else None, digest, 201, commit)
    return answer


# -- recalls ----------------------------------------------------------------------------

Quality = Annotated[User, Depends(_allowed("quality"))]
DISPOSITIONS = ("located", "returned", "reworked", "scrapped", "cleared")


def _scope(kind: str, refs: str, supplier: str, supplier_lot: str, item: str, serials: str,
           made_from: str, made_to: str) -> dict[str, Any]:  # fmt: skip
    """A recall's scope from the wizard's fields (one kind of scope at a time)."""
    if kind == "refs":
        return {"refs": [r for r in refs.replace(",", " ").split() if r]}
    if kind == "supplier-lot":
        return {"supplier": supplier or None, "supplier_lot": supplier_lot or None}
    if kind == "serials":
        return {"item": item or None, "serials": serials or None}
    return {"item": item or None, "made_between": (made_from, made_to)}


@router.get("/recalls", response_class=HTMLResponse)
def recalls(request: Request, user: Reader) -> Response:
    return page(request, user, "recalls.html", rows=_db(request, user).recalls(),
                may_open=may(user.role, "quality"))  # fmt: skip


@router.get("/recalls/new", response_class=HTMLResponse)
def recall_wizard(request: Request, user: Quality) -> Response:
    return page(request, user, "recall_new.html", form={"kind": "refs"}, preview=None, error=None)


@router.post("/recalls/new", response_class=HTMLResponse)
def recall_wizard_step(
    request: Request,
    user: Quality,
    reason: Annotated[str, Form(max_length=2000)] = "",
    kind: Annotated[str, Form(pattern="^(refs|supplier-lot|serials|made)$")] = "refs",
    refs: Annotated[str, Form(max_length=20_000)] = "",
    supplier: Annotated[str, Form(max_length=64)] = "",
    supplier_lot: Annotated[str, Form(max_length=64)] = "",
    item: Annotated[str, Form(max_length=64)] = "",
    serials: Annotated[str, Form(max_length=2000)] = "",
    made_from: Annotated[str, Form(max_length=10)] = "",
    made_to: Annotated[str, Form(max_length=10)] = "",
    quarantine: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(pattern="^(preview|open)$")] = "preview",
) -> Response:
    """Choose a scope, preview what it reaches (counts, customers), then open it."""
    form = {"reason": reason, "kind": kind, "refs": refs, "supplier": supplier,
            "supplier_lot": supplier_lot, "item": item, "serials": serials,
            "made_from": made_from, "made_to": made_to, "quarantine": quarantine}  # fmt: skip
    scope = _scope(kind, refs, supplier, supplier_lot, item, serials, made_from, made_to)
    db = _db(request, user)
    try:
        if action == "open":
            opened = db.recall_open(reason=reason, quarantine=quarantine or None, **scope)
            return RedirectResponse(f"/recalls/{opened['recall']}", status_code=303)
        shown = db.recall_preview(quarantine=quarantine or None, **scope)
    except TracelotError as exc:
        return page(request, user, "recall_new.html", status=422, form=form, preview=None,
                    error=str(exc))  # fmt: skip
    return page(request, user, "recall_new.html", form=form, preview=shown, error=None)


@router.get("/recalls/{recall_id}", response_class=HTMLResponse)
def recall_page(request: Request, user: Reader, recall_id: RecallId) -> Response:
    try:
        shown = _db(request, user).recall(recall_id)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    return page(request, user, "recall.html", recall=shown, dispositions=DISPOSITIONS,
                may_mark=may(user.role, "quality"), error=None)  # fmt: skip


@router.post("/recalls/{recall_id}/mark", response_class=HTMLResponse)
def recall_mark(
    request: Request,
    user: Quality,
    recall_id: RecallId,
    ref: Annotated[str, Form(max_length=200)],
    disposition: Annotated[str, Form(max_length=16)],
) -> Response:
    db = _db(request, user)
    try:
        db.recall_mark(recall_id, ref, disposition=disposition)
    except TracelotError as exc:
        shown = db.recall(recall_id)  # an unknown recall: its error page
        return page(request, user, "recall.html", status=422, recall=shown,
                    dispositions=DISPOSITIONS, may_mark=True, error=str(exc))  # fmt: skip
    return RedirectResponse(f"/recalls/{recall_id}", status_code=303)


# -- reports ----------------------------------------------------------------------------

REPORTS = ("turnover", "reorder", "expiring", "excess", "abc")
EXPIRING_DAYS = 60  # the expiring report looks this far ahead (and so does its CSV)


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, user: Reader) -> Response:
    return RedirectResponse("/reports/turnover", status_code=303)


@router.get("/reports/{name}", response_class=HTMLResponse)
def report(request: Request, user: Reader, name: str) -> Response:
    """A report as a table, with its chart where it has one, and its CSV to download."""
    if name not in REPORTS:
        raise Missing(f"no such report: {name}")
    db = _db(request, user)
    chart = None
    if name == "turnover":
        found = db.turnover()
        chart = charts.turnover_chart(found, top=15, fmt="svg")
    elif name == "reorder":
        found = db.reorder()
    elif name == "expiring":
        found = db.expiring(within_days=EXPIRING_DAYS)
        if found["rows"]:
            chart = charts.expiry_calendar(found, fmt="svg")
    elif name == "excess":
        found = db.excess()
    else:
        found = db.abc()
        if found["rows"]:
            chart = charts.abc_chart(found, fmt="svg")
    return _report_page(request, user, name, found, chart)


@router.post("/reports/reorder/purchase-orders", response_class=HTMLResponse)
def draft_orders(request: Request, user: Annotated[User, Depends(_allowed("plan"))]) -> Response:
    """Draft purchase orders from the reorder suggestions (one per supplier)."""
    found = _db(request, user).reorder(create_po=True)
    return _report_page(request, user, "reorder", found, None, created=found.get("created"))


def _report_page(request: Request, user: User, name: str, found: dict[str, Any],
                 chart: bytes | None, created: Any = None) -> Response:  # fmt: skip
    rows = found["rows"]
    columns = [c for c in (rows[0].keys() if rows else []) if not c.endswith("_name")]
    csv = f"/api/v1/reports/{name}?format=csv" + (
        f"&within_days={EXPIRING_DAYS}" if name == "expiring" else ""
    )
    return page(request, user, "report.html", name=name, reports=REPORTS, rows=rows,
                columns=columns, chart=_inline_svg(chart.decode()) if chart else None,
                may_plan=may(user.role, "plan"), created=created, csv=csv)  # fmt: skip


# -- locations, parties, labels -----------------------------------------------------------


@router.get("/locations", response_class=HTMLResponse)
def locations(
    request: Request, user: Reader, q: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    """The location tree (a search keeps the matches and the branches above them)."""
    rows = sorted(_db(request, user).locations(), key=lambda r: r["location_path"])
    if q:
        needle = q.lower()
        hits = [
            r["location_path"] for r in rows if needle in (r["location"] + " " + r["name"]).lower()
        ]
        rows = [r for r in rows if any(_within(hit, r["location_path"]) for hit in hits)]
    return page(request, user, "locations.html", rows=rows, q=q)


def _within(path: str, branch: str) -> bool:
    return path == branch or path.startswith(branch + "/")


@router.get("/locations/{code}", response_class=HTMLResponse)
def location(request: Request, user: Reader, code: Annotated[str, FastPath(max_length=64)]):  # noqa: ANN201
    """What is at a location: its stock, by item and lot."""
    return stock(request, user, location=code)


@router.get("/parties", response_class=HTMLResponse)
def parties(
    request: Request,
    user: Reader,
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[str, Query(pattern="^(|supplier|customer)$")] = "",
) -> Response:
    rows = _db(request, user).parties(kind=kind or None)
    if q:
        rows = [r for r in rows if q.lower() in (r["party"] + " " + r["name"]).lower()]
    return page(request, user, "parties.html", rows=rows, q=q, kind=kind)


@router.get("/labels", response_class=HTMLResponse)
def labels_page(request: Request, user: Reader, refs: str = "") -> Response:
    return page(request, user, "labels.html", refs=refs, error=None)


@router.post("/labels")
def labels(
    request: Request,
    user: Reader,
    refs: Annotated[str, Form(max_length=100_000)],
    layout: Annotated[str, Form(pattern="^(single|sheet)$")] = "single",
    size: Annotated[str, Form(max_length=20)] = "50x25mm",
) -> Response:
    """Labels of the units, lots and locations named (or scanned), as a PDF."""
    names = [r for r in refs.replace(",", " ").split() if r]
    try:
        pdf = _db(request, user).label_pdf(names, layout=layout, size=size)
    except TracelotError as exc:
        return page(request, user, "labels.html", status=422, refs=refs, error=str(exc))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="labels.pdf"'})  # fmt: skip


# -- one-reference operations: return, scrap, count ------------------------------------------

SINGLE_FORMS = {
    "return": ("Return from a customer", ["ref", "customer", "to", "qty"]),
    "scrap": ("Scrap", ["ref", "reason", "qty", "from"]),
    "adjust": ("Count (adjust the stock)", ["item", "lot", "at", "counted"]),
}


@router.get("/do/{kind}", response_class=HTMLResponse)
def single_form(request: Request, user: Operator, kind: str) -> Response:
    if kind not in SINGLE_FORMS:
        raise Missing(f"no such form: {kind}")
    title, fields = SINGLE_FORMS[kind]
    return page(request, user, "single.html", kind=kind, title=title, fields=fields, values={},
                error=None, done=None)  # fmt: skip


@router.post("/do/{kind}", response_class=HTMLResponse)
async def single_operation(request: Request, user: Operator, kind: str) -> Response:
    """Return, scrap or count one unit, lot or item (its reference scanned or typed)."""
    if kind not in SINGLE_FORMS:
        raise Missing(f"no such form: {kind}")
    title, fields = SINGLE_FORMS[kind]
    form = await request.form()
    values = {f: str(form.get(f, "")).strip() for f in fields}
    if any(len(v) > MAX_FIELD for v in values.values()):
        raise BadInput(f"a field holds at most {MAX_FIELD} characters")
    db = _db(request, user)
    got = {k: v or None for k, v in values.items()}
    try:
        if kind == "return":
            done = db.return_(got["ref"] or "", from_customer=got["customer"] or "",
                              to=got["to"] or "", qty=got["qty"])  # fmt: skip
        elif kind == "scrap":
            done = db.scrap(got["ref"] or "", reason=got["reason"] or "", qty=got["qty"],
                            from_=got["from"])  # fmt: skip
        else:
            done = db.adjust(got["item"] or "", at_location=got["at"] or "",
                             counted=got["counted"] or "", lot=got["lot"])  # fmt: skip
    except TracelotError as exc:
        return page(request, user, "single.html", status=422, kind=kind, title=title,
                    fields=fields, values=values, error=str(exc), done=None)  # fmt: skip
    return page(request, user, "single.html", kind=kind, title=title, fields=fields, values={},
                error=None, done=done or "the count matched: nothing to record")  # fmt: skip


# -- admin: users and tokens --------------------------------------------------------------

Admin = Annotated[User, Depends(_allowed("admin"))]


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, user: Admin) -> Response:
    return _admin_page(request, user)


def _admin_page(request: Request, user: User, status: int = 200, **extra: Any) -> Response:
    db = _db(request, user)
    from tracelot.domain.roles import ROLES

    return page(request, user, "admin.html", status=status, users=db.users(), tokens=db.tokens(),
                roles=ROLES, **{"error": None, "made": None, **extra})  # fmt: skip


@router.post("/admin", response_class=HTMLResponse)
async def admin_change(request: Request, user: Admin) -> Response:
    """Add a user, change a role, disable a user, create or revoke a token."""
    form = await request.form()
    action, name = str(form.get("action", "")), str(form.get("name", "")).strip()
    db = _db(request, user)
    made = None
    try:
        if action == "add-user":
            db.add_user(name, role=str(form.get("role", "viewer")),
                        password=str(form.get("password") or "") or None)  # fmt: skip
        elif action == "set-role":
            db.set_role(name, str(form.get("role", "")))
        elif action == "disable":
            db.disable_user(name)
        elif action == "create-token":
            days = str(form.get("expires_days") or "").strip()
            expires = parse_days(days, what="expiry") if days else None
            label = str(form.get("token_name") or "")[:200] or None
            made = db.create_token(name, name=label, expires_days=expires)
        elif action == "revoke-token":
            token_id = str(form.get("token_id", ""))
            if not (token_id.isascii() and token_id.isdecimal() and len(token_id) < 10):
                raise BadInput(f"no token {token_id!r}")
            db.revoke_token(int(token_id))
        else:
            raise Refused(f"no such change: {action}")
    except TracelotError as exc:
        return _admin_page(request, user, status=422, error=str(exc))
    return _admin_page(request, user, made=made)


@router.get("/stock", response_class=HTMLResponse)
def stock(
    request: Request,
    user: Reader,
    item: Annotated[str, Query(max_length=64)] = "",
    location: Annotated[str, Query(max_length=64)] = "",
    lot: Annotated[str, Query(max_length=64)] = "",
    units: bool = False,
    sort: Annotated[str, Query(pattern="^(item|location|lot|expires|qty)$")] = "item",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Stock on hand, by lot and location or unit by unit: the lots and units, each a
    link to its page; sortable (expiry first-expiring first)."""
    error, rows = None, []
    try:
        rows = _db(request, user).stock(item=item or None, location=location or None,
                                        lot=lot or None, serials=units)  # fmt: skip
    except TracelotError as exc:
        error = str(exc)
    column = {"location": "location_path"}.get(sort, sort)
    rows.sort(key=lambda r: (r.get(column) is None, r.get(column) or 0 if sort == "qty"
                             else str(r.get(column) or "")))  # fmt: skip
    return page(request, user, "stock.html", rows=rows[offset : offset + limit], total=len(rows),
                sort=sort,
                item=item, location=location, lot=lot, units=units, offset=offset, limit=limit,
                error=error)  # fmt: skip
