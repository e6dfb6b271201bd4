"""uvicorn's settings as `tracelot serve` uses them (imported only by that command: uvicorn
is not loaded by the rest of the command line)."""

import socket

import uvicorn


class TcpConfig(uvicorn.Config):
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
