"""Sending mail through the SMTP server an installation names (recall notices).

The server belongs to the installation, not to its data, so it comes from environment
variables (CONVENTIONS): `TRACELOT_SMTP_HOST`, `TRACELOT_SMTP_PORT`, `TRACELOT_SMTP_TLS`
(`none`, `starttls` or `tls`), `TRACELOT_SMTP_USER`, `TRACELOT_SMTP_PASSWORD_FILE` (the
password is read from that file, never from a variable or the command line) and
`TRACELOT_SMTP_FROM`; or the same keys, `KEY=VALUE` a line, in the settings file that
`TRACELOT_SETTINGS_FILE` names (a variable that is set wins over the file).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from tracelot.domain.contacts import check_email
from tracelot.domain.errors import InvalidInput

TLS_MODES = ("none", "starttls", "tls")
KEYS = ("HOST", "PORT", "TLS", "USER", "PASSWORD_FILE", "FROM")
TIMEOUT_S = 30


class DeliveryError(Exception):
    """A message the server did not take: its words, to record and retry later."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    tls: str
    sender: str
    user: str | None = None
    password_file: Path | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        """The SMTP settings of this installation, or a refusal naming what is missing."""
        environ = os.environ if environ is None else environ
        values = _settings_file(environ.get("TRACELOT_SETTINGS_FILE"))
        values.update({k: environ[k] for k in environ if k.startswith("TRACELOT_SMTP_")})
        get = lambda key: (values.get(f"TRACELOT_SMTP_{key}") or "").strip() or None  # noqa: E731
        host, sender = get("HOST"), get("FROM")
        if host is None or sender is None:
            raise InvalidInput(
                "no mail server is set up: set TRACELOT_SMTP_HOST and TRACELOT_SMTP_FROM "
                "(and TRACELOT_SMTP_PORT, _TLS, _USER, _PASSWORD_FILE as needed)"
            )
        tls = (get("TLS") or "starttls").lower()
        if tls not in TLS_MODES:
            raise InvalidInput(f"TRACELOT_SMTP_TLS must be one of {', '.join(TLS_MODES)}")
        default_port = {"none": 25, "starttls": 587, "tls": 465}[tls]
        try:
            port = int(get("PORT") or default_port)
        except ValueError:
            raise InvalidInput("TRACELOT_SMTP_PORT must be a number") from None
        if not 0 < port < 65536:
            raise InvalidInput(f"TRACELOT_SMTP_PORT {port} is not a port")
        password_file = Path(get("PASSWORD_FILE")) if get("PASSWORD_FILE") else None
        if password_file is not None and not password_file.is_file():
            raise InvalidInput(f"TRACELOT_SMTP_PASSWORD_FILE {password_file} is not a file")
        return cls(host, port, tls, check_email(sender), get("USER"), password_file)

    def send(self, messages: list[EmailMessage]) -> list[DeliveryError | None]:
        """Send each message over one connection: None for each the server took, else
        what it said. A connection that fails fails every message not sent yet."""
        results: list[DeliveryError | None] = []
        try:
            with self._connect() as smtp:
                for message in messages:
                    try:
                        smtp.send_message(message)
                        results.append(None)
                    except smtplib.SMTPRecipientsRefused as exc:
                        said = "; ".join(
                            f"{code} {text.decode(errors='replace')}"
                            for code, text in exc.recipients.values()
                        )
                        results.append(DeliveryError(f"refused by the mail server: {said}"))
                    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                        text = exc.smtp_error.decode(errors="replace")
                        results.append(DeliveryError(f"refused: {exc.smtp_code} {text}"))
        except (smtplib.SMTPException, OSError) as exc:
            failure = DeliveryError(f"mail server {self.host}:{self.port}: {exc}")
            results.extend(failure for _ in messages[len(results) :])
        return results

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.tls == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=TIMEOUT_S, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S)
            if self.tls == "starttls":
                smtp.starttls(context=context)
        if self.user is not None:
            password = self.password_file.read_text().strip() if self.password_file else ""
            smtp.login(self.user, password)
        return smtp


def _settings_file(path: str | None) -> dict[str, str]:
    if not path:
        return {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidInput(f"TRACELOT_SETTINGS_FILE {path}: {exc.strerror}") from None
    found = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and not key.strip().startswith("#"):
            found[key.strip()] = value.strip()
    return found
