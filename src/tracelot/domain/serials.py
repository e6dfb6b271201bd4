"""Serial lists and ranges: `A1,A2,A3` and `SN0001..SN0500` (zero padding kept)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tracelot.domain.errors import InvalidInput
from tracelot.domain.values import check_code

_TAIL_DIGITS = re.compile(r"^(.*?)(\d+)$")
#: A range may name at most this many serials (a guard against a typo of ten digits).
MAX_RANGE = 10_000_000


def expand_range(first: str, last: str) -> list[str]:
    """Every serial from `first` to `last` inclusive: same prefix, numeric tail, padding kept."""
    m1, m2 = _TAIL_DIGITS.match(first), _TAIL_DIGITS.match(last)
    if not m1 or not m2:
        raise InvalidInput(f"serial range {first}..{last} must end in digits on both sides")
    prefix, start_digits = m1.groups()
    prefix2, end_digits = m2.groups()
    if prefix != prefix2:
        raise InvalidInput(
            f"serial range {first}..{last} must share its prefix ({prefix!r} vs {prefix2!r})"
        )
    start, end = int(start_digits), int(end_digits)
    if end < start:
        raise InvalidInput(f"serial range {first}..{last} runs backwards")
    if end - start + 1 > MAX_RANGE:
        raise InvalidInput(f"serial range {first}..{last} holds more than {MAX_RANGE} serials")
    width = (
        len(start_digits)
        if start_digits.startswith("0") or len(start_digits) == len(end_digits)
        else 0
    )
    if width and len(str(end)) > width:
        raise InvalidInput(f"serial range {first}..{last} overflows its {width} digits")
    check_code(first, what="serial")
    return [f"{prefix}{n:0{width}d}" for n in range(start, end + 1)]


def count_serials(spec: str | Iterable[str]) -> int:
    """How many serials a list or range names, counted without expanding it (a malformed
    part counts as one: parsing it refuses it)."""
    parts: Iterable[str] = spec.split(",") if isinstance(spec, str) else spec
    count = 0
    for raw in parts:
        first, dots, last = str(raw).partition("..")
        m1, m2 = _TAIL_DIGITS.match(first.strip()), _TAIL_DIGITS.match(last.strip())
        if dots and m1 and m2:
            count += max(1, int(m2[2]) - int(m1[2]) + 1)
        else:
            count += 1
    return count


def parse_serials(spec: str | Iterable[str]) -> list[str]:
    """Parse a list (`A1,A2`), a range (`SN0001..SN0500`) or a mix, or an iterable of them.

    Refuses empty entries and serials repeated in the same request.
    """
    parts: Iterable[str] = spec.split(",") if isinstance(spec, str) else spec
    serials: list[str] = []
    for raw in parts:
        part = raw.strip()
        if not part:
            raise InvalidInput("empty serial in the list")
        if ".." in part:
            first, _, last = part.partition("..")
            serials.extend(expand_range(first.strip(), last.strip()))
        else:
            serials.append(check_code(part, what="serial"))
    if not serials:
        raise InvalidInput("no serials given")
    if len(set(serials)) != len(serials):
        seen: set[str] = set()
        repeated = sorted({s for s in serials if s in seen or seen.add(s)})
        shown = ", ".join(repeated[:5]) + (" ..." if len(repeated) > 5 else "")
        raise InvalidInput(f"serial repeated in the request: {shown}")
    return serials
