"""Labels as print-ready PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tracelot.api.deps import DB, allow
from tracelot.api.schemas import Ref

router = APIRouter(tags=["labels"])


#: labels in one request's PDF (each is drawn: 10,000 took longer than a client waits)
MAX_LABELS = 1000


class LabelRequest(BaseModel):
    refs: Annotated[list[Ref], Field(max_length=MAX_LABELS)] = Field(
        examples=[["PCB:SN0001", "CELL@L1", "A1"]]
    )
    layout: str = Field(default="single", description="single or sheet")
    size: str = "50x25mm"
    paper: str = Field(default="a4", description="a4 or letter")
    rows: int = Field(default=8, ge=1, le=50)
    cols: int = Field(default=3, ge=1, le=20)


@router.post(
    "/labels",
    dependencies=[Depends(allow("read"))],
    responses={200: {"content": {"application/pdf": {}}}},
    summary="Labels of units, lots and locations, as a PDF.",
)
def labels(db: DB, body: LabelRequest) -> Response:
    layout = body.model_dump(exclude={"refs"})
    return Response(db.label_pdf(body.refs, **layout), media_type="application/pdf")
