"""The MCP server: phasemem's memory as tools a model calls.

Two transports, one set of tools:

* **stdio** (a desktop client starts ``phasemem mcp``): one local database
  file, one user (``--user``); the process is the user's own.
* **streamable HTTP** (``phasemem mcp --transport http``): many tenants, the
  same API keys and per-tenant files as the REST server. The key arrives as
  ``Authorization: Bearer pm_...``; the SDK's bearer middleware calls our
  ``TokenVerifier``, and each tool reads the verified tenant from the
  request's access token, never from its arguments. Sessions are bound to the
  principal, so one tenant cannot drive another's session.

Tools take no ``user_id``: a model should not pick whose memory it reads.
The user is the server's ``--user`` (default ``default``) inside the tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from phasemem.context import assemble_context
from phasemem.errors import MissingExtraError, PhasememError
from phasemem.memory import Memory

try:
    from mcp.server.auth.middleware.auth_context import get_access_token
    from mcp.server.auth.provider import AccessToken
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError as exc:  # pragma: no cover - depends on the installed extra
    raise MissingExtraError("mcp", f"the MCP server (mcp>=2.3; {exc})") from exc

INSTRUCTIONS = """\
phasemem is this user's long-term memory across conversations. Use it so the user
never has to repeat themselves:
- At the start of a task, or when the user refers to something from before, call
  `context` with what the user asked; put what it returns before you answer.
- Call `remember` for anything worth knowing later: facts about the user (name, home,
  work, people, preferences, plans), decisions, and events with their dates. Store
  the user's own words or a short faithful paraphrase, one fact or event per call.
- Call `recall` to look up something specific; `facts` to see what is currently
  true about a person or thing (and, with include_expired, what used to be).
