"""Refusing inactive master data in new operations (issue 19): the ledger asks here as
it writes an operation and its lines. Corrections (voids, counts) pass: they put the
ledger right about what happened, whatever has been retired since."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, select

from tracelot.domain.errors import NotAvailable
from tracelot.services.lookup import find_location, item_by_id, location_by_id
from tracelot.store.bulk import id_in
from tracelot.store.engine import OneRow, cache
from tracelot.store.tables import items, locations, parties, users

#: operations that correct the ledger rather than start something new: they may name
#: inactive master data (a void of a receipt of an item since retired, a count's finds)
CORRECTIONS = frozenset({"void", "count"})
#: up to this many items an operation's lines are checked from the items' rows (read once
#: and kept for the transaction); more are asked in one statement
_FEW_ITEMS = 8
# statements built once (every operation asks them), read straight from the driver on SQLite
_USER = OneRow(
    select(users.c.disabled, users.c.inactive_reason).where(users.c.name == bindparam("name"))
)
_SHARE_LOCATIONS = (
    select(locations.c.code, locations.c.active, locations.c.inactive_reason)
    .where(locations.c.code.in_(bindparam("codes", expanding=True)))
    .order_by(locations.c.id)
    .with_for_update(read=True)
)
_PARTY = OneRow(
    select(parties.c.code, parties.c.active, parties.c.inactive_reason).where(
        parties.c.id == bindparam("id")
    )
)


def _inactive(entity: str, code: str, reason: str | None, how: str) -> NotAvailable:
    why = f" ({reason})" if reason else ""
    return NotAvailable(
        f"{entity} {code} is inactive{why}: reactivate it (`tracelot {how} reactivate "
        f"{code}`) to use it in a new operation",
        code="inactive",
    )


def refuse_inactive_operation(
    conn: Connection, kind: str, *, user: str, party_id: int | None
) -> None:
    """Refuse a new operation by an inactive (disabled) user, or naming an inactive
    party; corrections (voids, counts) pass."""
    if kind in CORRECTIONS:
        return
    found = cache(conn)
    disabled = found.users_checked.get(user)
    if disabled is None:
        row = _USER.first(conn, {"name": user})
        disabled = found.users_checked[user] = (
            (bool(row[0]), row[1]) if row is not None else (False, None)
        )
    if disabled[0]:
        raise NotAvailable(
            f"user {user} is deactivated{f' ({disabled[1]})' if disabled[1] else ''}: "
            "an admin reactivates them with `tracelot user reactivate`",
            code="inactive",
        )
    if party_id is not None:
        party = _PARTY.first(conn, {"id": party_id})
        if party is not None and not party[1]:
            raise _inactive("party", party[0], party[2], "party")


def refuse_inactive_lines(
    conn: Connection, kind: str | None, item_ids: Sequence[int], location_ids: Sequence[int]
) -> None:
    """Refuse ledger lines of a new operation that name an inactive item, or take stock
    to an inactive location (or one below an inactive location)."""
    if kind in CORRECTIONS:
        return
    ids = sorted(set(item_ids))
    found = cache(conn)
    if len(ids) > _FEW_ITEMS and any(found.item_by_id(i) is None for i in ids):
        # a long order's items: the first inactive one asked of the database, not every
        # item's row read to look at it
        first = conn.execute(
            select(items.c.code, items.c.inactive_reason)
            .where(id_in(conn, items.c.id, ids), ~items.c.active)
            .order_by(items.c.id).limit(1)
        ).first()  # fmt: skip
        if first is not None:
            raise _inactive("item", first.code, first.inactive_reason, "item")
    else:
        for item_id in ids:
            item = item_by_id(conn, item_id)
            if not item.active:
                raise _inactive("item", item.code, item.inactive_reason, "item")
    paths = set()
    for location_id in sorted(set(location_ids)):
        location = location_by_id(conn, location_id)
        if location.virtual:
            continue
        paths.update(location.path.split("/"))
        for code in reversed(location.path.split("/")):
            above = location if code == location.code else find_location(conn, code)
            if above is not None and not above.active:
                raise _inactive("location", above.code, above.inactive_reason, "location")
    if paths and conn.dialect.name == "postgresql":
        _share_locations(conn, sorted(paths))


def _share_locations(conn: Connection, codes: list[str]) -> None:
    """On PostgreSQL, hold the destinations (and what is above them) in share mode till
    the operation commits: a deactivation, which updates the location first and then
    looks for stock below it, waits for this operation and then sees its stock; one
    that came first is seen here, read afresh. (SQLite has one writer at a time.)"""
    for row in conn.execute(_SHARE_LOCATIONS, {"codes": codes}):
        if not row.active:
            raise _inactive("location", row.code, row.inactive_reason, "location")
