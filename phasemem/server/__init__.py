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


def serve(data_dir: str | Path, *, host: str = "127.0.0.1", port: int = 8420,
          embedder: str | None = None, max_body: int | None = None,
          log_level: str = "warning", facts: bool = True, readers: int = 1) -> None:  # fmt: skip
    """Run the server until interrupted (one process; handlers use its thread pool)."""
    _require()
    import uvicorn

    from phasemem.server.app import DEFAULT_MAX_BODY
    from phasemem.server.app import create_app as _create

    app = _create(data_dir, embedder=embedder, max_body=max_body or DEFAULT_MAX_BODY, facts=facts)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False,
                timeout_graceful_shutdown=5)  # fmt: skip


__all__ = ["create_app", "serve"]
