"""`create_app(settings)`: the FastAPI application. No engine or settings at import time:
the database is opened when the app starts and closed when it stops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

import tracelot
from tracelot.api.deps import refuse_nul
from tracelot.api.keys import load_secret
from tracelot.api.schemas import Problem
from tracelot.domain.errors import TracelotError
from tracelot.store.engine import database_url

PROBLEM = "application/problem+json"
API = "/api/v1"


@dataclass(frozen=True)
class Settings:
    """What the API needs to know: where the database is, and its secret key."""

    database_url: str | None = None  # else $TRACELOT_DATABASE_URL, else ./tracelot.db
    secret_key: str | None = None  # else $TRACELOT_SECRET_KEY, else the secret file
    secret_file: str | None = None  # else $TRACELOT_SECRET_FILE, else ~/.config/tracelot

    @property
    def url(self) -> str:
        return database_url(self.database_url)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.secret = load_secret(settings.secret_key, settings.secret_file)
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
    _document_problems(app)
    from tracelot.api.routes import health

    app.include_router(health.router)
    for router in api_routers():
        app.include_router(router, prefix=API, dependencies=[Depends(refuse_nul)])
    from tracelot.web import pages

    pages.install(app)  # the web pages, on the same users and sessions
    return app


def api_routers() -> list[APIRouter]:
    """The routers under /api/v1, each route guarded by a capability (`deps.allow`)."""
    from tracelot.api.routes import (
        admin,
        control,
        epcis,
        interchange,
        labels,
        operations,
        quality,
        reading,
        scanning,
        session,
        setup,
    )

    modules = (session, setup, reading, operations, scanning, quality, control, labels,
               interchange, epcis, admin)  # fmt: skip
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


PROBLEMS = {
    "400": "The request could not be read.",
    "401": "No valid credentials.",
    "403": "The user's role may not do this.",
    "404": "No such item, location, party, lot, unit or record.",
    "409": "A conflict: not enough stock, already done, or another client was first (retry).",
    "422": "Bad input: nothing was changed.",
}


def problem(
    status: int,
    title: str,
    detail: str,
    code: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An RFC 9457 problem; `extra` members go beside the standard ones."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code}
    body |= extra
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document says what the handlers below send: every refusal of an API
    route is problem+json (FastAPI would say JSON, and 422 only)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schema["components"]["schemas"]["Problem"] = Problem.model_json_schema()
        schema["components"]["schemas"].pop("HTTPValidationError", None)
        schema["components"]["schemas"].pop("ValidationError", None)
        content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path, operations in schema["paths"].items():
            if not path.startswith(API):
                continue
            for operation in operations.values():
                responses = operation["responses"]
                for status in PROBLEMS.keys() | {s for s in responses if s.startswith("4")}:
                    said = responses.get(status, {}).get("description")
                    said = said or PROBLEMS.get(status, "Refused.")
                    responses[status] = {"description": said, "content": content}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problems(app: FastAPI) -> None:
    """Every refusal as RFC 9457 problem+json with tracelot's stable error code."""

    @app.exception_handler(TracelotError)
    async def refused(_: Request, exc: TracelotError) -> JSONResponse:
        title = type(exc).__name__
        wait = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(wait)} if wait is not None else None
        return problem(exc.http_status, title, exc.message, exc.code, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body')}: {e['msg']}" for e in exc.errors()
        )
        return problem(422, "InvalidInput", where or "invalid request", "invalid_input")

    @app.exception_handler(HTTPException)
    async def http(_: Request, exc: HTTPException) -> JSONResponse:
        codes = {
            400: "invalid_input",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "not_allowed",
        }
        code = codes.get(exc.status_code, "error")
        title = code.replace("_", " ").title()
        return problem(exc.status_code, title, str(exc.detail), code, exc.headers)
