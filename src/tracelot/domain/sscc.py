"""Serial Shipping Container Codes (GS1 SSCC, AI 00) and the database-wide settings.

An SSCC is 18 digits: an extension digit, the company's GS1 prefix, a serial reference
filling the rest, and a check digit (GS1's modulo 10). tracelot numbers its logistic
units 1, 2, 3 ... and makes each one's SSCC from its number.
"""

from __future__ import annotations

import re

from tracelot.domain.errors import InvalidInput

SSCC_LENGTH = 18
#: the kinds of logistic unit `pack --new` makes
LU_KINDS = ("case", "pallet")

#: the settings tracelot knows, with what each holds
SETTINGS = {
    "gs1_company_prefix": "the company's GS1 prefix (6 to 12 digits): the SSCCs of its cases "
    "and pallets",
    "sscc_extension_digit": "the extension digit of the SSCCs made (0-9; 0 unless set)",
    "currency": "the one currency of money amounts (ISO 4217, three letters)",
}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def gs1_check_digit(digits: str) -> str:
    """GS1's modulo-10 check digit of `digits` (weights 3, 1, 3 ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def make_sscc(prefix: str, serial_reference: int, extension: str = "0") -> str:
    """The SSCC of serial reference `serial_reference` under a company prefix."""
    room = SSCC_LENGTH - 2 - len(prefix)
    if serial_reference >= 10**room:
        raise InvalidInput(
            f"the SSCCs of GS1 prefix {prefix} are used up ({10**room - 1:,} serial references)"
        )
    body = f"{extension}{prefix}{serial_reference:0{room}d}"
    return body + gs1_check_digit(body)


def check_sscc(text: str) -> str:
    """An SSCC as 18 digits with the right check digit, or InvalidInput."""
    value = text.strip()
    if len(value) != SSCC_LENGTH or not value.isascii() or not value.isdigit():
        raise InvalidInput(f"{text!r} is not an SSCC: an SSCC is 18 digits")
    if gs1_check_digit(value[:-1]) != value[-1]:
        raise InvalidInput(
            f"SSCC {value}: wrong check digit {value[-1]} (expected {gs1_check_digit(value[:-1])})"
        )
    return value


def looks_like_sscc(text: str) -> bool:
    """18 digits typed or scanned bare: read as an SSCC."""
    value = text.strip()
    return len(value) == SSCC_LENGTH and value.isascii() and value.isdigit()


def check_setting(key: str, value: str) -> str:
    """A setting's value, checked for its key (a known key in snake_case), or InvalidInput."""
    if not _KEY.match(key or ""):
        raise InvalidInput(f"setting {key!r}: a key is in snake_case (gs1_company_prefix)")
    if key not in SETTINGS:
        known = ", ".join(sorted(SETTINGS))
        raise InvalidInput(f"unknown setting {key!r}: tracelot knows {known}")
    value = (value or "").strip()
    if key == "gs1_company_prefix":
        if not (value.isascii() and value.isdigit() and 6 <= len(value) <= 12):
            raise InvalidInput(f"gs1_company_prefix {value!r}: a GS1 company prefix is 6-12 digits")
    elif key == "sscc_extension_digit":
        if not (value.isascii() and value.isdigit() and len(value) == 1):
            raise InvalidInput(f"sscc_extension_digit {value!r}: one digit, 0 to 9")
    elif key == "currency":
        if not (value.isascii() and value.isalpha() and len(value) == 3):
            raise InvalidInput(f"currency {value!r}: a currency is three letters (EUR, USD)")
        value = value.upper()
    return value
