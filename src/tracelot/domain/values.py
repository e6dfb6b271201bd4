"""Parsing and validating the values users type: quantities, dates, codes, GTINs."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from tracelot.domain.errors import InvalidInput

#: Quantities are exact decimals with at most this many decimal places.
QTY_PLACES = 6
_MAX_QTY = Decimal(10) ** 12
_QTY_STEP = Decimal(1).scaleb(-QTY_PLACES)  # the smallest quantity kept

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-+#]*$")


def parse_qty(value: object, *, what: str = "quantity", allow_zero: bool = False) -> Decimal:
    """Parse a positive exact quantity; refuse floats' rounding, NaN, negatives and zero."""
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be a number, not {value!r}")
    try:
        qty = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{what} must be a number, not {value!r}") from None
    if not qty.is_finite():
        raise InvalidInput(f"{what} must be a finite number, not {value!r}")
    if qty < 0 or (qty == 0 and not allow_zero):
        raise InvalidInput(f"{what} must be greater than zero, not {normalize(qty)}")
    if qty >= _MAX_QTY:
        raise InvalidInput(f"{what} {value} is too large")
    if qty != qty.quantize(_QTY_STEP):
        raise InvalidInput(f"{what} {value} has more than {QTY_PLACES} decimal places")
    return qty


def parse_money(value: object, *, what: str = "cost") -> Decimal:
    """Parse a non-negative amount of money."""
    return parse_qty(value, what=what, allow_zero=True)


def normalize(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (5.000 -> 5, 2.50 -> 2.5)."""
    if value == value.to_integral_value():
        return Decimal(int(value))  # exact at any size (quantize overflows past 28 digits)
    return value.normalize()


#: half the sixth place: below it a quantity is nothing (SQLite keeps fractions as floats,
#: and 0.1 + 0.2 - 0.3 is 5.6e-17 there; `Exact` reads it back rounded to six places)
HALF_PLACE = Decimal("0.0000005")


def format_qty(value: Decimal | int | float | str) -> str:
    """A quantity or an amount as text, exact and as people write it: 12, 2.5, 0.000001
    (no trailing zeros, no exponent). Every quantity tracelot writes as text is this."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{normalize(number):f}"


def qty_number(value: Decimal) -> int | float:
    """A quantity as a JSON number (CONVENTIONS): whole ones as integers."""
    number = normalize(value)
    return int(number) if number == number.to_integral_value() else float(number)


def parse_date(value: object, *, what: str = "date") -> dt.date:
    """Parse an ISO 8601 date (2030-01-31)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from None


def parse_days(value: object, *, what: str = "days") -> int:
    """A number of days: `30`, `30d` (zero or more, at most a hundred years)."""
    match = re.fullmatch(r"(\d{1,5})d?", str(value).strip())
    if not match or int(match[1]) > 36500:
        raise InvalidInput(f"{what} {value!r}: a number of days such as 30d")
    return int(match[1])


#: the longest name of an item, location or party (stored in 200 characters)
NAME_LENGTH = 200


def check_name(value: object, *, what: str, required: bool = True) -> str | None:
    """A name: text of at most NAME_LENGTH characters (not empty if `required`), trimmed."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise InvalidInput(f"{what} must not be empty")
        return None
    if len(text) > NAME_LENGTH:
        raise InvalidInput(f"{what} is longer than {NAME_LENGTH} characters")
    refuse_nul(text, what=what)
    return text


def refuse_nul(text: str | None, *, what: str) -> None:
    """Refuse a NUL character in free text, alike on every database: PostgreSQL's text
    cannot hold one, and SQLite's text functions end a string at it."""
    if text is not None and "\x00" in text:
        raise InvalidInput(f"{what}: text cannot contain NUL (0x00) characters")


def is_code(text: str) -> bool:
    """Whether `text` could be the code of an item, location or party."""
    return bool(_CODE_RE.match(text))


def check_code(value: str, *, what: str) -> str:
    """A code (item, location, party, lot, serial) is non-empty and free of separators."""
    code = (value or "").strip()
    if not code:
        raise InvalidInput(f"{what} must not be empty")
    if len(code) > 64:
        raise InvalidInput(f"{what} {code!r} is longer than 64 characters")
    if not _CODE_RE.match(code):
        raise InvalidInput(
            f"{what} {code!r} may hold only letters, digits and . _ - + # "
            "(':' '@' and '/' separate references and paths)"
        )
    return code


#: the characters GS1 allows in a lot (10) or a serial (21): its character set 82
GS1_CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_NOT_CSET82 = re.compile("[^" + re.escape(GS1_CSET82) + "]")
#: the most characters of a lot (10) or a serial (21)
GS1_KEY_LENGTH = 20


def check_gs1_keys(values: list[str], *, what: str, item: str) -> None:
    """Lot codes or serials of an item with a GTIN go into its GS1 barcodes: each holds at
    most 20 of GS1's characters (character set 82: not '#')."""
    if not values:
        return
    joined = ",".join(values)  # ',' is one of GS1's characters
    bad = _NOT_CSET82.search(joined)
    longest = max(values, key=len)
    if bad is None and len(longest) <= GS1_KEY_LENGTH:
        return
    if bad is not None:
        value = next(v for v in values if _NOT_CSET82.search(v))
        chars = " ".join(sorted(set(_NOT_CSET82.findall(value))))
        why = f"holds {chars}, which GS1 does not allow"
    else:
        value, why = longest, f"is longer than the {GS1_KEY_LENGTH} characters GS1 allows"
    raise InvalidInput(f"{what} {value!r} {why} in the barcode of item {item} (it has a GTIN)")


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def parse_gtin(value: str) -> str:
    """Validate a GTIN-8, -12, -13 or -14 and return it as 14 digits."""
    digits = (value or "").strip()
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise InvalidInput(f"GTIN {value!r} must be 8, 12, 13 or 14 digits")
    expected = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidInput(
            f"GTIN {digits} has a bad check digit: {digits[-1]}, expected {expected}"
        )
    return digits.zfill(14)


def parse_gln(value: str) -> str:
    """Validate a GLN (a GS1 location number: 13 digits with a check digit)."""
    digits = (value or "").strip()
    if not digits.isdigit() or len(digits) != 13:
        raise InvalidInput(f"GLN {value!r} must be 13 digits")
    expected = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidInput(f"GLN {digits} has a bad check digit: {digits[-1]}, expected {expected}")
    return digits
