"""What services return: plain data that the CLI, the API and scripts render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class OpLine:
    """Lines of an operation grouped by item, lot, from and to; units list their serials."""

    item: str
    lot: str | None
    from_location: str
    to_location: str
    qty: Decimal
    serials: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "item": self.item,
            "lot": self.lot,
            "from": self.from_location,
            "to": self.to_location,
            "qty": self.qty,
        }
        if self.serials:
            out["serials"] = self.serials
        return out


@dataclass
class OperationResult:
    id: int
    kind: str
    occurred_at: dt.datetime
    user: str
    reference: str | None
    party: str | None
    lines: list[OpLine]
    note: str | None = None
    outputs: list[str] = field(default_factory=list)
    # corrections (services/voids.py): a void names the operation it voids; an operation
    # voided names its void (and why), when shown by itself
    voids: int | None = None
    voided_by: int | None = None
    void_reason: str | None = None
    # a shipment against a sales order names it (issue 20)
    order: int | None = None

    def refs(self) -> list[str]:
        """The units and lots the operation moved, each once (to label them, say)."""
        refs: dict[str, None] = {}
        for ln in self.lines:
            if ln.serials:
                refs.update((f"{ln.item}:{s}", None) for s in ln.serials)
            elif ln.lot:
                refs[f"{ln.item}@{ln.lot}"] = None
        return list(refs)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "occurred_at": self.occurred_at,
            "user": self.user,
            "reference": self.reference,
            "party": self.party,
            "note": self.note,
            "outputs": self.outputs,
            "lines": [ln.to_dict() for ln in self.lines],
        }
        if self.voids is not None:
            out["voids"] = self.voids
        if self.voided_by is not None:
            out["voided_by"] = self.voided_by
            out["void_reason"] = self.void_reason
        if self.order is not None:
            out["order"] = self.order
        return out

    def detail_dict(self) -> dict[str, Any]:
        """`to_dict`, with `voided_by` (and `void_reason`) always: an operation shown by
        itself says whether it stands."""
        out = self.to_dict()
        out.setdefault("voided_by", None)
        out.setdefault("void_reason", None)
        if self.kind == "void":
            out.setdefault("voids", self.voids)
        return out
