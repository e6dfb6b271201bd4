"""`create_app(settings)`: the application `tracelot serve` runs: the REST API and the
web pages on the same users and sessions. It stands above both, so that neither imports
the other. No engine or settings at import time: the database is opened when the app
starts and closed when it stops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

import tracelot
from tracelot.api.app import create_api
from tracelot.http.keys import load_secret
from tracelot.services import users
from tracelot.store.engine import database_url
from tracelot.web import pages


@dataclass(frozen=True)
class Settings:
    """What the application needs to know: where the database is, and its secret key."""

    database_url: str | None = None  # else $TRACELOT_DATABASE_URL, else ./tracelot.db
    secret_key: str | None = None  # else $TRACELOT_SECRET_KEY, else the secret file
    secret_file: str | None = None  # else $TRACELOT_SECRET_FILE, else ~/.config/tracelot

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
    return app
