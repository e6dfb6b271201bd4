"""Column types: exact decimal quantities on every backend, UTC timestamps."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from tracelot.domain.values import QTY_PLACES, normalize


class Exact(TypeDecorator[Decimal]):
    """NUMERIC(20, 6) holding Decimal.

    PostgreSQL stores NUMERIC exactly. SQLite has no decimal type: whole numbers stay
    integers (exact); fractions come back as floats, rounded here to six places, so
    every value that went in comes back as the same Decimal.
    """

    impl = Numeric(20, QTY_PLACES)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(20, QTY_PLACES, asdecimal=False))
        return dialect.type_descriptor(Numeric(20, QTY_PLACES))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        value = Decimal(value)
        return int(value) if value == value.to_integral_value() else float(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if type(value) is int:  # SQLite's whole numbers: already exact and normal
            return Decimal(value)
        return _exact(value)


@functools.lru_cache(maxsize=4096)
def _exact(value: float | Decimal | str) -> Decimal:
    """A fraction as read, as the same Decimal on every backend: SQLite's float rounded to
    six places, PostgreSQL's 5.000000 as 5. Kept for the values read last: a pallet's
    2,000 units read one cost 2,000 times (converting it was a fifth of shipping them)."""
    if isinstance(value, float):
        value = repr(round(value, QTY_PLACES))
    return normalize(Decimal(value))


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and read back as an aware datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
