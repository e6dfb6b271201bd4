"""Jobs: big work asked for over HTTP (a receipt of many serials, an import of a file, a
verify of the whole ledger) done in the background; the answer is 202 with the job, and
the client polls `GET /jobs/{id}` for its progress and its answer or refusal. A receipt
is done in parts of 50,000 serials, each its own transaction, so that other clients'
operations are answered between them."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field

from tracelot.api.deps import DB, allow, answer
from tracelot.api.routes.interchange import XLSX, uploaded
from tracelot.api.schemas import ReceiveRequest
from tracelot.app import Tracelot
from tracelot.domain.commands import JOB_MAX_SERIALS, Receive, from_fields
from tracelot.domain.errors import InvalidInput
from tracelot.domain.serials import count_serials
from tracelot.services.ledger import Progress

router = APIRouter(prefix="/jobs", tags=["jobs"])
JobId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ReceiveJobRequest(ReceiveRequest):
    """A receipt's body, with up to JOB_MAX_SERIALS serials."""

    serials: (
        Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=JOB_MAX_SERIALS)]
        | Annotated[str, Field(max_length=JOB_MAX_SERIALS * 65)]
        | None
    ) = Field(default=None, examples=["SN0000001..SN1000000"])


def _runner(request: Request) -> ThreadPoolExecutor:
    """The server's one job thread: jobs run one after another, beside the requests."""
    state = request.app.state
    if getattr(state, "jobs", None) is None:
        state.jobs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracelot-job")
    return state.jobs


def _start(request: Request, db: Tracelot, kind: str, total: int,
           work: Callable[[Progress], Any]) -> JSONResponse:  # fmt: skip
    job = db.job_create(kind, total=total)
    _runner(request).submit(db.job_run, job["job"], work)
    url = f"/api/v1/jobs/{job['job']}"
    return JSONResponse(jsonable_encoder({**job, "url": url}), status_code=202,
                        headers={"Location": url})  # fmt: skip


@router.post(
    "/receive",
    dependencies=[Depends(allow("operate"))],
    status_code=202,
    summary="Receive many serials as a job: in parts of 50,000, each its own transaction.",
)
def receive(db: DB, request: Request, body: ReceiveJobRequest) -> JSONResponse:
    if body.serials is not None and count_serials(body.serials) > JOB_MAX_SERIALS:
        raise InvalidInput(f"at most {JOB_MAX_SERIALS:,} serials in one job")
    command = from_fields(Receive, dict(body))  # checked before the job is made

    def work(progress: Progress) -> dict[str, Any]:
        done = db.receive_in_parts(command, progress=progress)
        return {"operations": [r.id for r in done], "received": len(command.serials or ())}

    return _start(request, db, "receive", len(command.serials or ()) or 1, work)


@router.post(
    "/imports/{kind}",
    dependencies=[Depends(allow("admin"))],
    status_code=202,
    summary="Import a CSV or XLSX file (the request body) as a job: checked whole, written whole.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },  # fmt: skip
)
async def import_file(
    db: DB,
    request: Request,
    kind: Annotated[str, Path(pattern="^(items|locations|parties|stock)$")],
) -> JSONResponse:
    name, data = await uploaded(request, kind)

    def work(progress: Progress) -> dict[str, Any]:
        summary = db.import_file(kind, name, data)
        if summary["problems"]:  # nothing was written: the problems are the answer
            raise InvalidInput(f"{len(summary['problems'])} problems in the file: nothing "
                               f"written ({summary['problems'][0]})")  # fmt: skip
        progress(summary["rows"], summary["rows"])
        return summary

    return _start(request, db, "import", 0, work)


@router.post(
    "/verify",
    dependencies=[Depends(allow("quality"))],
    status_code=202,
    summary="Replay the ledger against the projections, as a job (a large database).",
)
def verify(db: DB, request: Request) -> JSONResponse:
    return _start(request, db, "verify", 1, lambda progress: db.verify().to_dict())


@router.get(
    "/{job_id:int}",  # an int: "verify" and the others are not a job
    dependencies=[Depends(allow("read"))],
    summary="A job's state: queued, running (done of total), done (its result) or failed.",
)
def job(db: DB, job_id: JobId) -> JSONResponse:
    """Any user may follow any job, as any user may read the ledger it writes."""
    return answer(db.job(job_id, anyone=True))
