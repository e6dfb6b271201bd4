"""`create_app(settings)`: the FastAPI application. No engine or settings at import time:
the database is opened when the app starts and closed when it stops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

import tracelot
from tracelot.domain.errors import TracelotError
from tracelot.store.engine import database_url

PROBLEM = "application/problem+json"
API = "/api/v1"


@dataclass(frozen=True)
class Settings:
    """What the API needs to know: where the database is."""

    database_url: str | None = None  # else $TRACELOT_DATABASE_URL, else ./tracelot.db

    @property
    def url(self) -> str:
        return database_url(self.database_url)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.tracelot = tracelot.connect(settings.url, user="api")
        try:
            yield
        finally:
            app.state.tracelot.close()

    app = FastAPIOffline(  # Swagger UI served from its own package, never from a CDN
        title="tracelot",
        summary="Inventory with serial-number and lot traceability.",
        version=tracelot.__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        static_url="/static/docs",
        lifespan=lifespan,
    )
    _problems(app)
    from tracelot.api.routes import health

    app.include_router(health.router)
    for router in api_routers():
        app.include_router(router, prefix=API)
    return app


def api_routers() -> list[APIRouter]:
    """The routers under /api/v1, each route guarded by a capability (`deps.allow`)."""
    from tracelot.api.routes import admin, labels, operations, quality, reading, scanning, setup

    modules = (setup, reading, operations, scanning, quality, labels, admin)
    return [module.router for module in modules]


def permissions() -> list[tuple[str, str, str]]:
    """(method, path, capability) of every API route: the permission table."""
    table = []
    for router in api_routers():
        for route in router.routes:
            for dependency in getattr(route, "dependencies", []):
                capability = getattr(dependency.dependency, "capability", None)
                if capability is not None:
                    table += [(m, API + route.path, capability) for m in sorted(route.methods)]
    return sorted(table, key=lambda row: (row[1], row[0]))


def problem(status: int, title: str, detail: str, code: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _problems(app: FastAPI) -> None:
    """Every refusal as RFC 9457 problem+json with tracelot's stable error code."""

    @app.exception_handler(TracelotError)
    async def refused(_: Request, exc: TracelotError) -> JSONResponse:
        title = type(exc).__name__
        return problem(exc.http_status, title, exc.message, exc.code)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}" for e in exc.errors()
        )
        return problem(422, "InvalidInput", where or "invalid request", "invalid_input")

    @app.exception_handler(HTTPException)
    async def http(_: Request, exc: HTTPException) -> JSONResponse:
        codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "not_allowed"}
        code = codes.get(exc.status_code, "error")
        return problem(exc.status_code, code.replace("_", " ").title(), str(exc.detail), code)
