"""Domain errors: each carries a stable code, an HTTP status and a CLI exit status."""

from __future__ import annotations


class TracelotError(Exception):
    """Base of every refusal tracelot gives for bad input or an impossible operation."""

    code = "error"
    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(TracelotError):
    """A value that is malformed: not a number, not a date, a bad check digit."""

    code = "invalid_input"
    http_status = 422


class NotFound(TracelotError):
    """An item, location, party, lot or unit that does not exist."""

    code = "not_found"
    http_status = 404


class AlreadyExists(TracelotError):
    """A code or serial that is already taken."""

    code = "already_exists"
    http_status = 409


class WrongKind(TracelotError):
    """A reference of the wrong kind for what is asked (a unit of an untracked item...)."""

    code = "wrong_kind"
    http_status = 422


class InsufficientStock(TracelotError):
    """Moving, consuming or shipping more than is there."""

    code = "insufficient_stock"
    http_status = 409


class NotAvailable(TracelotError):
    """Stock that exists but may not be used: shipped, consumed, scrapped, expired."""

    code = "not_available"
    http_status = 409


class CannotWrite(InvalidInput):
    """A file that cannot be written: a missing directory, no permission, a full disk."""

    code = "cannot_write"

    def __init__(self, path: object, exc: OSError) -> None:
        super().__init__(f"cannot write {path}: {exc.strerror or exc}")


class Conflict(TracelotError):
    """Another operation changed the same stock at the same moment."""

    code = "conflict"
    http_status = 409


class Unauthenticated(TracelotError):
    """No valid credentials: a wrong password, an unknown user, an expired session."""

    code = "unauthenticated"
    http_status = 401


class TooManyAttempts(TracelotError):
    """Too many failed logins for a user from an address: wait `retry_after` seconds."""

    code = "too_many_attempts"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotMigrated(TracelotError):
    """The database has no tracelot schema, or an older one."""

    code = "not_migrated"
    http_status = 503


class StorageFull(TracelotError):
    """The disk that holds the database is full: nothing was written."""

    code = "storage_full"
    http_status = 507


class ReadOnlyStorage(TracelotError):
    """The database may only be read (a read-only file, directory, disk or server)."""

    code = "read_only"
    http_status = 503
