"""Labels as print-ready PDF, or ZPL for thermal printers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tracelot.api.deps import DB, allow
from tracelot.api.schemas import Ref

router = APIRouter(tags=["labels"])

ZPL = "application/zpl"


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
    format: Literal["pdf", "zpl"] = Field(
        default="pdf", description="pdf, or zpl for a thermal printer (one label each of size)"
    )
    dpi: Literal[203, 300] = Field(default=203, description="zpl: the printer's resolution")


@router.post(
    "/labels",
    dependencies=[Depends(allow("read"))],
    responses={200: {"content": {"application/pdf": {}, ZPL: {}}}},
    summary="Labels of units, lots and locations, as a PDF or as ZPL.",
)
def labels(db: DB, body: LabelRequest) -> Response:
    if body.format == "zpl":
        return Response(db.label_zpl(body.refs, size=body.size, dpi=body.dpi), media_type=ZPL)
    layout = body.model_dump(exclude={"refs", "format", "dpi"})
    return Response(db.label_pdf(body.refs, **layout), media_type="application/pdf")
