"""The REST API (FastAPI): every library operation, per tenant, behind API keys.

Handlers are plain ``def`` so FastAPI runs them in its thread pool: the
library is synchronous, its SQLite store serialises writers on a lock and
queues on the file lock, and embedding and numpy release the GIL, so
concurrent clients overlap where the work allows and never share a
half-done write (each library call is one transaction).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Generator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from phasemem._version import __version__
from phasemem.errors import AuthError
from phasemem.memory import Memory
from phasemem.pipeline.context import default_token_counter
from phasemem.server import schemas as S
from phasemem.server.errors import BodyLimit, NotImplementedYet, _send_json, install
from phasemem.server.fastpath import SearchFastPath
from phasemem.server.security import SecurityHeaders
from phasemem.server.tenants import TenantPool
from phasemem.store.dump import dump_line

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEFAULT_MAX_BODY = 1024 * 1024
_PUBLIC = {"/v1/healthz"}


class _App(FastAPI):
    """FastAPI with :class:`SecurityHeaders` outside every other layer, even
    Starlette's error middleware, so a 500 carries the headers too (a layer
    added with ``add_middleware`` sits inside that one)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


class KeyAuth:
    """Resolves the tenant from the API key before any handler or body parsing
    runs, so a request without a valid key gets 401 whatever else is wrong."""

    def __init__(self, app: ASGIApp, pool: TenantPool) -> None:
        self.app = app
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v1/") or path in _PUBLIC:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw = headers.get(b"authorization", b"").decode("latin-1")
        key = raw[7:].strip() if raw[:7].lower() == "bearer " else None
        key = key or headers.get(b"x-api-key", b"").decode("latin-1").strip() or None
        try:
            info = self.pool.keys.authenticate(key, slow=False)
            if info is None:  # first use of this key in this process: scrypt off the loop
                info = await anyio.to_thread.run_sync(self.pool.keys.authenticate, key)
        except AuthError as exc:
            body = {"error": exc.to_dict()}
            await _send_json(send, 401, body, [(b"www-authenticate", b"Bearer")])
            return
        assert info is not None
        scope.setdefault("state", {})["tenant"] = info.tenant
        scope["state"]["key_id"] = info.kid
        await self.app(scope, receive, send)


def run_search(mem: Memory, body: S.SearchRequest) -> dict[str, Any]:
    """``POST /v1/search``'s answer (the route and ``SearchFastPath`` both call this).
    ``as_of`` goes to the library as it is: the library turns it into the filter."""
    filters = body.filters.model_dump(exclude_none=True) if body.filters else {}
    res = mem.search(body.query, user_id=body.user_id, agent_id=body.agent_id,
                     session_id=body.session_id, limit=body.limit, filters=filters or None,
                     config=body.preset, trace=body.trace, as_of=body.as_of)  # fmt: skip
    return res.to_dict()


