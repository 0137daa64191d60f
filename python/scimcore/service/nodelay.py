"""uvicorn's HTTP protocol with ``TCP_NODELAY`` on every connection, for ``scimcore serve``.

With ``--workers``, uvicorn binds the listening socket itself with protocol number 0, and asyncio sets
``TCP_NODELAY`` only on sockets whose protocol is TCP: the accepted connections then keep Nagle's algorithm, and a
response sent as headers then body waits for the client's delayed ACK (about 40 ms on Linux loopback; measured by
``benches/load.py``: 46 ms against 1.4 ms for a GET). Setting the option when the connection is made removes the
wait. Imported by uvicorn from its name (``http="scimcore.service.nodelay:NoDelayHTTP"``); needs uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

__all__ = ["NoDelayHTTP"]


class NoDelayHTTP(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's default HTTP protocol, with ``TCP_NODELAY`` set on its connection."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock: Any = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
