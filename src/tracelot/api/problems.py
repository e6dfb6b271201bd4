"""Every refusal of an API route as RFC 9457 problem+json with tracelot's stable error
code (`problem`), and the OpenAPI document saying so. Routes that build a problem of their
own (a document's list of problems) import `problem` from here."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from tracelot.api.schemas import Problem
from tracelot.domain.errors import TracelotError

PROBLEM = "application/problem+json"
API = "/api/v1"


PROBLEMS = {
    "400": "The request could not be read.",
    "401": "No valid credentials.",
    "403": "The user's role may not do this.",
    "404": "No such item, location, party, lot, unit or record.",
    "409": "A conflict: not enough stock, already done, or another client was first (retry).",
    "413": "The request body is larger than its limit (named in `detail`).",
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


def document(app: FastAPI) -> None:
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


def install(app: FastAPI) -> None:
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
    async def http(request: Request, exc: HTTPException) -> JSONResponse:
        codes = {
            400: "invalid_input",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "not_allowed",
            413: "too_large",
        }
        code = codes.get(exc.status_code, "error")
        title = code.replace("_", " ").title()
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem(exc.status_code, title, str(exc.detail), code, headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at the request's path (Starlette names only those of
    the first route there: GET /items and POST /items are two routes). Each method is
    asked of the routes as a request of it would be."""
    allowed = []
    for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed
