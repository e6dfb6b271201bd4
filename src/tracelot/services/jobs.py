"""Jobs: big work asked for over HTTP (a receipt of many serials, an import of a file, a
verify of the whole ledger), done in the background while the client polls its state.

A job is a row: its kind, who asked, its status (queued, running, done or failed), its
progress (`done` of `total`) and its answer (`result`, JSON) or `error`. The rows are the
state, so any server process answers a poll; each change is its own short transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tracelot.domain.errors import InvalidInput, NotFound
from tracelot.services.ledger import now
from tracelot.store.tables import jobs

KINDS = ("receive", "import", "verify")


def create(conn: Connection, *, user: str, kind: str, total: int = 0) -> dict[str, Any]:
    if kind not in KINDS:
        raise InvalidInput(f"a job is one of {', '.join(KINDS)}, not {kind!r}")
    values = {"kind": kind, "status": "queued", "user_name": user, "created_at": now(),
              "total": total}  # fmt: skip
    job_id = conn.execute(insert(jobs).values(values).returning(jobs.c.id)).scalar_one()
    return show(conn, job_id)


def start(conn: Connection, *, job_id: int) -> None:
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(status="running", started_at=now()))


def progress(conn: Connection, *, job_id: int, done: int, total: int) -> None:
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(done=done, total=total))


def finish(conn: Connection, *, job_id: int, result: Any = None, error: str | None = None) -> None:
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(
            status="failed" if error else "done",
            finished_at=now(),
            result=json.dumps(result, default=str) if result is not None else None,
            error=error,
        )
    )


def show(conn: Connection, job_id: int, *, user: str | None = None) -> dict[str, Any]:
    """A job's state; with `user`, only that user's job (another's is not found)."""
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
    if row is None or (user is not None and row.user_name != user):
        raise NotFound(f"there is no job {job_id}")
    return {
        "job": row.id, "kind": row.kind, "status": row.status, "user": row.user_name,
        "created_at": row.created_at, "started_at": row.started_at,
        "finished_at": row.finished_at, "done": row.done, "total": row.total,
        "result": json.loads(row.result) if row.result else None, "error": row.error,
    }  # fmt: skip
