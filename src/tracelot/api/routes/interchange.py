"""Spreadsheets over HTTP: importing a CSV or XLSX file (the file is the request body),
exporting items, locations, parties, stock and the ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from tracelot.api.deps import DB, allow, answer
from tracelot.api.listing import DAY_SCHEMA, IsoDay
from tracelot.api.problems import problem
from tracelot.domain.errors import InvalidInput

router = APIRouter(tags=["interchange"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MEDIA = {"csv": "text/csv", "xlsx": XLSX, "json": "application/json"}
MAX_BYTES = 64 * 1024 * 1024


@router.post(
    "/imports/{kind}",
    dependencies=[Depends(allow("admin"))],
    summary="Import a CSV or XLSX file (the request body): checked whole, written whole.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },  # fmt: skip
    responses={422: {"description": "The file has problems (listed): nothing was written."}},
)
async def import_file(
    db: DB,
    request: Request,
    kind: Annotated[str, Path(pattern="^(items|locations|parties|stock)$")],
    dry_run: bool = False,
) -> Any:
    name, data = await uploaded(request, kind)
    summary = await run_in_threadpool(db.import_file, kind, name, data, dry_run=dry_run)
    if summary["problems"]:
        count = len(summary["problems"])
        return _refusal(f"{count} problems in the file: nothing written", summary["problems"])
    return answer(summary, status_code=200 if dry_run else 201)


async def uploaded(request: Request, kind: str) -> tuple[str, bytes]:
    """An import's file: its name as its type says (CSV, or XLSX) and the request's body;
    one larger than MAX_BYTES is refused."""
    data = await request.body()
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES // 2**20} MiB")
    kind_of = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return (f"{kind}.xlsx" if kind_of == XLSX else f"{kind}.csv"), data


def _refusal(detail: str, problems: list[dict[str, Any]]) -> JSONResponse:
    return problem(422, "InvalidInput", detail, "invalid_input", problems=problems)


@router.get(
    "/exports/{kind}",
    dependencies=[Depends(allow("read"))],
    summary="Items, locations, parties, stock (importable) or the ledger as CSV, XLSX or JSON.",
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
def export(
    db: DB,
    kind: Annotated[str, Path(pattern="^(items|locations|parties|stock|ledger)$")],
    format: Annotated[str, Query(pattern="^(csv|xlsx|json)$")] = "csv",  # noqa: A002
    start: Annotated[IsoDay | None, Query(alias="from", json_schema_extra=DAY_SCHEMA)] = None,
    end: Annotated[IsoDay | None, Query(alias="to", json_schema_extra=DAY_SCHEMA)] = None,
) -> Response:
    data = db.export(kind, fmt=format, start=start, end=end)
    return Response(data, media_type=_MEDIA[format])
