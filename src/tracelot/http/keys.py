"""The secret key that makes the web sessions' CSRF tokens: from the settings, from
$TRACELOT_SECRET_KEY, or from a file (made once, readable by its owner only) named by the
settings, by $TRACELOT_SECRET_FILE, or `~/.config/tracelot/secret_key`. Never in the code."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

MIN_LENGTH = 32


def default_secret_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "tracelot" / "secret_key"


def load_secret(key: str | None = None, path: str | Path | None = None) -> bytes:
    key = key or os.environ.get("TRACELOT_SECRET_KEY")
    if key:
        if len(key) < MIN_LENGTH:
            raise ValueError(f"the secret key needs at least {MIN_LENGTH} characters")
        return key.encode()
    path = Path(path or os.environ.get("TRACELOT_SECRET_FILE") or default_secret_file())
    if not path.exists():
        _make(path)
    if path.stat().st_mode & 0o077:
        raise PermissionError(f"{path} must be readable by its owner only: chmod 600 {path}")
    text = path.read_text().strip()
    if len(text) < MIN_LENGTH:
        raise ValueError(f"{path} holds no secret key of at least {MIN_LENGTH} characters")
    return text.encode()


def _make(path: Path) -> None:
    """Write a new key: to a file of its own, then linked into place, so that workers
    starting together agree on one key and none reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another worker made it first: theirs is the key
    finally:
        draft.unlink()


def csrf_token(secret: bytes, session_token: str) -> str:
    """The CSRF token of a web session: the page sends it back as X-CSRF-Token."""
    return hmac.new(secret, session_token.encode(), hashlib.sha256).hexdigest()
