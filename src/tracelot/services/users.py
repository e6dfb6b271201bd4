"""Users, their roles and passwords (argon2), and API tokens (random, kept as digests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from tracelot.domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotAvailable,
    NotFound,
    TooManyAttempts,
)
from tracelot.domain.roles import check_role
from tracelot.domain.values import check_code
from tracelot.services.ledger import now
from tracelot.store.engine import serialize
from tracelot.store.tables import api_tokens, login_attempts, users

if TYPE_CHECKING:
    from pwdlib import PasswordHash

TOKEN_PREFIX = "tl_"
MIN_PASSWORD = 12
SESSION_HOURS = 12
#: failed logins of a user name from an address before it must wait, and how long
MAX_FAILURES, FAILURE_WINDOW = 5, dt.timedelta(minutes=15)
#: failed logins of a user name from all addresses together before it must wait: many
#: addresses (or a forged X-Forwarded-For) cannot each have five guesses
MAX_ACCOUNT_FAILURES = 20


@cache
def _hasher() -> PasswordHash:
    """argon2id, built on first use: importing this module hashes nothing."""
    from pwdlib import PasswordHash

    return PasswordHash.recommended()


@cache
def _nobody() -> str:
    """A password hash that no password matches: checking an unknown user costs the same
    time as a known one (made on the first check, not at import)."""
    return _hasher().hash(secrets.token_urlsafe(16))


def prepare_logins() -> None:
    """Make the hasher and the hash of no one now (a server's start), so that the first
    failed login of an unknown user takes as long as any other."""
    _nobody()


def add_user(conn: Connection, name: str, *, role: str, password: str | None = None) -> dict:
    name = check_code(name, what="user name")
    check_role(role)
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD} characters")
    if conn.execute(select(users.c.id).where(users.c.name == name)).first():
        raise AlreadyExists(f"user {name} already exists")
    conn.execute(
        insert(users).values(
            name=name,
            role=role,
            password_hash=_hasher().hash(password) if password is not None else None,
            created_at=now(),
        )
    )
    return user_dict(_user(conn, name))


def ensure_admin(conn: Connection, name: str, password: str | None) -> str | None:
    """The first admin, when there are no users yet: returns the password it was given
    (generated when none is), to be shown once; None when users exist already. Two at
    once (two `tracelot init`) take turns: the second finds the first's admin."""
    serialize(conn, "tracelot.ensure_admin")
    if conn.execute(select(users.c.id).limit(1)).first() is not None:
        return None
    password = password or secrets.token_urlsafe(18)
    add_user(conn, name, role="admin", password=password)
    return password


def list_users(conn: Connection) -> list[dict[str, Any]]:
    return [user_dict(r) for r in conn.execute(select(users).order_by(users.c.name))]


def set_role(conn: Connection, name: str, role: str) -> dict[str, Any]:
    check_role(role)
    if role != "admin":
        _keep_an_admin(conn, _user(conn, name))
    conn.execute(update(users).where(users.c.name == name).values(role=role))
    return user_dict(_user(conn, name))


def disable_user(conn: Connection, name: str) -> dict[str, Any]:
    """A disabled user can log in no more, and their tokens stop working."""
    _keep_an_admin(conn, _user(conn, name))
    conn.execute(update(users).where(users.c.name == name).values(disabled=True))
    return user_dict(_user(conn, name))


def _keep_an_admin(conn: Connection, row: Row) -> None:
    """Refuse to take away the last enabled admin (no one could manage users after)."""
    if row.role != "admin" or row.disabled:
        return
    others = conn.execute(
        select(users.c.id)
        .where(users.c.role == "admin", ~users.c.disabled, users.c.id != row.id)
        .with_for_update()
    ).first()
    if others is None:
        raise NotAvailable(f"{row.name} is the last admin: make another admin first")


def authenticate(conn: Connection, name: str, password: str) -> Row | None:
    """The user, when the password is theirs and they are enabled."""
    row = conn.execute(select(users).where(users.c.name == name)).first()
    stored = row.password_hash if row is not None and row.password_hash else _nobody()
    ok = _hasher().verify(password, stored)
    return row if ok and row is not None and not row.disabled else None


def create_token(
    conn: Connection, user: str, *, name: str | None = None, expires_days: int | None = None
) -> dict[str, Any]:
    """A new API token for a user: the token itself is in the answer, and nowhere else."""
    row = _user(conn, user)
    if expires_days is not None and expires_days < 1:
        raise InvalidInput(f"a token expires after at least one day, not {expires_days}")
    expires = now() + dt.timedelta(days=expires_days) if expires_days else None
    return _issue(conn, row, name=name or f"token of {row.name}", expires=expires, kind="api")


def _issue(conn: Connection, row: Row, *, name: str, expires: Any, kind: str) -> dict[str, Any]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    result = conn.execute(
        insert(api_tokens)
        .values(
            user_id=row.id,
            name=name,
            prefix=token[:10],
            digest=_digest(token),
            created_at=now(),
            expires_at=expires,
            kind=kind,
        )
        .returning(api_tokens.c.id)
    )
    return {"id": result.scalar_one(), "user": row.name, "expires_at": expires, "token": token}


def check_login(conn: Connection, name: str, password: str, address: str) -> Row | None:
    """The first half of a login, in a read-only transaction (argon2 takes tens of
    milliseconds: no write lock is held meanwhile): refused with TooManyAttempts while a
    user name from an address is locked out; else the user, or None for a wrong password."""
    _refuse_if_locked_out(conn, name[:64], address[:64])
    return authenticate(conn, name, password)


def start_session(conn: Connection, name: str, address: str, user: Row | None) -> dict | None:
    """The second half, in a short write transaction: the attempt is written down (after
    MAX_FAILURES failures of a user name from an address within FAILURE_WINDOW, it must
    wait; after MAX_ACCOUNT_FAILURES of the name from any addresses, too), and the user
    `check_login` found gets a web session (a token of kind `session`, valid
    SESSION_HOURS). Attempts of one name take turns here, so parallel guesses cannot
    all pass the count: those past it are refused unanswered."""
    name, address = name[:64], address[:64]
    attempts = login_attempts.c
    mine = (attempts.user_name == name, attempts.address == address)
    serialize(conn, f"login {name}")
    old = attempts.at < now() - FAILURE_WINDOW
    conn.execute(delete(login_attempts).where(attempts.user_name == name, old))
    _refuse_if_locked_out(conn, name, address)
    conn.execute(
        insert(login_attempts).values(
            user_name=name, address=address, at=now(), ok=user is not None
        )
    )
    if user is None:
        return None
    conn.execute(delete(login_attempts).where(*mine, attempts.ok.is_(False)))
    expires = now() + dt.timedelta(hours=SESSION_HOURS)
    return {
        **_issue(conn, user, name="web session", expires=expires, kind="session"),
        "role": user.role,
    }


def _refuse_if_locked_out(conn: Connection, name: str, address: str) -> None:
    attempts = login_attempts.c
    failures = conn.execute(
        select(attempts.at)
        .where(
            attempts.user_name == name,
            attempts.address == address,
            attempts.ok.is_(False),
            attempts.at >= now() - FAILURE_WINDOW,
        )
        .order_by(attempts.at.desc())
        .limit(MAX_FAILURES)
    ).scalars()
    recent = list(failures)
    if len(recent) == MAX_FAILURES:
        wait = recent[-1] + FAILURE_WINDOW - now()
        raise TooManyAttempts(
            f"too many failed logins for {name} from {address}: try again later",
            retry_after=max(1, int(wait.total_seconds()) + 1),
        )
    everywhere = list(
        conn.execute(
            select(attempts.at)
            .where(
                attempts.user_name == name,
                attempts.ok.is_(False),
                attempts.at >= now() - FAILURE_WINDOW,
            )
            .order_by(attempts.at.desc())
            .limit(MAX_ACCOUNT_FAILURES)
        ).scalars()
    )
    if len(everywhere) == MAX_ACCOUNT_FAILURES:
        wait = everywhere[-1] + FAILURE_WINDOW - now()
        raise TooManyAttempts(
            f"too many failed logins for {name} (from any address): try again later",
            retry_after=max(1, int(wait.total_seconds()) + 1),
        )


def end_session(conn: Connection, token: str) -> None:
    """Log out: the session's token works no more."""
    conn.execute(
        update(api_tokens)
        .where(
            api_tokens.c.digest == _digest(token),
            api_tokens.c.kind == "session",
            api_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=now())
    )


def list_tokens(conn: Connection) -> list[dict[str, Any]]:
    query = (
        select(api_tokens, users.c.name.label("user"))
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.kind == "api")  # web sessions are not API tokens
        .order_by(api_tokens.c.id)
    )
    return [
        {
            "id": r.id,
            "user": r.user,
            "name": r.name,
            "prefix": r.prefix,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
            "revoked_at": r.revoked_at,
            "last_used_at": r.last_used_at,
        }
        for r in conn.execute(query)
    ]


