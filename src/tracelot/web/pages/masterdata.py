"""Editing master data (issue 19): a form to change an item, a location or a party, and
to deactivate or reactivate it, for the roles that keep master data (`master_data`, as
the API). Every change goes to the change log, which the item's page shows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import InvalidInput, TracelotError
from tracelot.domain.status import USER_LOCATION_KINDS
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Reader, allowed, page

router = APIRouter(include_in_schema=False)
Keeper = Annotated[User, Depends(allowed("master_data"))]
Code = Annotated[str, FastPath(max_length=64)]
Text = Annotated[str, Form(max_length=1000)]
ENTITIES = {"items": "item", "locations": "location", "parties": "party"}
KINDS = [k.value for k in USER_LOCATION_KINDS]

#: each kind's form: (field, label, input type, choices)
FIELDS: dict[str, list[tuple[str, str, str, list[str] | None]]] = {
    "item": [
        ("name", "Name", "text", None), ("uom", "Unit of measure", "text", None),
        ("shelf_life_days", "Shelf life (days)", "number", None),
        ("cost", "Standard cost", "text", None), ("category", "Category", "text", None),
        ("gtin", "GTIN (empty: none)", "text", None),
    ],
    "location": [
        ("name", "Name", "text", None), ("parent", "Parent (empty: top level)", "text", None),
        ("kind", "Kind", "select", KINDS), ("gln", "GLN (empty: none)", "text", None),
        ("pick_sequence", "Pick sequence", "number", None),
    ],
    "party": [
        ("name", "Name", "text", None), ("contact_name", "Contact", "text", None),
        ("email", "Email", "email", None), ("phone", "Phone", "text", None),
        ("address", "Address", "text", None),
    ],
}  # fmt: skip


def _current(request: Request, user: User, entity: str, code: str) -> dict[str, Any]:
    db = _db(request, user)
    if entity == "item":
        return db.item(code)
    if entity == "location":
        found = [r for r in db.locations() if r["location"] == code]
    else:
        found = [r for r in db.parties() if r["party"] == code]
    if not found:
        raise InvalidInput(f"unknown {entity} {code!r}")
    return found[0]


def _form(request: Request, user: User, plural: str, code: str, *, error: str | None = None,
          given: dict[str, str] | None = None) -> Response:  # fmt: skip
    entity = ENTITIES[plural]
    try:
        shown = _current(request, user, entity, code)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    values = {f: "" if shown.get(f) is None else str(shown.get(f)) for f, *_ in FIELDS[entity]}
    values.update(given or {})
    return page(request, user, "masterdata_edit.html", status=422 if error else 200,
                plural=plural, entity=entity, code=code, shown=shown, fields=FIELDS[entity],
                values=values, error=error)  # fmt: skip


@router.get("/{plural}/{code}/edit", response_class=HTMLResponse)
def edit_page(request: Request, user: Keeper, plural: str, code: Code) -> Response:
    if plural not in ENTITIES:
        return page(request, user, "error.html", status=404, message="no such page")
    return _form(request, user, plural, code)


def _changed(entity: str, shown: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """What the form changes: the fields whose text differs from what is shown."""
    changed: dict[str, Any] = {}
    for field, _, kind, _ in FIELDS[entity]:
        given = form.get(field, "").strip()
        before = "" if shown.get(field) is None else str(shown.get(field))
        if given == before:
            continue
        if kind == "number":
            if not given.isdigit():
                raise InvalidInput(f"{field.replace('_', ' ')} must be a whole number")
            changed[field] = int(given)
        else:
            changed[field] = given
    return changed


@router.post("/{plural}/{code}/edit", response_class=HTMLResponse)
async def edit(request: Request, user: Keeper, plural: str, code: Code) -> Response:
    if plural not in ENTITIES:
        return page(request, user, "error.html", status=404, message="no such page")
    entity = ENTITIES[plural]
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    given = {f: form.get(f, "") for f, *_ in FIELDS[entity]}
    db = _db(request, user)
    try:
        changed = _changed(entity, _current(request, user, entity, code), form)
        if not changed:
            raise InvalidInput("nothing to change")
        if entity == "item":
            db.set_item(code, **changed)
        elif entity == "location":
            db.set_location(code, **changed)
        else:
            db.set_party(code, **changed)
    except TracelotError as exc:
        return _form(request, user, plural, code, error=str(exc), given=given)
    target = f"/items/{code}" if entity == "item" else f"/{plural}/{code}/edit"
    return RedirectResponse(target, status_code=303)


@router.post("/{plural}/{code}/deactivate", response_class=HTMLResponse)
def deactivate(request: Request, user: Keeper, plural: str, code: Code,
               reason: Text = "") -> Response:  # fmt: skip
    if plural not in ENTITIES:
        return page(request, user, "error.html", status=404, message="no such page")
    try:
        _db(request, user).deactivate(ENTITIES[plural], code, reason=reason)
    except TracelotError as exc:
        return _form(request, user, plural, code, error=str(exc))
    return RedirectResponse(f"/{plural}/{code}/edit", status_code=303)


@router.post("/{plural}/{code}/reactivate", response_class=HTMLResponse)
def reactivate(request: Request, user: Keeper, plural: str, code: Code) -> Response:
    if plural not in ENTITIES:
        return page(request, user, "error.html", status=404, message="no such page")
    try:
        _db(request, user).reactivate(ENTITIES[plural], code)
    except TracelotError as exc:
        return _form(request, user, plural, code, error=str(exc))
    return RedirectResponse(f"/{plural}/{code}/edit", status_code=303)


@router.get("/changes", response_class=HTMLResponse)
def changes_page(
    request: Request,
    user: Reader,
    item: Annotated[str | None, Query(max_length=200)] = None,
    location: Annotated[str | None, Query(max_length=200)] = None,
    party: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The change log of master data, newest first (of one item, location or party)."""
    try:
        rows = _db(request, user).changes(item=item, location=location, party=party)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    return page(request, user, "changes.html", rows=rows[::-1][:1000],
                named=item or location or party)  # fmt: skip
