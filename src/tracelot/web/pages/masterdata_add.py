"""Adding master data in the browser (issue 21): an item, a location or a party, for the
roles that keep master data (`master_data`, as the API). Editing and retiring them are
the forms of `masterdata` (issue 19). Each add goes to the change log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.status import Tracking
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import BadInput, Missing, page
from tracelot.web.pages.masterdata import KINDS, Keeper

router = APIRouter(include_in_schema=False)

#: each kind's form: (field, label, input type, choices, required)
FIELDS: dict[str, list[tuple[str, str, str, list[str] | None, bool]]] = {
    "items": [
        ("code", "Code", "text", None, True), ("name", "Name", "text", None, True),
        ("tracking", "Tracking", "select", [t.value for t in Tracking], True),
        ("gtin", "GTIN (optional)", "text", None, False),
        ("uom", "Unit of measure", "text", None, False),
        ("cost", "Standard cost", "text", None, False),
        ("category", "Category", "text", None, False),
    ],
    "locations": [
        ("code", "Code", "text", None, True), ("name", "Name", "text", None, False),
        ("parent", "Parent (empty: top level)", "text", None, False),
        ("kind", "Kind", "select", KINDS, True), ("gln", "GLN (optional)", "text", None, False),
    ],
    "parties": [
        ("code", "Code", "text", None, True), ("name", "Name", "text", None, True),
        ("kind", "Kind", "select", ["customer", "supplier"], True),
        ("contact_name", "Contact", "text", None, False),
        ("email", "Email", "email", None, False), ("phone", "Phone", "text", None, False),
        ("address", "Address", "text", None, False),
    ],
}  # fmt: skip
TITLES = {"items": "item", "locations": "location", "parties": "party"}
MAX_TEXT = 1000


def _shown(request: Request, user: Any, plural: str, values: dict[str, str],
           error: str | None = None) -> Response:  # fmt: skip
    return page(request, user, "masterdata_add.html", status=422 if error else 200,
                plural=plural, entity=TITLES[plural], fields=FIELDS[plural], values=values,
                error=error)  # fmt: skip


@router.get("/add/{plural}", response_class=HTMLResponse)
def add_page(request: Request, user: Keeper, plural: str) -> Response:
    if plural not in FIELDS:
        raise Missing("no such form")
    return _shown(request, user, plural, {})


@router.post("/add/{plural}", response_class=HTMLResponse)
async def add(request: Request, user: Keeper, plural: str) -> Response:
    """Add the item, location or party; its page follows (the form again, with the reason
    it was refused, and nothing added)."""
    if plural not in FIELDS:
        raise Missing("no such form")
    form = await request.form()
    values = {f: str(form.get(f, "")).strip() for f, *_ in FIELDS[plural]}
    if any(len(v) > MAX_TEXT for v in values.values()):
        raise BadInput(f"a field holds at most {MAX_TEXT} characters")
    given = {k: v for k, v in values.items() if v and k != "code"}
    db = _db(request, user)
    code = values["code"]
    try:
        if plural == "items":
            db.add_item(code, name=given.pop("name", ""), tracking=given.pop("tracking", ""),
                        **given)  # fmt: skip
            where = f"/items/{code}"
        elif plural == "locations":
            db.add_location(code, **given)
            where = f"/locations/{code}"
        else:
            db.add_party(code, name=given.pop("name", ""), kind=given.pop("kind", ""), **given)
            where = f"/parties?q={code}"
    except TracelotError as exc:
        return _shown(request, user, plural, values, error=str(exc))
    return RedirectResponse(where, status_code=303)
