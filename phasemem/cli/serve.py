"""``phasemem serve``, ``phasemem mcp`` and ``phasemem keys``.

``phasemem.cli.main`` loads this module only when one of these commands is
named, so the server stacks never slow down the memory commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from phasemem.cli.common import console, emit_json, fail, json_option, row, table
from phasemem.errors import PhasememError
from phasemem.timeutil import iso


def _data_dir(value: str | None) -> Path:
    if value:
        return Path(value).expanduser()
    from phasemem.server.tenants import default_data_dir

    return default_data_dir()


def _embedder(ctx: click.Context, value: str | None) -> str | None:
    """The hidden --embedder of the command, else the top-level one."""
    if value:
        return value
    obj = ctx.find_root().obj
    return getattr(obj, "embedder", None)


data_dir_option = click.option(
    "--data-dir", default=None, envvar="PHASEMEM_SERVER_DIR", metavar="DIR",
    help="Server data: keys.db and tenants/<name>.db (default: $PHASEMEM_SERVER_DIR, "
    "else a 'server' folder next to the default database).",
)  # fmt: skip
embedder_option = click.option("--embedder", default=None, hidden=True)
lexical_option = click.option(
    "--lexical-index/--no-lexical-index", default=True, show_default=True,
    help="Keep an in-memory BM25 index per tenant handle (FTS5's exact scores, less CPU per "
    "search), built in the background when a tenant is opened (~2.5 s per 100K memories; "
    "FTS5 answers meanwhile).")  # fmt: skip
facts_option = click.option("--facts/--no-facts", default=True, show_default=True,
                            help="Extract facts from new memories (--no-facts: episodes only).")  # fmt: skip


def _guard(fn: Any) -> Any:
    """Library errors as one clean line (also when run standalone)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a: Any, **kw: Any) -> Any:
        try:
            return fn(*a, **kw)
        except PhasememError as exc:
            fail(exc)

    return wrapper


@click.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8420, show_default=True, type=click.IntRange(1, 65535))
@click.option("--max-body", default=1024 * 1024, show_default=True, type=click.IntRange(1024),
              help="Largest request body in bytes (bigger ones get 413).")  # fmt: skip
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))  # fmt: skip
@click.option("--readers", default=2, show_default=True, type=click.IntRange(1, 16),
              help="Read handles per tenant (parallel searches; each holds a copy of the vector index).")  # fmt: skip
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes, each with its own model and indexes (one per core for throughput).")  # fmt: skip
@click.option("--search-threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Threads per process that run searches (more fight over Python's lock).")  # fmt: skip
@click.option("--fast-search/--no-fast-search", default=True, show_default=True,
              help="Answer valid searches without FastAPI's per-request layers (same results).")  # fmt: skip
@click.option("--db", "tenant_db", default=None, metavar="URL",
              help="A PostgreSQL URL shared by every server: each tenant is a schema of its own "
                   "(default: a SQLite file per tenant under the data dir).")  # fmt: skip
@lexical_option
@facts_option
@embedder_option
@click.pass_context
@_guard
def serve(ctx: click.Context, data_dir: str | None, host: str, port: int, max_body: int,
          log_level: str, readers: int, workers: int, search_threads: int, fast_search: bool,
          tenant_db: str | None, lexical_index: bool, facts: bool, embedder: str | None) -> None:  # fmt: skip
    """Run the REST API and the web page (needs: pip install 'phasemem[server]')."""
    import os

    from phasemem.server import serve as run
    from phasemem.store.url import is_postgres

    if tenant_db is not None:
        if not is_postgres(tenant_db):
            raise click.BadParameter("--db takes a postgresql:// URL", param_hint="--db")
        os.environ["PHASEMEM_TENANT_DB"] = tenant_db  # every worker process inherits it
    d = _data_dir(data_dir)
    console.print(f"phasemem serving http://{host}:{port}/  (data: {d}; keys: phasemem keys create)",
                  highlight=False)  # fmt: skip
    run(d, host=host, port=port, embedder=_embedder(ctx, embedder), max_body=max_body,
        log_level=log_level, facts=facts, readers=readers, workers=workers,
        search_threads=search_threads, fast_search=fast_search,
        lexical_index=lexical_index)  # fmt: skip


@click.command()
@click.option(
    "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True
)
@click.option("--db", "db", default=None, metavar="PATH",
              help="stdio: the database file (default: the top-level --db, $PHASEMEM_DB, or the default).")  # fmt: skip
