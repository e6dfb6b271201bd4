"""Sending labels to a thermal printer: the printer's raw port (9100), as its makers
and every label program do. The printer is a server the user names; nothing else is
reached."""

from __future__ import annotations

import re
import socket

from tracelot.domain.errors import InvalidInput, NotAvailable

RAW_PORT = 9100
_ADDRESS = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.\-]+))(?::(?P<port>\d+))?$"
)


def parse_address(text: str) -> tuple[str, int]:
    """HOST, HOST:PORT or [IPv6]:PORT (the port 9100 when none is given)."""
    match = _ADDRESS.match((text or "").strip())
    port = int(match["port"]) if match and match["port"] else RAW_PORT
    if not match or not 1 <= port <= 65535:
        raise InvalidInput(f"printer {text!r}: give HOST or HOST:PORT (the raw port, 9100)")
    return match["v6"] or match["host"], port


def send(address: str, data: bytes, *, timeout: float = 10.0) -> str:
    """Send `data` to the printer at `address`, whole; the address it went to."""
    host, port = parse_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(data)
    except OSError as exc:
        raise NotAvailable(
            f"cannot send to the printer at {host}:{port}: {exc.strerror or exc}"
        ) from None
    return f"{host}:{port}"
