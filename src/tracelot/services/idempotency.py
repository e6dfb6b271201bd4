"""Idempotency keys: an operation sent again with the same key gets the first answer,
and is not done twice (a scanner that retries after a timeout)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, select

from tracelot.domain.errors import InvalidInput
from tracelot.services.ledger import now
from tracelot.store.tables import idempotency_keys


def answered(conn: Connection, user_id: int, key: str, digest: str) -> tuple[int, Any] | None:
    """The status and body already given for this key, if any (for the same request)."""
    row = conn.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_digest != digest:
        raise InvalidInput(f"Idempotency-Key {key!r} was used for another request")
    return row.status, json.loads(row.response)


def remember(conn: Connection, user_id: int, key: str, digest: str, status: int, body: Any) -> None:
    """Keep the answer, in the transaction of the operation: a second request with the key
    that races the first fails on the key's row and changes nothing."""
    if not key or len(key) > 200:
        raise InvalidInput("an Idempotency-Key has 1 to 200 characters")
    conn.execute(
        insert(idempotency_keys).values(
            user_id=user_id,
            key=key,
            request_digest=digest,
            status=status,
            response=json.dumps(body),
            created_at=now(),
        )
    )
