"""`tracelot serve`: the REST API (and, later, the web pages) on uvicorn."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from tracelot.cli.common import db


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Loopback unless told otherwise.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
) -> None:
    """Serve the API at http://HOST:PORT/api/v1 (OpenAPI at /api/v1/openapi.json, docs at
    /docs)."""
    tracelot = db(ctx)
    tracelot.check_schema()  # refuse to serve a database that is not set up
    os.environ["TRACELOT_DATABASE_URL"] = str(tracelot.engine.url.render_as_string(False))
    config = _Config(
        "tracelot.server:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
    try:
        if workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass


class _Config(uvicorn.Config):
    """uvicorn's settings, but the socket it binds for several workers says it is TCP.

    uvicorn (0.54) binds that socket as `socket(AF_INET)`, protocol 0; the connections
    accepted on it inherit that, and asyncio turns on TCP_NODELAY only for sockets that
    say IPPROTO_TCP. Without it, Nagle's algorithm holds each response's body until the
    client acknowledges its head: about 40 ms on every request but a connection's first
    (uvicorn issue #3149; measured by bench section `api`).
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
