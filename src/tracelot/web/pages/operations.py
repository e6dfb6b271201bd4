"""Operations by form: the scan-first lists (receive, move, ship, build), and the
one-reference forms (return, return to a supplier, scrap, count)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from tracelot.app import Tracelot
from tracelot.domain.errors import NotAvailable, TracelotError
from tracelot.http.sessions import User, request_digest
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import SCAN_FORMS, BadInput, Missing, Operator, page

MAX_SCANS = 500  # scans on one list


MAX_FIELD = 2000  # characters in a field of a one-reference form


# a longer scan is answered in the list (refused, in words); past this, the form is refused
MAX_SCAN_FORM = 100_000


router = APIRouter(include_in_schema=False)


def _scan_form(mode: str) -> tuple[str, str, str]:
    if mode not in SCAN_FORMS:
        raise Missing(f"no such form: {mode}")
    return SCAN_FORMS[mode]


@router.get("/scan/{mode}", response_class=HTMLResponse)
def scan_page(request: Request, user: Operator, mode: str) -> Response:
    title, _, where = _scan_form(mode)
    return page(request, user, "scan.html", mode=mode, title=title, where=where, batch=[],
                scans=[], error=None, done=None, target="", to="", reference="",
                supplier="", po=request.query_params.get("po", "")[:12], outcome="",
                scan=request.query_params.get("scan", "")[:MAX_FIELD],
                once=secrets.token_urlsafe(16))  # fmt: skip


@router.post("/scan/{mode}", response_class=HTMLResponse)
def scan_step(
    request: Request,
    user: Operator,
    mode: str,
    scans: Annotated[list[str], Form()] = [],  # noqa: B006
    scan: Annotated[str, Form(max_length=MAX_SCAN_FORM)] = "",
    action: Annotated[str, Form(pattern="^(add|undo|commit|clear)$")] = "add",
    to: Annotated[str, Form(max_length=200)] = "",
    target: Annotated[str, Form(max_length=200)] = "",
    once: Annotated[str, Form(max_length=64)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
    supplier: Annotated[str, Form(max_length=64)] = "",
    po: Annotated[str, Form(max_length=12, pattern=r"^\s*\d*\s*$")] = "",
) -> Response:
    """One step of a scan-first form: add a scan (refused with its reason, the list
    kept), undo the last one, or commit the list as one operation. A commit sent again
    (a double click, a reload, a retry after a dropped connection) is answered as the first
    time and done once: the form's key (`once`) stays while the list is unchanged."""
    title, _, where = _scan_form(mode)
    if any(len(text) > MAX_FIELD for text in scans):
        raise BadInput(f"a scan holds at most {MAX_FIELD} characters")
    db = _db(request, user)
    error, done = None, None
    sent = list(scans)
    extra = {"reference": reference.strip(), "supplier": supplier.strip(), "po": po.strip()}
    if action == "commit":
        try:
            done = _commit(request, user, db, mode, scans, to, target, once, **extra)
            scans = []
        except TracelotError as exc:
            error = str(exc)
    elif action == "clear":
        scans = []
    elif action == "undo":
        scans = scans[:-1]
    elif action == "add" and len(scan) > MAX_FIELD:
        error = f"a scan holds at most {MAX_FIELD} characters, not {len(scan):,}: not added"
    elif action == "add" and scan.strip():
        if len(scans) >= MAX_SCANS:
            error = f"a list holds at most {MAX_SCANS} scans: commit these first"
        else:
            scans = [*scans, scan.strip()]
    found = db.scan_rebuild(mode, scans)
    dropped = found.dropped
    if action == "add" and dropped and dropped[-1][0] == scan.strip() and scan.strip():
        error = f"{scan.strip()}: {dropped.pop()[1]}"  # the new scan, refused
    if dropped:  # earlier scans that no longer stand (shipped meanwhile ...), said and dropped
        said = "; ".join(f"{text}: {why}" for text, why in dropped)
        error = f"{said}; {error}" if error else said
    name = "scan_list.html" if request.headers.get("HX-Request") else "scan.html"
    outcome = "refused" if error else ("accepted" if action == "add" and scan.strip() else "")
    bom = _bill(db, target) if mode == "consume-into" else None
    # the same list keeps its key (a commit retried is booked once); a changed list, a new one
    kept = once if once and not done and list(found.scans) == sent else secrets.token_urlsafe(16)
    return page(request, user, name, mode=mode, title=title, where=where, batch=found.batch,
                scans=found.scans, error=error, done=done, target=target, to=to,
                outcome=outcome, once=kept, bom=bom, **extra)  # fmt: skip


def _bill(db: Tracelot, target: str) -> dict[str, Any] | None:
    """The bill of materials of what is built (ITEM:SERIAL), per its latest build."""
    item = target.strip().split(":", 1)[0]
    return db.bill_of_materials(item) if item else None


def _commit(request: Request, user: User, db: Tracelot, mode: str, scans: list[str],
            to: str, target: str, once: str, *, reference: str = "", supplier: str = "",
            po: str = "") -> list[dict[str, Any]]:  # fmt: skip
    """The list as one operation, done once per form (`once`, through the API's
    idempotency keys). A scan that no longer stands refuses the commit: the page shows the
    list as it now is, to look at and commit again."""

    def commit(t: Tracelot) -> list[dict[str, Any]]:
        found = t.scan_rebuild(mode, scans)
        if found.dropped:
            said = "; ".join(f"{text}: {why}" for text, why in found.dropped)
            raise NotAvailable(f"{said}: nothing was done; look at the list and commit again")
        done = t.scan_commit(mode, found.batch, to=to or None, target=target or None,
                             reference=reference or None, supplier=supplier or None,
                             po=int(po) if po else None)  # fmt: skip
        return [{"kind": r.kind, "id": r.id} for r in done]

    body = {"mode": mode, "scans": scans, "to": to, "target": target}
    if reference or supplier or po:  # a key is the same request: these are part of it
        body |= {"reference": reference, "supplier": supplier, "po": po}
    digest = request_digest("POST", request.url.path, body)
    _, answer = db.once(user.id, f"web:{once}" if once else None, digest, 201, commit)
    return answer


SINGLE_FORMS = {
    "return": ("Return from a customer", ["ref", "customer", "to", "qty"]),
    "return-to-supplier": (
        "Return to a supplier",
        ["ref", "supplier", "qty", "from", "reason", "reference"],
    ),
    "scrap": ("Scrap", ["ref", "reason", "qty", "from"]),
    "adjust": ("Count (adjust the stock)", ["item", "lot", "at", "counted"]),
}


@router.get("/do/{kind}", response_class=HTMLResponse)
def single_form(request: Request, user: Operator, kind: str) -> Response:
    if kind not in SINGLE_FORMS:
        raise Missing(f"no such form: {kind}")
    title, fields = SINGLE_FORMS[kind]
    # a page's button (a unit's Scrap ...) names the reference: the form starts with it
    values = {f: request.query_params[f][:MAX_FIELD] for f in fields if f in request.query_params}
    return page(request, user, "single.html", kind=kind, title=title, fields=fields,
                values=values, error=None, done=None)  # fmt: skip


@router.post("/do/{kind}", response_class=HTMLResponse)
async def single_operation(request: Request, user: Operator, kind: str) -> Response:
    """Return, send back to a supplier, scrap or count one unit, lot or item (its
    reference scanned or typed)."""
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
        elif kind == "return-to-supplier":
            done = db.return_to_supplier(
                got["ref"] or "", to=got["supplier"] or "", qty=got["qty"], from_=got["from"],
                reason=got["reason"], reference=got["reference"],
            )  # fmt: skip
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
