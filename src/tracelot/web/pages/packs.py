"""An item's packaging levels on its page (issue 20): the packs, a form to add one, and a
button to remove one, for the roles that keep master data (`master_data`, as the API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as FastPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.roles import may
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Reader, allowed, page

router = APIRouter(include_in_schema=False)
Keeper = Annotated[User, Depends(allowed("master_data"))]
Code = Annotated[str, FastPath(max_length=64)]
Field = Annotated[str, Form(max_length=100)]


def _page(request: Request, user: User, code: str, *, error: str | None = None,
          given: dict[str, str] | None = None) -> Response:  # fmt: skip
    db = _db(request, user)
    try:
        item = db.item(code)
        packs = db.packs(code)
    except TracelotError as exc:
        return page(request, user, "error.html", status=404, message=str(exc))
    return page(request, user, "packs.html", status=422 if error else 200, item=item,
                packs=packs, error=error, given=given or {},
                may_edit=may(user.role, "master_data"))  # fmt: skip


@router.get("/items/{code}/packs", response_class=HTMLResponse)
def packs_page(request: Request, user: Reader, code: Code) -> Response:
    """An item's packs, largest first, and the form to add one."""
    return _page(request, user, code)


@router.post("/items/{code}/packs", response_class=HTMLResponse)
def add_pack(request: Request, user: Keeper, code: Code, name: Field = "", qty: Field = "",
             of: Field = "", gtin: Field = "") -> Response:  # fmt: skip
    """Add a pack; back to the item's page, or the form again with why it was refused."""
    try:
        _db(request, user).pack_add(code, name=name, qty=qty.strip(), of=of.strip() or None,
                                    gtin=gtin.strip() or None)  # fmt: skip
    except TracelotError as exc:
        given = {"name": name, "qty": qty, "of": of, "gtin": gtin}
        return _page(request, user, code, error=str(exc), given=given)
    return RedirectResponse(f"/items/{code}", status_code=303)


@router.post("/items/{code}/packs/{name}/remove", response_class=HTMLResponse)
def remove_pack(request: Request, user: Keeper, code: Code,
                name: Annotated[str, FastPath(max_length=32)]) -> Response:  # fmt: skip
    """Remove a pack (refused while an order line is in it)."""
    try:
        _db(request, user).pack_remove(code, name)
    except TracelotError as exc:
        return _page(request, user, code, error=str(exc))
    return RedirectResponse(f"/items/{code}", status_code=303)
