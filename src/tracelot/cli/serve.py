"""`tracelot serve`: the REST API (and, later, the web pages) on uvicorn."""

import os
import sys
from typing import Annotated

import typer

from tracelot.cli.common import db
from tracelot.cli.output import print_json


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Loopback unless told otherwise.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="First print where it serves, as one JSON line.")
    ] = False,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            "--forwarded-allow-ips",
            envvar="TRACELOT_FORWARDED_ALLOW_IPS",
            help="Addresses of proxies whose X-Forwarded-For and X-Forwarded-Proto are "
            "trusted (comma-separated; `*` for any). None by default: a client's own "
            "X-Forwarded-For is ignored.",
        ),
    ] = "",
    worker_timeout: Annotated[
        int,
        typer.Option(
            "--worker-timeout",
            envvar="TRACELOT_WORKER_TIMEOUT",
            min=1,
            max=3600,
            help="Seconds a worker may take to start, or to answer a health check, before "
            "it is replaced (importing the application takes seconds on a loaded machine).",
        ),
    ] = 60,
) -> None:
    """Serve the API at http://HOST:PORT/api/v1 (OpenAPI at /api/v1/openapi.json, docs at
    /docs)."""
    import uvicorn  # the server loads only to serve
    from uvicorn.supervisors import Multiprocess

    from tracelot.cli.uvicorn_config import TcpConfig

    tracelot = db(ctx)
    tracelot.check_schema()  # refuse to serve a database that is not set up
    os.environ["TRACELOT_DATABASE_URL"] = str(tracelot.engine.url.render_as_string(False))
    if as_json:
        base = f"http://{host}:{port}"
        print_json({"url": f"{base}/", "api": f"{base}/api/v1", "workers": workers})
        sys.stdout.flush()
    trusted = [a.strip() for a in forwarded_allow_ips.split(",") if a.strip()]
    config = TcpConfig(
        "tracelot.server:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # a client's X-Forwarded-For counts only from the proxies named: else anyone on
        # loopback could pose as any address (and reset the login limit of theirs)
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        timeout_worker_healthcheck=worker_timeout,
    )
    try:
        if workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
