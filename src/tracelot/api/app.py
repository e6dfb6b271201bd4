"""`create_api(lifespan)`: the FastAPI application with the API's routes under /api/v1,
its OpenAPI document and docs, and its refusals as problem+json. `tracelot.server`
builds it (with the database and secret key its lifespan opens) and adds the web pages."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi_offline import FastAPIOffline

import tracelot
from tracelot.api import problems
from tracelot.api.deps import refuse_nul
from tracelot.api.problems import API

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def create_api(lifespan: Lifespan | None = None) -> FastAPI:
    """The API on an application of its own (the web pages are added by the caller)."""
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
    problems.install(app)
    problems.document(app)
    from tracelot.api.routes import health

    app.include_router(health.router)
    for router in api_routers():
        app.include_router(router, prefix=API, dependencies=[Depends(refuse_nul)])
    return app


def api_routers() -> list[APIRouter]:
    """The routers under /api/v1, each route guarded by a capability (`deps.allow`)."""
    from tracelot.api.routes import (
        admin,
        control,
        counts,
        epcis,
        flow,
        interchange,
        jobs,
        labels,
        masterdata,
        operations,
        orders,
        packing,
        packs,
        quality,
        reading,
        scanning,
        session,
        setup,
        voids,
    )

    modules = (session, setup, reading, operations, scanning, quality, control, labels,
               interchange, jobs, epcis, admin, voids, counts, flow, masterdata,
               orders, packing)  # fmt: skip
    modules += (packs,)  # issue 20: units of measure and pack sizes
    return [module.router for module in modules]


def permissions() -> list[tuple[str, str, str]]:
    """(method, path, capability) of every API route: the permission table."""
    table = []
    for router in api_routers():
        for route in router.routes:
            for dependency in getattr(route, "dependencies", []):
                capability = getattr(dependency.dependency, "capability", None)
                if capability is not None:
                    path = API + route.path_format  # without convertors such as :int
                    table += [(m, path, capability) for m in sorted(route.methods)]
    return sorted(table, key=lambda row: (row[1], row[0]))
