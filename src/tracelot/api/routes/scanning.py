"""Scans: what a scanned string names, where it is, what is wrong with it."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tracelot.api.deps import DB, allow
from tracelot.api.schemas import ScanRequest, ScanResult

router = APIRouter(tags=["scans"])


@router.post(
    "/scans",
    dependencies=[Depends(allow("scan"))],
    summary="Resolve a scan: a GS1 string, Digital Link, GTIN, label or code.",
)
def resolve_scan(db: DB, body: ScanRequest) -> ScanResult:
    return ScanResult.model_validate(db.identify(body.scan))
