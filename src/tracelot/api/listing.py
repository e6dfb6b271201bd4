"""Lists over HTTP: a page (`limit`, `offset`, and the `total`), sorted by any field of
the rows (`sort=field`, `-field` descending) and narrowed by a search (`q`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

from tracelot.domain.errors import InvalidInput

Limit = Annotated[int, Query(ge=1, le=1000, description="Rows in a page.")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Rows to skip.")]
Sort = Annotated[
    str | None,
    Query(
        pattern=r"^-?[a-z_]{1,40}$",
        description="A field of the rows to sort by; `-field` for descending.",
    ),
]

#: a day of the years 1900 to 9998 (what a report covers), as the schema says it
DAY_PATTERN = r"^(19\d\d|[2-9]\d\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def _iso_day(value: object) -> object:
    """A day as ISO 8601 text only: pydantic would take `0` as 1970-01-01."""
    if isinstance(value, int | float):  # a JSON body's number (bool is an int too)
        raise ValueError("a day is YYYY-MM-DD text, not a number")
    if isinstance(value, str) and not re.fullmatch(DAY_PATTERN, value):
        raise ValueError("a day is YYYY-MM-DD, of the years 1900 to 9998")
    return value


def _iso_time(value: object) -> object:
    """A time as ISO 8601 text only (`2026-11-25T10:00:00Z`), not a number of seconds."""
    if isinstance(value, str) and not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        raise ValueError("a time is ISO 8601: 2026-11-25T10:00:00Z")
    return value


#: a query's day (`format: date`, of the years a report covers)
IsoDay = Annotated[dt.date, BeforeValidator(_iso_day)]
#: the schema of a query's day: its format and the years it may be
DAY_SCHEMA = {"pattern": DAY_PATTERN}
#: a query's time (`format: date-time`)
IsoTime = Annotated[dt.datetime, BeforeValidator(_iso_time)]


def sort_by(*fields: str) -> Any:
    """`Sort` narrowed to the fields of a list's rows: the schema names each one (`item`,
    `-item`, ...), so a request the schema allows is one the route can sort."""
    return Annotated[
        str | None,
        Query(
            pattern=rf"^-?({'|'.join(fields)})$",
            description=f"A field to sort by (`-field` for descending): {', '.join(fields)}.",
        ),
    ]


Search = Annotated[
    str | None,
    Query(max_length=200, description="Only rows with this text (any case) in their codes."),
]


def page(
    rows: list[dict[str, Any]],
    limit: int,
    offset: int,
    *,
    sort: str | None = None,
    q: str | None = None,
    searched: Sequence[str],
) -> dict[str, Any]:
    if q:
        needle = q.casefold()
        rows = [r for r in rows if any(needle in str(r.get(f) or "").casefold() for f in searched)]
    if sort:
        field = sort.removeprefix("-")
        if rows and field not in rows[0]:
            raise InvalidInput(f"cannot sort by {field}: sort by one of {', '.join(rows[0])}")
        rows = sorted(
            rows, key=lambda r: (r[field] is None, r[field]), reverse=sort.startswith("-")
        )
    return {
        "items": rows[offset : offset + limit],
        "total": len(rows),
        "limit": limit,
        "offset": offset,
    }
