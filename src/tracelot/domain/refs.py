"""References: `ITEM:SERIAL` (a unit), `ITEM@LOT` (a lot), or a bare code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from tracelot.domain.errors import InvalidInput
from tracelot.domain.values import parse_qty

RefKind = Literal["unit", "lot", "code"]


@dataclass(frozen=True)
class Ref:
    """A parsed reference; `code` is the item (or a location, where one is meant)."""

    kind: RefKind
    code: str
    key: str | None = None  # the serial of a unit, the lot code of a lot

    def __str__(self) -> str:
        sep = {"unit": ":", "lot": "@"}.get(self.kind, "")
        return f"{self.code}{sep}{self.key or ''}"


def parse_ref(text: str) -> Ref:
    """Split a reference at its first `:` or `@`."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidInput("empty reference")
    colon, at = raw.find(":"), raw.find("@")  # (the first of them: every scan asks)
    cut = at if colon < 0 else colon if at < 0 else min(colon, at)
    if cut < 0:
        return Ref("code", raw)
    code, sep, key = raw[:cut], raw[cut], raw[cut + 1 :]
    if not code or not key:
        raise InvalidInput(f"reference {raw!r} needs a code on both sides of {sep!r}")
    return Ref("unit" if sep == ":" else "lot", code, key)


def parse_consume(text: str) -> tuple[Ref, Decimal | None]:
    """A build input `REF[=QTY]`."""
    ref_text, qty = split_consume(text)
    return parse_ref(ref_text), qty


def split_consume(text: str) -> tuple[str, Decimal | None]:
    """A build input `REF[=QTY]` as its reference (typed or scanned) and quantity."""
    ref_text, sep, qty_text = (text or "").partition("=")
    qty = parse_qty(qty_text, what=f"quantity of {ref_text}") if sep else None
    return ref_text, qty