def revoke_token(conn: Connection, token_id: int) -> None:
    done = conn.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    if done.rowcount == 0:
        raise NotFound(f"no token {token_id} to revoke")


def user_of_token(conn: Connection, token: str) -> Row | None:
    """The enabled user a valid token belongs to (with `token_id` and `last_used_at`)."""
    row = conn.execute(_BY_DIGEST, {"digest": _digest(token)}).first()
    if row is None or row.revoked_at is not None or row.disabled:
        return None
    if row.expires_at is not None and row.expires_at <= now():
        return None
    return row


def stale_use(row: Row) -> bool:
    """Whether a token's last use is worth writing down again (once a minute is enough)."""
    return row.last_used_at is None or now() - row.last_used_at > dt.timedelta(minutes=1)


def note_use(conn: Connection, token_id: int) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now()))


_BY_DIGEST = (
    select(
        users,
        api_tokens.c.id.label("token_id"),
        api_tokens.c.expires_at,
        api_tokens.c.revoked_at,
        api_tokens.c.last_used_at,
        api_tokens.c.kind,
    )
    .join(users, users.c.id == api_tokens.c.user_id)
    .where(api_tokens.c.digest == bindparam("digest"))
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(conn: Connection, name: str) -> Row:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFound(f"unknown user {name!r}")
    return row


def user_dict(row: Row) -> dict[str, Any]:
    return {
        "user": row.name,
        "role": row.role,
        "disabled": row.disabled,
        "active": not row.disabled,
        "inactive_reason": row.inactive_reason,
        "has_password": row.password_hash is not None,
        "created_at": row.created_at,
    }
