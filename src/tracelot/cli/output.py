"""Rendering results: JSON for scripts, rich tables for people, errors on stderr."""

import datetime as dt
import json
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tracelot.domain.values import format_qty, qty_number

if TYPE_CHECKING:
    from rich.console import Console

    from tracelot.services.results import OperationResult


class _Console:
    """A rich Console made on first use, so that rich loads only when something is printed
    (not for `--help`, nor for a command that writes JSON)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def real(self) -> "Console":
        """The Console itself, for what rich uses as one (a progress bar enters it: `with`
        looks on the type, never through __getattr__)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


out = _Console(highlight=False, soft_wrap=True)
err = _Console(stderr=True, highlight=False, soft_wrap=True)


def print_long(renderable: Any) -> None:
    """Print a table or tree: fitted to a terminal, whole lines into a pipe or a file."""
    if out.is_terminal:
        out.print(renderable, soft_wrap=False)
    else:
        from rich.console import Console

        Console(highlight=False, width=10_000).print(renderable)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return qty_number(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def print_json_line(data: Any, *, flush: bool = True) -> None:
    """One JSON object on one line, flushed (unless a batch's last line flushes it): JSON
    Lines written as results come."""
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False) + "\n")
    if flush:
        sys.stdout.flush()


def print_json(data: Any) -> None:
    sys.stdout.write(to_json(data) + "\n")


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_qty(value)
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    footer: dict[str, Any] | None = None,
    numeric: Iterable[str] = ("qty",),
) -> None:
    """Print rows as a table; an empty list says so on stderr."""
    if not rows:
        err.print("(nothing)")
        return
    from rich.table import Table

    numeric = set(numeric)
    t = Table(title=title, show_footer=footer is not None, header_style="bold")
    for col in columns:
        t.add_column(
            col,
            justify="right" if col in numeric else "left",
            footer=text((footer or {}).get(col)),
        )
    for row in rows:
        t.add_row(*(text(row.get(col)) for col in columns))
    print_long(t)


def operation(result: "OperationResult", *, as_json: bool) -> None:
    """An operation prints what it did: its id and its lines."""
    if as_json:
        print_json(result.to_dict())
        return
    party = f" ({result.party})" if result.party else ""
    out.print(f"{result.kind} #{result.id}{party}: done")
    for ln in result.lines:
        what = ln.item + (f"@{ln.lot}" if ln.lot else "")
        serials = ""
        if ln.serials:
            serials = f"  [{_serial_span(ln.serials)}]"
        out.print(f"  {text(ln.qty)} {what}  {ln.from_location} -> {ln.to_location}{serials}")
    for ref in result.outputs:
        out.print(f"  built {ref}")


def _serial_span(serials: list[str]) -> str:
    if len(serials) <= 5:
        return ", ".join(serials)
    return f"{serials[0]} .. {serials[-1]}"


def in_packs(row: dict) -> dict:
    """A row whose quantity shows its packs beside it (`40 (3 case + 4)`), for tables of
    stock, `where` and valuation (issue 20); the row itself when the item has none."""
    if not row.get("packs"):
        return row
    from tracelot.domain.uom import Pack, packs_text

    packs = [Pack(p["name"], Decimal(p["qty"])) for p in row["packs"]]
    return row | {"qty": packs_text(Decimal(row["qty"]), packs)}
