"""Labels of units, lots and locations, as a PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from tracelot.domain.errors import TracelotError
from tracelot.http.sessions import acting_database as _db  # as the logged-in user
from tracelot.web.pages.common import Reader, page

router = APIRouter(include_in_schema=False)


@router.get("/labels", response_class=HTMLResponse)
def labels_page(request: Request, user: Reader, refs: str = "") -> Response:
    return page(request, user, "labels.html", refs=refs, error=None)


@router.post("/labels")
def labels(
    request: Request,
    user: Reader,
    refs: Annotated[str, Form(max_length=100_000)],
    layout: Annotated[str, Form(pattern="^(single|sheet)$")] = "single",
    size: Annotated[str, Form(max_length=20)] = "50x25mm",
) -> Response:
    """Labels of the units, lots and locations named (or scanned), as a PDF."""
    names = [r for r in refs.replace(",", " ").split() if r]
    try:
        pdf = _db(request, user).label_pdf(names, layout=layout, size=size)
    except TracelotError as exc:
        return page(request, user, "labels.html", status=422, refs=refs, error=str(exc))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="labels.pdf"'})  # fmt: skip
