"""``POST /v1/search`` without FastAPI's per-request machinery, on a few engine threads.

Why (measured, ``docs/benchmarks.md``, 100K memories, 8 clients, 2 cores):

* FastAPI's routing, dependency solving, request and response models cost
  ~1.6 ms of CPU per search, most of it holding the interpreter lock that the
  engine needs too. Answering here: 175 -> 228 searches/s.
* The engine is Python-bound between its native calls. Eight searches on
  eight threads fight for the lock and each costs ~50% more CPU than one at
  a time (in-process: 3.5 ms per search on one thread, 5.2 ms on eight). So
  searches run on a small pool of their own (``phasemem serve
  --search-threads``, default 1) and wait their turn in its queue instead of
  in the lock.

What it never changes: only a request that the route's own model validates
comes here, and the answer is the route's ``run_search``, serialised. A body
that fails validation, a search that raises, or an answer that is not plain
JSON is handed to the FastAPI route with the same body, so every error keeps
the shape and code the route gives it (``phasemem.server.errors``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phasemem.server import schemas as S

__all__ = ["SearchFastPath"]

PATH = "/v1/search"


class SearchFastPath:
    """ASGI middleware; sits inside ``KeyAuth`` (the tenant is known) and
    inside ``BodyLimit`` (the body is whole and within the limit)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        handle: Callable[[str], Any],
        run_search: Callable[[Any, S.SearchRequest], dict[str, Any]],
        executor: ThreadPoolExecutor,
        stats: dict[str, int],
    ) -> None:
        self.app = app
        self.handle = handle  # tenant -> a read handle (Memory)
        self.run_search = run_search
        self.executor = executor  # the app owns it (closed in its lifespan)
        self.stats = stats  # "served" here, "handed_on" to the route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tenant = scope.get("state", {}).get("tenant") if scope["type"] == "http" else None
        if tenant is None or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        msg = await receive()
        if not _json_body(scope) or msg["type"] != "http.request" or msg.get("more_body", False):
            await self.app(scope, _replay(msg, receive), send)  # not buffered: leave it alone
            return
        raw = await self._answer(tenant, msg.get("body", b""))
        if raw is None:
            self.stats["handed_on"] += 1
            await self.app(scope, _replay(msg, receive), send)
            return
        self.stats["served"] += 1
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(raw)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": raw})

    async def _answer(self, tenant: str, body: bytes) -> bytes | None:
        """The response body, or ``None`` when the route must answer instead."""
        try:
            request = S.SearchRequest.model_validate_json(body)
        except (ValidationError, ValueError):
            return None
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.executor, self._search, tenant, request)
        except Exception:  # noqa: BLE001 - the route raises it again and formats it
            return None
        try:
            return json.dumps(result, ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode()  # fmt: skip
        except (TypeError, ValueError):  # not plain JSON: the route's encoder knows more
            return None

    def _search(self, tenant: str, request: S.SearchRequest) -> dict[str, Any]:
        return self.run_search(self.handle(tenant), request)


def _json_body(scope: Scope) -> bool:
    """Whether the route would parse this body as JSON: no Content-Type (the app
    is not strict about it) or ``application/json`` / ``application/*+json``,
    as FastAPI decides. Any other type goes to the route, which refuses it."""
    raw = next((v for k, v in scope["headers"] if k == b"content-type"), None)
    if raw is None:
        return True
    media = raw.decode("latin-1").split(";", 1)[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _replay(first: Message, receive: Receive) -> Receive:
    """``receive`` that gives ``first`` again, then the real stream."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return again
