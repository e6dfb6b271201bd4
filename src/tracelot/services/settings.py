"""Database-wide settings (`tracelot settings set KEY VALUE`): the company's GS1 prefix,
the extension digit of its SSCCs, the currency. Settings of one installation rather than
of its data (SMTP, printers) come from the environment instead (CONVENTIONS)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from tracelot.domain.sscc import SETTINGS, check_setting
from tracelot.services.ledger import now
from tracelot.store.engine import cache
from tracelot.store.tables import settings

_MEMO = "tracelot.settings"
_ALL = select(settings.c.key, settings.c.value)  # built once: every operation may ask


def get(conn: Connection, key: str) -> str | None:
    """A setting's value, or None when it is not set: every setting is read once per
    transaction (a pack reads the prefix and the extension digit for each case)."""
    current = cache(conn)
    memo = conn.info.get(_MEMO)
    if memo is None or memo[0] is not current:
        memo = (current, dict(conn.execute(_ALL).all()))
        conn.info[_MEMO] = memo
    return memo[1].get(key)


def show(conn: Connection) -> list[dict[str, Any]]:
    """Every setting tracelot knows, set or not, by key."""
    found = {r.key: r for r in conn.execute(select(settings))}
    return [
        {
            "key": key,
            "value": found[key].value if key in found else None,
            "description": SETTINGS[key],
            "user": found[key].user_name if key in found else None,
            "at": found[key].at if key in found else None,
        }
        for key in sorted(SETTINGS)
    ]


def set_(conn: Connection, *, key: str, value: str, user: str) -> dict[str, Any]:
    """Set a setting (checked for its key); answers the setting as `show` lists it."""
    key = (key or "").strip()
    checked = check_setting(key, value)
    at = now()
    done = conn.execute(
        update(settings)
        .where(settings.c.key == key)
        .values(value=checked, user_name=user, at=at)
    ).rowcount  # fmt: skip
    if not done:
        conn.execute(insert(settings).values(key=key, value=checked, user_name=user, at=at))
    conn.info.pop(_MEMO, None)
    return next(row for row in show(conn) if row["key"] == key)
