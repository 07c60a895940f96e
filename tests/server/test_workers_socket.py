"""Multi-worker serving: connections accepted on the shared socket have TCP_NODELAY.

Without it, each response written in two parts waited ~40 ms for the client's
delayed ACK (uvicorn's own socket has protocol 0, so asyncio skips the option)."""

from __future__ import annotations

import socket

import uvicorn

from phasemem.server import listening_socket


def test_accepted_connections_inherit_nodelay() -> None:
    cfg = uvicorn.Config("phasemem.server:app_from_env", factory=True, host="127.0.0.1", port=0)
    srv = listening_socket(cfg)
    try:
        assert srv.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        srv.listen()  # uvicorn listens when a worker starts serving
        port = srv.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as cli:
            conn, _ = srv.accept()
            with conn:
                assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
            cli.close()
    finally:
        srv.close()
