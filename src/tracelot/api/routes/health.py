"""Liveness and readiness, open without credentials."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tracelot.api.schemas import Health
from tracelot.domain.errors import TracelotError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up.")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="The database is reachable and its schema is current.",
    responses={503: {"model": Health}},
)
def readyz(request: Request) -> Health:
    try:
        request.app.state.tracelot.check_schema()
    except TracelotError as exc:
        return JSONResponse({"status": "unavailable", "detail": exc.message}, status_code=503)  # type: ignore[return-value]
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is "not ready"
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)  # type: ignore[return-value]
    return Health(status="ready")