@click.option("--user", "user", default="default", show_default=True,
              help="Whose memories the tools read and write (http: for keys created without --user).")  # fmt: skip
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="http: interface.")
@click.option("--port", default=8421, show_default=True, type=click.IntRange(1, 65535))
@facts_option
@embedder_option
@click.pass_context
@_guard
def mcp(ctx: click.Context, transport: str, db: str | None, user: str, data_dir: str | None,
        host: str, port: int, facts: bool, embedder: str | None) -> None:  # fmt: skip
    """Run the MCP server (needs: pip install 'phasemem[mcp]').

    stdio serves one local database to a desktop client; http serves every
    tenant with an API key at http://HOST:PORT/mcp."""
    emb = _embedder(ctx, embedder)
    if transport == "stdio":  # the models load while the MCP SDK is imported
        from phasemem.cli.common import warm_up

        warm_up(emb, {"embedder", "extractor"} if facts else {"embedder"})
    from phasemem.mcp_server import server as ms
    from phasemem.scope import check_scope_value

    check_scope_value("user", user, required=True)
    if transport == "stdio":
        obj = ctx.find_root().obj
        path = db or (obj.db_path() if hasattr(obj, "db_path") else None)
        if path is None:
            from phasemem.memory import default_db_path

            path = str(default_db_path())
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        ms.run_stdio(path, user=user, embedder=emb, facts=facts)
    else:
        click.echo(f"phasemem MCP (streamable HTTP) at http://{host}:{port}/mcp", err=True)
        ms.run_http(_data_dir(data_dir), host=host, port=port, user=user, embedder=emb,
                    facts=facts)  # fmt: skip


@click.group()
def keys() -> None:
    """Manage API keys of the REST and MCP servers (one tenant per key)."""


def _keystore(data_dir: str | None, db: str | None) -> Any:
    from phasemem.server.keys_pg import open_keystore
    from phasemem.store.url import is_postgres

    if db is not None and not is_postgres(db):
        raise click.BadParameter("--db takes a postgresql:// URL", param_hint="--db")
    return open_keystore(_data_dir(data_dir), db)


keys_db_option = click.option(
    "--db", "keys_db", default=None, envvar="PHASEMEM_TENANT_DB", metavar="URL",
    help="The servers' PostgreSQL URL (serve --db): keys live in its shared keys table "
    "(default: keys.db in the data dir; env: PHASEMEM_TENANT_DB).")  # fmt: skip


@keys.command("create")
@click.option("--tenant", required=True, help="Tenant the key belongs to (a-z, 0-9, _ and -).")
@click.option("--name", default=None, help="A label for the key (e.g. the client's name).")
@click.option("--user", "user", default=None,
              help="The user this key acts as over MCP (default: the MCP server's --user).")  # fmt: skip
@data_dir_option
@keys_db_option
@json_option
@_guard
def keys_create(tenant: str, name: str | None, user: str | None, data_dir: str | None,
                keys_db: str | None, as_json: bool) -> None:  # fmt: skip
    """Create a key. It is printed once; only a salted hash is stored."""
    store = _keystore(data_dir, keys_db)
    try:
        key, info = store.create(tenant, name, user=user)
    finally:
        store.close()
    if as_json:
        emit_json({"key": key, **info.to_dict()})
    else:
        click.echo(key)
        click.echo(
            f"key id {info.kid} for tenant {info.tenant} (shown once: store it now)", err=True
        )


@keys.command("list")
@click.option("--tenant", default=None)
@data_dir_option
@keys_db_option
@json_option
@_guard
def keys_list(tenant: str | None, data_dir: str | None, keys_db: str | None, as_json: bool) -> None:
    """List keys (ids and tenants, never secrets)."""
    store = _keystore(data_dir, keys_db)
    try:
        rows = store.list(tenant)
    finally:
        store.close()
    if as_json:
        emit_json({"results": [r.to_dict() for r in rows]})
        return
    t = table([("key id", "id"), ("tenant", "short"), ("name", "text"), ("created", "when"),
               ("revoked", "when")])  # fmt: skip
    for r in rows:
        row(t, r.kid, r.tenant, r.name or "", _day_time(r.created_at), _day_time(r.revoked_at))
    console.print(t)


@keys.command("revoke")
@click.argument("key_id")
@data_dir_option
@keys_db_option
@json_option
@_guard
def keys_revoke(key_id: str, data_dir: str | None, keys_db: str | None, as_json: bool) -> None:
    """Revoke a key by its id; the servers refuse it from the next request on."""
    store = _keystore(data_dir, keys_db)
    try:
        info = store.revoke(key_id)
    finally:
        store.close()
    if as_json:
        emit_json(info.to_dict())
    else:
        console.print(f"revoked {info.kid} (tenant {info.tenant})", markup=False)


def _day_time(ts: float | None) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of a time, or "" for none."""
    text = iso(ts)
    return text[:19] if text else ""
