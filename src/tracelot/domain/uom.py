"""Units of measure and pack sizes: pure rules, no I/O.

An item is kept in its base unit (`items.uom`: EA, kg, m ...). A packaging level (a box
of 12, a case of 144) is a number of base units, exactly; stock, reports and valuation
stay in base units, and the packs are shown beside them. An item counted in eaches takes
whole quantities only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tracelot.domain.errors import InvalidInput
from tracelot.domain.values import format_qty, parse_qty

#: the spellings of a unit counted in whole pieces (UN/ECE H87 piece, C62 one, EA each)
EACH_UNITS = frozenset(
    {"ea", "each", "pc", "pcs", "pce", "piece", "pieces", "unit", "units", "h87", "c62"}
)
#: a pack's name: a word such as box, case, pallet-layer
_PACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,31}$")


def counted_in_eaches(uom: str | None) -> bool:
    """Whether an item in this unit is counted in whole pieces."""
    return (uom or "").strip().lower() in EACH_UNITS


def check_whole(qty: Decimal, *, item: str, uom: str) -> Decimal:
    """Refuse a quantity that is not whole for an item counted in eaches."""
    if counted_in_eaches(uom) and qty != qty.to_integral_value():
        raise InvalidInput(
            f"{item} is counted in whole {uom}: {format_qty(qty)} is not a whole number "
            f"(an item kept in kg, m or l takes fractions: `tracelot item set {item} --uom kg`)"
        )
    return qty


def is_pack_name(value: object) -> bool:
    """Whether a text is a pack's name (a word starting with a letter), not a number."""
    return isinstance(value, str) and bool(_PACK_NAME.match(value.strip()))


def check_pack_name(value: object) -> str:
    """A pack's name: a word of at most 32 characters (box, case, layer ...)."""
    text = value.strip() if isinstance(value, str) else ""
    if not _PACK_NAME.match(text):
        raise InvalidInput(
            f"a pack's name is a word of 1 to 32 letters, digits, _ or -, starting with a "
            f"letter (box, case), not {value!r}"
        )
    return text


def pack_qty(qty: object, *, of_count: object = None, of_qty: Decimal | None = None) -> Decimal:
    """A pack's size in base units: `qty` itself, or `of_count` packs of `of_qty` each."""
    if of_count is not None:
        assert of_qty is not None
        return parse_qty(of_count, what="--qty (packs inside)") * of_qty
    return parse_qty(qty, what="--qty (base units in the pack)")


@dataclass(frozen=True)
class Pack:
    """One packaging level of an item: `qty` base units."""

    name: str
    qty: Decimal


def in_packs(qty: Decimal, packs: Sequence[Pack]) -> list[dict[str, object]]:
    """A quantity in base units seen in each pack (largest first): how many whole packs,
    and what remains (`{"name": "case", "qty": 12, "count": 3, "remainder": 4}`)."""
    shown = []
    for pack in sorted(packs, key=lambda p: (-p.qty, p.name)):
        count = (qty // pack.qty) if qty > 0 else Decimal(0)
        shown.append(
            {"name": pack.name, "qty": pack.qty, "count": count,
             "remainder": qty - count * pack.qty}
        )  # fmt: skip
    return shown


def packs_text(qty: Decimal, packs: Sequence[Pack]) -> str:
    """A quantity with its packs beside it, largest first: `40 (3 case + 4)`, `150 (1
    case + 1 box + 6)`; the quantity alone when no pack is whole in it."""
    left, parts = qty, []
    for pack in sorted(packs, key=lambda p: (-p.qty, p.name)):
        count = left // pack.qty if left > 0 else Decimal(0)
        if count > 0:
            parts.append(f"{format_qty(count)} {pack.name}")
            left -= count * pack.qty
    if not parts:
        return format_qty(qty)
    if left:
        parts.append(format_qty(left))
    return f"{format_qty(qty)} ({' + '.join(parts)})"
