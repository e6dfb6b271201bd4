"""The floor of the `api` section: a bare FastAPI app with one endpoint that does one indexed
SELECT (a unit by item and serial, the unique index of `units`) on a tracelot database.

No authentication, no ledger, no idempotency: what any endpoint on this machine costs in
uvicorn, FastAPI, a pooled SQLAlchemy connection and one round trip to the database. Served
the way `tracelot serve` is (uvicorn, the same workers and log level) by `bench/api_load.py`:

    FLOOR_DATABASE_URL=URL python -m uvicorn floor_app:create --factory --app-dir bench \
        --port P --workers 2
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import create_engine, text

ITEM = os.environ.get("FLOOR_ITEM", "PART")
UNIT = text("SELECT id, location_id FROM units WHERE item_id = :item_id AND serial = :serial")


class Lookup(BaseModel):
    serial: str


def create() -> FastAPI:
    """The app; the engine (SQLAlchemy's default pool) is made when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(os.environ["FLOOR_DATABASE_URL"])
        with engine.connect() as conn:
            app.state.item_id = conn.execute(
                text("SELECT id FROM items WHERE code = :code"), {"code": ITEM}
            ).scalar_one()
        app.state.engine = engine
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/unit")
    def unit(body: Lookup, request: Request) -> dict[str, Any]:
        params = {"item_id": request.app.state.item_id, "serial": body.serial}
        with request.app.state.engine.connect() as conn:
            row = conn.execute(UNIT, params).first()
        if row is None:
            raise HTTPException(404, f"no unit {body.serial}")
        return {"id": row.id, "serial": body.serial, "location_id": row.location_id}

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app
