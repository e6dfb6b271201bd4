"""`create_app(settings)`: the application `tracelot serve` runs: the REST API and the
web pages on the same users and sessions. It stands above both, so that neither imports
the other. No engine or settings at import time: the database is opened when the app
starts and closed when it stops."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI

import tracelot
from tracelot.api.app import create_api
from tracelot.http.guard import BodyLimits, Guard, MiB
from tracelot.http.keys import load_secret
from tracelot.services import users
from tracelot.store.engine import database_url
from tracelot.web import pages


def _bytes(name: str, default: int) -> int:
    """A size from the environment: bytes (`16777216`) or with a unit (`16MiB`, `512KiB`,
    `1GiB`); refused at start if it is neither."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    match = re.fullmatch(r"(\d+)\s*(|B|KiB|MiB|GiB)", text, re.IGNORECASE)
    if not match or int(match[1]) < 1:
        raise ValueError(f"{name}={text!r}: give a size such as 16MiB or 16777216 (bytes)")
    unit = {"": 1, "b": 1, "kib": 2**10, "mib": MiB, "gib": 2**30}[match[2].lower()]
    return int(match[1]) * unit


def _body_limits() -> BodyLimits:
    defaults = BodyLimits()
    return BodyLimits(
        body=_bytes("TRACELOT_MAX_BODY_BYTES", defaults.body),
        capture=_bytes("TRACELOT_MAX_CAPTURE_BYTES", defaults.capture),
        imports=_bytes("TRACELOT_MAX_IMPORT_BYTES", defaults.imports),
    )


@dataclass(frozen=True)
class Settings:
    """What the application needs to know: where the database is, its secret key, and
    how large a request body may be."""

    database_url: str | None = None  # else $TRACELOT_DATABASE_URL, else ./tracelot.db
    secret_key: str | None = None  # else $TRACELOT_SECRET_KEY, else the secret file
    secret_file: str | None = None  # else $TRACELOT_SECRET_FILE, else ~/.config/tracelot
    #: else $TRACELOT_MAX_BODY_BYTES, $TRACELOT_MAX_CAPTURE_BYTES, $TRACELOT_MAX_IMPORT_BYTES
    body_limits: BodyLimits = field(default_factory=_body_limits)

    @property
    def url(self) -> str:
        return database_url(self.database_url)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.secret = load_secret(settings.secret_key, settings.secret_file)
        app.state.tracelot = tracelot.connect(settings.url, user="api")
        users.prepare_logins()  # no first login is faster than the others
        try:
            yield
        finally:
            jobs = getattr(app.state, "jobs", None)
            if jobs is not None:  # the job in hand finishes; the queued ones are dropped
                jobs.shutdown(wait=True, cancel_futures=True)
            app.state.tracelot.close()

    app = create_api(lifespan)
    pages.install(app)  # after the API: its error pages hand the API's paths to the API
    app.state.body_limits = settings.body_limits
    app.add_middleware(Guard, limits=settings.body_limits)  # body limits, security headers
    return app