- Call `pin` only when the user states a standing instruction ("always answer in
  French"); pinned text is placed first in every context.
- Call `forget` only when the user asks you to forget something.
Memories are cited by id; quote the id when you rely on one."""

Resolver = Callable[[], tuple[Memory, str]]


def _run(fn: Callable[[], Any]) -> Any:
    """Library errors become tool errors with a message a model can act on."""
    try:
        return fn()
    except PhasememError as exc:
        raise ToolError(f"{exc.code}: {exc.message}") from exc


def build_server(resolve: Resolver, *, auth: tuple[Any, AuthSettings] | None = None) -> MCPServer:
    """The tools, bound to ``resolve()`` -> (Memory, user_id) for each call."""
    kwargs: dict[str, Any] = {}
    if auth is not None:
        kwargs = {"token_verifier": auth[0], "auth": auth[1]}
    server = MCPServer("phasemem", instructions=INSTRUCTIONS, **kwargs)

    async def call(work: Callable[[Memory, str], Any]) -> Any:
        mem, user = resolve()  # in the request's context, where the token is
        return await anyio.to_thread.run_sync(lambda: _run(lambda: work(mem, user)))

    @server.tool(description=(
        "Store one memory for later: a fact about the user, a preference, a decision or "
        "an event. Use the user's own words or a faithful paraphrase, one item per call. "
        "`occurred_at`: when it happened, as an ISO date or date-time (2024-03-02, "
        "2024-03-02T18:30:00Z); omit it for 'now'. `speaker`: who said it (a name). Returns "
        "the new id; storing the same text twice is harmless (event NOOP)."))  # fmt: skip
    async def remember(
        text: str, occurred_at: str | None = None, speaker: str | None = None
    ) -> dict[str, Any]:
        msg: Any = {"role": "user", "content": text, "name": speaker} if speaker else text
        res = await call(lambda m, u: m.add(msg, user_id=u, occurred_at=occurred_at, source="mcp"))
        return {"results": [r.to_dict() for r in res]}

    @server.tool(description=(
        "Search memory for what is relevant to a question, best first. Each result has its "
        "id, date (occurred_at), speaker and text. Use specific words (names, places, "
        "topics). `as_of` (ISO date) sees only what was known by then. `limit` 1-50."))  # fmt: skip
    async def recall(query: str, limit: int = 8, as_of: str | None = None) -> dict[str, Any]:
        if not 1 <= limit <= 50:
            raise ToolError("limit must be between 1 and 50")
        kw: dict[str, Any] = (
            {"filters": {"occurred_before": as_of}, "as_of": as_of} if as_of else {}
        )
        res = await call(lambda m, u: m.search(query, user_id=u, limit=limit, **kw))
        out = res.to_dict()
        keep = ("id", "memory", "occurred_at", "speaker", "score")
        out["results"] = [{k: r[k] for k in keep} for r in out["results"]]
        return out

    @server.tool(description=(
        "Get a ready-to-use context block for the current question: pinned instructions, "
        "current facts about the user, other relevant facts, and dated past conversation "
        "turns, each cited as [n]. Paste the returned `text` into your reasoning. "
        "`budget_tokens` (64-8000, default 1500) caps its size."))  # fmt: skip
    async def context(
        query: str, budget_tokens: int = 1500, as_of: str | None = None
    ) -> dict[str, Any]:
        if not 64 <= budget_tokens <= 8000:
            raise ToolError("budget_tokens must be between 64 and 8000")
        ctx = await call(lambda m, u: assemble_context(m, query, user_id=u,
                                                       budget_tokens=budget_tokens, as_of=as_of))  # fmt: skip
        return {"text": ctx.text, "tokens": ctx.tokens, "citations": ctx.citations}

    @server.tool(description=(
        "List facts (subject, relation, object) with when each became true and, if it "
        "stopped, when. Filter by `subject` (e.g. the user's name) and/or `relation` "
        "(e.g. 'live in'). Only current facts unless include_expired=true, which also "
        "shows superseded versions (history of a fact)."))  # fmt: skip
    async def facts(subject: str | None = None, relation: str | None = None,
                    include_expired: bool = False, limit: int = 50) -> dict[str, Any]:  # fmt: skip
        def work(m: Memory, u: str) -> list[Any]:
            fn = getattr(m, "facts", None)
            if fn is None:
                raise ToolError("facts are not available in this phasemem build")
            return fn(
                user_id=u, subject=subject, relation=relation, include_expired=include_expired
            )

        rows = await call(work)
        return {"results": [f.to_dict() for f in rows[: max(1, min(limit, 500))]]}

    @server.tool(description=(
        "Forget. With `memory_id`: delete that one memory (ids come from recall/context). "
        "With everything=true: erase ALL of this user's memories, pins and facts for good; "
        "only when the user explicitly asks to be forgotten entirely. Give exactly one."))  # fmt: skip
    async def forget(memory_id: str | None = None, everything: bool = False) -> dict[str, Any]:
        if bool(memory_id) == bool(everything):
            raise ToolError("give either memory_id or everything=true (not both, not neither)")
        if memory_id:
            ep = await call(lambda m, u: m.delete(memory_id, user_id=u))
            return {"deleted": ep.id}
        return await call(lambda m, u: m.forget(user_id=u))

    @server.tool(description=(
        "Pin a standing instruction or constraint from the user (e.g. 'Always answer in "
        "French', 'Never book flights before 9am'). Pinned text goes first into every "
        "context. To remove one, pass its id as `unpin_id` instead of `text`."))  # fmt: skip
    async def pin(text: str | None = None, unpin_id: str | None = None) -> dict[str, Any]:
        if bool(text) == bool(unpin_id):
            raise ToolError("give either text (to pin) or unpin_id (to remove a pin)")
        if unpin_id:
            p = await call(lambda m, u: m.unpin(unpin_id, user_id=u))
            return {"unpinned": p.to_dict()}
        p = await call(lambda m, u: m.pin(text, user_id=u))
        return {"pinned": p.to_dict()}

    return server


# -- stdio -------------------------------------------------------------------------------
def run_stdio(db: str | Path, *, user: str = "default", embedder: str | None = None,
              facts: bool = True) -> None:  # fmt: skip
    # a long-lived process: the in-memory BM25 index pays for its build
    mem = Memory(db, embedder=embedder, actor="mcp", extractor="default" if facts else None,
                 lexical_index=True)  # fmt: skip
    mem.warm_up()  # models load while the client connects: the first remember does not wait
    try:
        build_server(lambda: (mem, user)).run("stdio")
    finally:
        mem.close()


# -- streamable HTTP, multi-tenant -------------------------------------------------------------
class KeyVerifier:
    """The SDK's TokenVerifier over phasemem API keys."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            info = self.pool.keys.authenticate(token, slow=False)
            if info is None:
                info = await anyio.to_thread.run_sync(self.pool.keys.authenticate, token)
        except PhasememError:
            return None
        assert info is not None
        return AccessToken(token=token, client_id=info.kid, scopes=[], subject=info.tenant,
                           claims={"tenant": info.tenant})  # fmt: skip


def http_app(data_dir: str | Path, *, host: str, port: int, user: str = "default",
             embedder: str | None = None, facts: bool = True) -> Any:  # fmt: skip
    """The Starlette app serving MCP at ``/mcp`` for every tenant with a key."""
    from phasemem.server.tenants import TenantPool

    pool = TenantPool(data_dir, embedder=embedder, facts=facts)

    def resolve() -> tuple[Memory, str]:
        tok = get_access_token()
        tenant = (tok.claims or {}).get("tenant") if tok else None
        if not tenant:  # the bearer middleware refuses such requests first
            raise ToolError("unauthorized")
        return pool.get(tenant), user

    base = f"http://{host}:{port}"
    settings = AuthSettings(issuer_url=base, resource_server_url=f"{base}/mcp",
                            validate_token_resource=False)  # fmt: skip
    server = build_server(resolve, auth=(KeyVerifier(pool), settings))
    app = server.streamable_http_app(host=host)
    app.state.pool = pool
    return app


def run_http(data_dir: str | Path, *, host: str = "127.0.0.1", port: int = 8421,
             user: str = "default", embedder: str | None = None, facts: bool = True) -> None:  # fmt: skip
    import uvicorn

    app = http_app(data_dir, host=host, port=port, user=user, embedder=embedder, facts=facts)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        app.state.pool.close()
