"""A party's contact details: whom a recall's notice is written and sent to."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from tracelot.domain.errors import InvalidInput

_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{3,64}$")
LIMITS = {"contact_name": 200, "email": 320, "phone": 64, "address": 1000}


@dataclass(frozen=True)
class Contact:
    """Contact name, email, phone and postal address; each may be missing."""

    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    @classmethod
    def checked(cls, **values: str | None) -> Contact:
        """The details given, trimmed (an empty text is none), or a clear refusal."""
        clean: dict[str, str | None] = {}
        for name, value in values.items():
            if name not in LIMITS:
                raise InvalidInput(f"unknown contact field {name!r}")
            text = (value or "").strip() or None
            if text is not None and len(text) > LIMITS[name]:
                raise InvalidInput(f"{name} is longer than {LIMITS[name]} characters")
            clean[name] = text
        if clean.get("email") is not None:
            clean["email"] = check_email(clean["email"])
        phone = clean.get("phone")
        if phone is not None and not _PHONE_RE.match(phone):
            raise InvalidInput(f"phone {phone!r} may hold only digits, spaces, + ( ) . / -")
        return cls(**clean)

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def check_email(value: str) -> str:
    """An email address such as `recalls@customer.example` (one address, with a domain)."""
    from email.errors import HeaderParseError  # the email package loads only to check one
    from email.headerregistry import Address

    try:
        address = Address(addr_spec=value)
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise InvalidInput(f"email {value!r} is not an email address") from exc
    if not address.username or "." not in address.domain or address.addr_spec != value:
        raise InvalidInput(f"email {value!r} is not an email address")
    return value
