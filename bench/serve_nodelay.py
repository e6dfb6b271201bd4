"""Run a command line of uvicorn's (or tracelot's) with uvicorn's listening socket marked
as TCP, so that its connections get TCP_NODELAY, as `tracelot serve` binds its own: the
`api` section serves its floor this way, so that both servers are served alike.

With `--workers N` (N > 1) uvicorn binds the socket itself, leaving its protocol at 0;
the sockets it accepts inherit that, and asyncio enables TCP_NODELAY only on sockets that
say IPPROTO_TCP. Nagle's algorithm then holds back each response's body until the client
acknowledges its head, which Linux's delayed ACK does after about 40 ms: every request on
a kept-alive connection but the first waits that long (uvicorn issue #3149; uvicorn
0.54.0). This restores the protocol on the bound socket; nothing else changes.

    python bench/serve_nodelay.py tracelot --db URL serve --workers 2 --port P
    python bench/serve_nodelay.py uvicorn floor_app:create --factory ... --workers 2
"""

from __future__ import annotations

import socket
import sys

from uvicorn.config import Config

_bind_socket = Config.bind_socket


def bind_socket(self: Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


def main() -> int:
    Config.bind_socket = bind_socket  # type: ignore[method-assign]
    program, sys.argv = sys.argv[1], sys.argv[1:]
    if program == "tracelot":
        from tracelot.cli.main import main as tracelot_main

        return tracelot_main() or 0
    if program == "uvicorn":
        from uvicorn.main import main as uvicorn_main

        return uvicorn_main() or 0
    raise SystemExit(f"usage: {sys.argv[0]} tracelot|uvicorn ARGS...")


if __name__ == "__main__":
    sys.exit(main())