_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer pm_...`")
_BEARER = Depends(_bearer)  # documents the scheme in OpenAPI; KeyAuth does the checking


def create_app(
    data_dir: str | Path,
    *,
    embedder: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    facts: bool = True,
    readers: int = 1,
    lexical_index: bool = True,
    search_threads: int = 1,
    fast_search: bool = True,
    pool: TenantPool | None = None,
) -> FastAPI:
    """The ASGI app. ``data_dir`` holds ``keys.db`` and ``tenants/<name>.db``.

    ``fast_search`` answers valid searches in ``SearchFastPath`` on
    ``search_threads`` threads; off, every search goes through the route."""
    pool = pool or TenantPool(
        data_dir, embedder=embedder, facts=facts, readers=readers, lexical_index=lexical_index
    )
    search_pool = ThreadPoolExecutor(max(1, search_threads), thread_name_prefix="search")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Load the models and the tokenizer before the first request, not during it.
        await anyio.to_thread.run_sync(pool.warm_up)
        await anyio.to_thread.run_sync(default_token_counter)
        yield
        search_pool.shutdown(wait=True, cancel_futures=True)
        pool.close()

    app = _App(
        lifespan=lifespan,
        # Swagger UI and ReDoc pages load their assets from a CDN: off (the
        # page would break offline and the CSP refuses them); the schema stays.
        docs_url=None,
        redoc_url=None,
        # Auth is a header, never a cookie, so a body without Content-Type
        # cannot be a cross-site forgery: parse it as JSON for curl's sake.
        strict_content_type=False,
        title="phasemem",
        version=__version__,
        description="Time-aware, local-first memory for AI agents. Every `/v1` call needs "
        "an API key (`Authorization: Bearer pm_...` or `X-API-Key`); the key decides the "
        "tenant, and a tenant only ever sees its own memories.",
        responses=S.ERRORS,
    )
    app.state.pool = pool
    app.state.search_fast_path = {"served": 0, "handed_on": 0}
    install(app)

    def _tenant(request: Request) -> str:
        tenant = getattr(request.state, "tenant", None)
        if tenant is None:  # pragma: no cover - KeyAuth runs first
            raise AuthError("missing or invalid API key")
        return tenant

    def tenant_reader(request: Request, _: Any = _BEARER) -> Memory:
        return pool.get(_tenant(request), write=False)

    def tenant_writer(request: Request, _: Any = _BEARER) -> Memory:
        return pool.get(_tenant(request), write=True)

    M = Depends(tenant_reader)  # reads: any of the tenant's handles
    W = Depends(tenant_writer)  # writes: the one writer

    # -- memories ---------------------------------------------------------------
    @app.post("/v1/memories", status_code=201, response_model=S.Results, tags=["memories"])
    def add(body: S.AddRequest, mem: Memory = W) -> dict[str, Any]:
        """Store messages as episodes, in one transaction (identical ones are NOOPs)."""
        msgs = body.messages
        payload: Any = (
            msgs if isinstance(msgs, str)
            else [m.model_dump(exclude_none=True) for m in (msgs if isinstance(msgs, list) else [msgs])]
        )  # fmt: skip
        res = mem.add(payload, user_id=body.user_id, agent_id=body.agent_id, session_id=body.session_id,
                      occurred_at=body.occurred_at, metadata=body.metadata, source=body.source,
                      source_kind=body.source_kind, actor=body.actor)  # fmt: skip
        return {"results": [r.to_dict() for r in res]}

    @app.get("/v1/memories", response_model=S.Page, tags=["memories"])
    def list_memories(
        user_id: str = Query(min_length=1, max_length=256, pattern=S.SCOPE_PATTERN),
        agent_id: str | None = Query(
            default=None, min_length=1, max_length=256, pattern=S.SCOPE_PATTERN
        ),
        session_id: str | None = Query(
            default=None, min_length=1, max_length=256, pattern=S.SCOPE_PATTERN
        ),
        limit: int = Query(default=100, ge=1, le=1000),
        offset: int = Query(default=0, ge=0, le=10**9),
        mem: Memory = M,
    ) -> dict[str, Any]:
        """A user's memories in time order, one page at a time."""
        eps = mem.get_all(user_id=user_id, agent_id=agent_id, session_id=session_id,
                          limit=limit, offset=offset)  # fmt: skip
        return {"results": [e.to_dict() for e in eps],
                "next_offset": offset + len(eps) if len(eps) == limit else None}  # fmt: skip

    @app.get("/v1/memories/{memory_id}", response_model=S.MemoryOut, tags=["memories"])
    def get_memory(memory_id: str, user_id: str | None = Query(default=None, min_length=1,
                   max_length=256, pattern=S.SCOPE_PATTERN), mem: Memory = M) -> dict[str, Any]:  # fmt: skip
        return mem.get(memory_id, user_id=user_id).to_dict()

    @app.patch("/v1/memories/{memory_id}", response_model=S.MemoryOut, tags=["memories"])
    def update_memory(memory_id: str, body: S.UpdateRequest, mem: Memory = W) -> dict[str, Any]:
        """Replace a memory's text; the old text stays in its history."""
        return mem.update(memory_id, body.text, user_id=body.user_id).to_dict()

    @app.delete("/v1/memories/{memory_id}", tags=["memories"])
    def delete_memory(memory_id: str, user_id: str | None = Query(default=None, min_length=1,
                      max_length=256), purge: bool = False, mem: Memory = W) -> dict[str, Any]:  # fmt: skip
        """Delete a memory (its history keeps the text); `purge=true` also empties
        its history and leaves no byte of it in the file (docs/erasure.md)."""
        return {"deleted": mem.delete(memory_id, user_id=user_id, purge=purge).to_dict()}

    @app.get("/v1/memories/{memory_id}/history", response_model=S.Results, tags=["memories"])
    def history(memory_id: str, user_id: str | None = Query(default=None, min_length=1,
                max_length=256), mem: Memory = M) -> dict[str, Any]:  # fmt: skip
        return {"results": [e.to_dict() for e in mem.history(memory_id, user_id=user_id)]}

    # -- retrieval ----------------------------------------------------------------
    @app.post("/v1/search", response_model=S.Results, tags=["retrieval"])
    def search(body: S.SearchRequest, mem: Memory = M) -> dict[str, Any]:
        """Hybrid search, best first; `as_of` sees the store as it stood then."""
        return run_search(mem, body)

    @app.post("/v1/context", tags=["retrieval"])
    def context(body: S.ContextRequest, mem: Memory = M) -> dict[str, Any]:
        """A prompt-ready block: pins, the user's facts, other facts, dated episodes, cited."""
        ctx = mem.context(body.query, user_id=body.user_id, budget_tokens=body.budget_tokens,
                          as_of=body.as_of, source=body.source)  # fmt: skip
        return ctx.to_dict()

    # -- facts ---------------------------------------------------------------------
    def _need(mem: Memory, name: str) -> Any:
        fn = getattr(mem, name, None)
        if fn is None:
            raise NotImplementedYet(f"this phasemem has no Memory.{name} yet")
        return fn

    @app.get("/v1/facts", response_model=S.Page, tags=["facts"])
    def list_facts(
        user_id: str = Query(min_length=1, max_length=256, pattern=S.SCOPE_PATTERN),
        subject: str | None = Query(default=None, min_length=1, max_length=512),
        relation: str | None = Query(default=None, min_length=1, max_length=512),
        as_of: str | None = Query(default=None, min_length=1, max_length=64),
        include_expired: bool = False,
        include_contested: bool = False,
        source: str | None = Query(
            default=None, min_length=1, max_length=256, pattern=S.SCOPE_PATTERN
        ),
        limit: int = Query(default=100, ge=1, le=1000),
        offset: int = Query(default=0, ge=0, le=10**9),
        mem: Memory = M,
    ) -> dict[str, Any]:
        """Facts (subject, relation, object) with their four times, the source
        that asserted each and its status; current ones unless asked
        (`include_contested`: also weaker sources' claims awaiting consensus)."""
        rows = _need(mem, "facts")(user_id=user_id, subject=subject, relation=relation,
                                   as_of=as_of, include_expired=include_expired,
                                   include_contested=include_contested, source=source)  # fmt: skip
        page = rows[offset : offset + limit]
        return {"results": [f.to_dict() for f in page],
                "next_offset": offset + limit if len(rows) > offset + limit else None}  # fmt: skip

    @app.post("/v1/facts/{fact_id}/confirm", tags=["facts"])
    def confirm_fact(fact_id: str, body: S.VerdictRequest, mem: Memory = W) -> dict[str, Any]:
        """The user confirms a fact: it becomes current; its sources gain trust."""
        return mem.confirm(fact_id, user_id=body.user_id).to_dict()

    @app.post("/v1/facts/{fact_id}/reject", tags=["facts"])
    def reject_fact(fact_id: str, body: S.VerdictRequest, mem: Memory = W) -> dict[str, Any]:
        """The user rejects a fact: kept as a lesson; its sources lose trust."""
        return mem.reject(fact_id, user_id=body.user_id).to_dict()

    @app.get("/v1/trust", tags=["facts"])
    def trust(user_id: str = Query(min_length=1, max_length=256, pattern=S.SCOPE_PATTERN),
              source: str = Query(min_length=1, max_length=256, pattern=S.SCOPE_PATTERN),
              mem: Memory = M) -> dict[str, Any]:  # fmt: skip
        """How far a source ("web:example.com") is trusted, and every change of it."""
        return mem.trust(source, user_id=user_id).to_dict()

    @app.get("/v1/timeline", response_model=S.Results, tags=["facts"])
    def timeline(user_id: str = Query(min_length=1, max_length=256, pattern=S.SCOPE_PATTERN),
                 entity: str = Query(min_length=1, max_length=512),
                 as_of: str | None = Query(default=None, min_length=1, max_length=64),
                 mem: Memory = M) -> dict[str, Any]:  # fmt: skip
        """Every version of an entity's facts, superseded ones included, oldest
        first; with `as_of`, the timeline as it stood then: only the versions
        that had begun, without ends or replacements that came later."""
        rows = _need(mem, "timeline")(entity, user_id=user_id, as_of=as_of)
        return {"results": [f.to_dict() for f in rows]}

    @app.get("/v1/graph", tags=["facts"])
    def graph(user_id: str = Query(min_length=1, max_length=256, pattern=S.SCOPE_PATTERN),
              entity: str | None = Query(default=None, min_length=1, max_length=512),
              as_of: str | None = Query(default=None, min_length=1, max_length=64),
              limit: int = Query(default=300, ge=1, le=2000), mem: Memory = M) -> dict[str, Any]:  # fmt: skip
        """Entities (nodes) and facts (edges) true now, or at `as_of`; around `entity` when given."""
        rows = _need(mem, "facts")(user_id=user_id, as_of=as_of)
        if entity:
            e = entity.casefold()
            rows = [f for f in rows if e in (str(f.subject).casefold(), str(f.object).casefold())]
        rows = rows[:limit]
        names: dict[str, int] = {}
        for f in rows:
            for n in (str(f.subject), str(f.object)):
                names[n] = names.get(n, 0) + 1
        return {"nodes": [{"id": n, "degree": d} for n, d in names.items()],
                "edges": [{"id": f.id, "source": str(f.subject), "target": str(f.object),
                           "relation": f.relation} for f in rows]}  # fmt: skip

    # -- pins, export, forget --------------------------------------------------------
    @app.post("/v1/pins", status_code=201, tags=["pins"])
    def pin(body: S.PinRequest, mem: Memory = W) -> dict[str, Any]:
        """Pin an instruction: it goes first into every context of this user."""
        return _need(mem, "pin")(body.text, user_id=body.user_id).to_dict()

    @app.get("/v1/pins", response_model=S.Results, tags=["pins"])
    def pins(
        user_id: str = Query(min_length=1, max_length=256, pattern=S.SCOPE_PATTERN), mem: Memory = M
    ) -> dict[str, Any]:
        return {"results": [p.to_dict() for p in _need(mem, "pins")(user_id=user_id)]}

    @app.delete("/v1/pins/{pin_id}", tags=["pins"])
    def unpin(pin_id: str, user_id: str = Query(min_length=1, max_length=256, pattern=S.SCOPE_PATTERN),
              mem: Memory = W) -> dict[str, Any]:  # fmt: skip
        return {"deleted": _need(mem, "unpin")(pin_id, user_id=user_id).to_dict()}

    @app.get("/v1/export", tags=["admin"],
             responses={200: {"content": {"application/x-ndjson": {}}}})  # fmt: skip
    def export(user_id: str | None = Query(default=None, min_length=1, max_length=256, pattern=S.SCOPE_PATTERN),
               mem: Memory = M) -> StreamingResponse:  # fmt: skip
        """The tenant's whole memory (one user's with `user_id`) in the export
        format (docs: `phasemem.store.dump`), streamed from one snapshot as it is
        read: no file is written, and a client that leaves stops the read."""
        rows = mem.export_iter(user_id=user_id)
        first = next(rows)  # bad arguments fail here, as a JSON error
        return StreamingResponse(_ndjson(first, rows), media_type="application/x-ndjson")

    @app.post("/v1/forget", tags=["admin"])
    def forget(body: S.ForgetRequest, mem: Memory = W) -> dict[str, Any]:
        """Erase every trace of a user (episodes, pins, facts, log payloads) and prove it."""
        return _need(mem, "forget")(user_id=body.user_id)

    # -- service ---------------------------------------------------------------------------
    @app.get("/v1/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        # indexes_building: tenant handles of this process still building their
        # in-memory BM25 index (FTS5 serves them meanwhile); 0 = warmed up
        # search: how many searches this process answered on the direct path
        # (``served``) and handed to the route (``handed_on``: invalid or failing)
        return {"status": "ok", "version": __version__, "pid": os.getpid(),
                "indexes_building": pool.indexes_building(),
                "search": dict(app.state.search_fast_path)}  # fmt: skip

    @app.get("/v1/whoami", response_model=S.Whoami, tags=["service"])
    def whoami(request: Request, _: Any = _BEARER) -> dict[str, Any]:
        return {"tenant": request.state.tenant, "key_id": request.state.key_id}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    if fast_search:  # innermost of the three: after auth and the body limit
        app.add_middleware(SearchFastPath, handle=lambda t: pool.get(t, write=False),
                           run_search=run_search, executor=search_pool,
                           stats=app.state.search_fast_path)  # fmt: skip
    app.add_middleware(KeyAuth, pool=pool)
    app.add_middleware(BodyLimit, max_bytes=max_body)
    return app


async def _ndjson(
    first: dict[str, Any], rows: Generator[dict[str, Any], None, None]
) -> AsyncIterator[bytes]:
    """JSON lines in chunks of a few hundred rows, read off the event loop;
    the snapshot is closed when the stream ends, fails or is abandoned."""

    def take() -> bytes:
        return "".join(dump_line(r) for r in itertools.islice(rows, 256)).encode()

    try:
        yield dump_line(first).encode()
        while chunk := await anyio.to_thread.run_sync(take):
            yield chunk
    finally:
        rows.close()
