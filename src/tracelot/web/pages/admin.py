"""Administration: users, roles, API tokens and the database's settings (the company's
GS1 prefix that SSCCs are made of)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.domain.values import parse_days
from tracelot.http.sessions import User
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Admin, BadInput, Refused, page

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, user: Admin) -> Response:
    return _admin_page(request, user)


def _admin_page(request: Request, user: User, status: int = 200, **extra: Any) -> Response:
    db = _db(request, user)
    from tracelot.domain.roles import ROLES

    return page(request, user, "admin.html", status=status, users=db.users(), tokens=db.tokens(),
                roles=ROLES, settings=db.settings(),
                **{"error": None, "made": None, "saved": None, **extra})  # fmt: skip


@router.post("/admin", response_class=HTMLResponse)
async def admin_change(request: Request, user: Admin) -> Response:
    """Add a user, change a role, disable a user, create or revoke a token, set a
    setting."""
    form = await request.form()
    action, name = str(form.get("action", "")), str(form.get("name", "")).strip()
    db = _db(request, user)
    made = saved = None
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
        elif action == "set-setting":
            saved = db.set_setting(str(form.get("key", "")), str(form.get("value", "")))
        else:
            raise Refused(f"no such change: {action}")
    except TracelotError as exc:
        return _admin_page(request, user, status=422, error=str(exc))
    return _admin_page(request, user, made=made, saved=saved)
