"""The REST server (``phasemem serve``, extra ``[server]``).

``create_app(data_dir)`` builds the FastAPI app; ``serve()`` runs it with
uvicorn. Importing this package needs FastAPI: a clear
``MissingExtraError`` says how to install it when it is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from phasemem.errors import MissingExtraError


def _require() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("server", "the REST server") from exc


def create_app(data_dir: str | Path, **kwargs: Any) -> Any:
    _require()
    from phasemem.server.app import create_app as _create

    return _create(data_dir, **kwargs)


_ENV = "PHASEMEM_SERVE_CONFIG"


def serve(data_dir: str | Path, *, host: str = "127.0.0.1", port: int = 8420,
          embedder: str | None = None, max_body: int | None = None,
          log_level: str = "warning", facts: bool = True, readers: int = 1,
          workers: int = 1, lexical_index: bool = True, search_threads: int = 1,
          fast_search: bool = True) -> None:  # fmt: skip
    """Run the server until interrupted.

    ``workers`` > 1 starts that many processes on one socket (uvicorn's
    supervisor): each has its own interpreter lock, tenant handles and copy
    of the model, so Python-bound work (fusion, JSON, HTTP) uses every core.
    They share the files: SQLite (WAL) serialises their writes, and each
    process's vector index follows the others' commits through the event log."""
    _require()
    import json
    import os

    import uvicorn

    from phasemem.server.app import DEFAULT_MAX_BODY

    config = {"data_dir": str(data_dir), "embedder": embedder, "facts": facts, "readers": readers,
              "max_body": max_body or DEFAULT_MAX_BODY, "lexical_index": lexical_index,
              "search_threads": search_threads, "fast_search": fast_search}  # fmt: skip
    os.environ[_ENV] = json.dumps(config)  # how worker processes get their settings
    if workers == 1:
        uvicorn.run(app_from_env(), host=host, port=port, log_level=log_level, access_log=False,
                    timeout_graceful_shutdown=5)  # fmt: skip
        return
    # FairAcceptLoop: without it asyncio puts a burst of new connections all in one process
    _serve_workers(uvicorn.Config("phasemem.server:app_from_env", factory=True, host=host,
                                  port=port, workers=workers, log_level=log_level,
                                  loop="phasemem.server.fairloop:FairAcceptLoop",
                                  access_log=False, timeout_graceful_shutdown=5))  # fmt: skip


def _serve_workers(config: Any) -> None:
    """uvicorn's process supervisor on a listening socket with ``TCP_NODELAY``.

    Why not ``uvicorn.run(workers=N)``: uvicorn creates that socket with
    protocol 0, so asyncio does not set ``TCP_NODELAY`` on the connections it
    accepts, and a response written in two parts (head, then body) waits for
    the client's delayed ACK: every request took ~56 ms instead of ~9 ms
    (measured, 100K memories, one client). Linux copies the option from the
    listening socket to each accepted one."""
    import contextlib

    from uvicorn.supervisors import Multiprocess

    with contextlib.suppress(KeyboardInterrupt):  # an interactive stop
        Multiprocess(config, sockets=[listening_socket(config)]).run()


def listening_socket(config: Any) -> Any:
    """``config.bind_socket()`` with ``TCP_NODELAY`` set (see ``_serve_workers``)."""
    import socket

    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def app_from_env() -> Any:
    """The app built from ``$PHASEMEM_SERVE_CONFIG`` (set by ``serve``)."""
    import json
    import os

    from phasemem.server.app import create_app as _create

    cfg = json.loads(os.environ[_ENV])
    return _create(cfg.pop("data_dir"), **cfg)


__all__ = ["app_from_env", "create_app", "serve"]
