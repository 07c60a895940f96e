"""Entry point and the memory commands (add, search, get, list, update, delete,
history, export, import, doctor, demo). Facts, context, pins and forget live
in ``knowledge.py``; benchmarks in ``bench.py``; servers in ``serve.py``.

Startup cost matters here (an agent may run ``phasemem search`` per turn): the
top level imports click and rich only. Each command imports the library when
it runs, and the server, benchmark and TKG commands are loaded only when
named (:class:`_Group`).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from phasemem.cli.common import (
    Ctx,
    console,
    emit_json,
    err_console,
    fail,
    json_option,
    pass_ctx,
    print_kv,
    row,
    table,
)
from phasemem.errors import PhasememError

#: Commands defined in modules that are imported only when the command is named.
_LAZY: dict[str, tuple[str, str, str]] = {
    "bench": ("phasemem.cli.bench", "bench", "Run benchmarks (LoCoMo recall, scale, temporal, load)."),
    "keys": ("phasemem.cli.serve", "keys", "Manage API keys of the REST and MCP servers."),
    "mcp": ("phasemem.cli.serve", "mcp", "Run the MCP server (needs: pip install 'phasemem[mcp]')."),
    "migrate": ("phasemem.cli.migrate", "migrate", "Move a memory between databases (SQLite <-> PostgreSQL)."),
    "serve": ("phasemem.cli.serve", "serve", "Run the REST API and the web page (needs 'phasemem[server]')."),
    "tkg": ("phasemem.research.tkg.cli", "tkg", "Temporal knowledge-graph completion (needs 'phasemem[tkg]')."),
}  # fmt: skip


class _Group(click.Group):
    """Turns library errors into one clean line and exit code 2, and loads
    the heavy command modules only when one of their commands is named."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PhasememError as exc:
            fail(exc)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in _LAZY:
            return cmd
        module, attr, _ = _LAZY[name]
        try:
            cmd = getattr(importlib.import_module(module), attr)
        except ImportError:  # a module left out of a partial install
            return None
        self.add_command(cmd, name)
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list without importing the lazy modules for their help line."""
        rows = []
        for name in self.list_commands(ctx):
            if name in _LAZY and name not in self.commands:
                rows.append((name, _LAZY[name][2]))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_Group)
@click.option("--db", envvar="PHASEMEM_DB", default=None, metavar="PATH",
              help="Database file or sqlite:///PATH (default: $PHASEMEM_DB, else "
                   "~/.local/share/phasemem/memory.db).")  # fmt: skip
@click.option("--embedder", default=None, hidden=True, help="Embedder name (tests use hash-test).")
@click.version_option(package_name="phasemem")
@click.pass_context
def cli(ctx: click.Context, db: str | None, embedder: str | None) -> None:
    """phasemem: time-aware, local-first memory for AI agents.

    Ids may be given as a unique prefix (the 8 characters tables show)."""
    ctx.obj = Ctx(db=db, embedder=embedder)


def _scope(f: Any) -> Any:
    f = click.option("--session", "session_id", default=None, help="Session id.")(f)
    f = click.option("--agent", "agent_id", default=None, help="Agent id.")(f)
    return click.option(
        "--user", "user_id", required=True, help="User id (the scope every read needs)."
    )(f)


def _when(ep: Any) -> str:
    return ep.occurred.strftime("%Y-%m-%d %H:%M")


@cli.command()
@_scope
@click.argument("text")
@click.option("--role", type=click.Choice(["user", "assistant", "system", "tool"]), default=None)
@click.option("--speaker", default=None, help="Who said it (a name).")
@click.option("--at", "occurred_at", default=None,
              help="When it happened (ISO date/time or e.g. '8 May 2023').")  # fmt: skip
@click.option("--source", default=None,
              help="Where it came from: kind:name (web:example.com, email:a@b.org, tool:crm).")  # fmt: skip
@click.option("--actor", default=None, help="Who wrote it into memory (an app, an agent).")
@click.option("--meta", "metadata", default=None, help="Metadata as a JSON object.")
@click.option("--no-facts", is_flag=True, help="Store the episode only; extract no facts.")
@json_option
@pass_ctx
def add(c: Ctx, text: str, user_id: str, agent_id: str | None, session_id: str | None,
        role: str | None, speaker: str | None, occurred_at: str | None, source: str | None,
        actor: str | None, metadata: str | None, no_facts: bool, as_json: bool) -> None:  # fmt: skip
    """Store TEXT as a memory ('-' reads standard input)."""
    import json

    from phasemem.errors import InvalidInputError

    content: str | bytes = sys.stdin.buffer.read() if text == "-" else text
    meta = None
    if metadata:
        try:
            meta = json.loads(metadata)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"--meta is not JSON: {exc}", field="metadata") from exc
    msg: Any = (
        content
        if role is None and speaker is None
        else {"role": role, "content": content, "name": speaker}
    )
    kw: dict[str, Any] = (
        {"extractor": None, "warm": ("embedder",)}
        if no_facts
        else {"warm": ("embedder", "extractor")}
    )
    with c.memory(**kw) as mem:
        res = mem.add(msg, user_id=user_id, agent_id=agent_id, session_id=session_id,
                      occurred_at=occurred_at, metadata=meta, source=source, actor=actor)  # fmt: skip
    if as_json:
        emit_json({"results": [r.to_dict() for r in res]})
        return
    for r in res:
        console.print(f"{r.event} {r.id}", markup=False)
        for op in r.facts:
            console.print(f"  fact {op.op}: {op.text}", markup=False)


@cli.command()
@_scope
@click.argument("query")
@click.option("--limit", "-k", default=10, show_default=True)
@click.option("--preset", default=None, help="Retrieval preset: balanced, lexical, dense.")
@click.option("--after", default=None, help="Only memories that happened at/after this time.")
@click.option("--before", default=None, help="Only memories that happened at/before this time.")
@click.option("--as-of", "as_of", default=None,
              help="Answer as of this date: what was known and true then (facts ranked at it).")  # fmt: skip
@click.option("--trace", is_flag=True, help="Show what each retrieval stage produced.")
@json_option
@pass_ctx
def search(c: Ctx, query: str, user_id: str, agent_id: str | None, session_id: str | None,
           limit: int, preset: str | None, after: str | None, before: str | None,
           as_of: str | None, trace: bool, as_json: bool) -> None:  # fmt: skip
    """Search memories, best first, and the facts that answer QUERY."""
    filters = {k: v for k, v in {"occurred_after": after, "occurred_before": before}.items() if v}
    with c.memory(warm=("embedder",)) as mem:
        res = mem.search(query, user_id=user_id, agent_id=agent_id, session_id=session_id,
                         limit=limit, filters=filters or None, config=preset, trace=trace,
                         as_of=as_of)  # fmt: skip
    if as_json:
        emit_json(res.to_dict())
        return
    title = f"search: {query}" + (f"  (as of {as_of})" if as_of else "")
    t = table([("#", "num"), ("score", "num"), ("when", "when"), ("who", "short"),
               ("source", "short"), ("memory", "text"), ("id", "id")], title=title)  # fmt: skip
    for i, h in enumerate(res, 1):
        ep = h.episode
        row(t, i, f"{h.score:.4f}", _when(ep), ep.speaker or ep.role or "", ep.source_label,
            ep.text, ep.id[:8])  # fmt: skip
    console.print(t)
    for d in res.disputes:
        sides = "; ".join(f"{s['value']} ({', '.join(s['sources'])})" for s in d["sides"])
        console.print(f"disputed {d['slot']}: {sides} -> {d['value']}", markup=False)
    if res.facts:
        from phasemem.cli.knowledge import fact_table

        fact_table(res.facts, title="facts" + (f" as of {as_of}" if as_of else ""))
    if trace and res.trace:
        emit_json(res.trace)


@cli.command()
@click.argument("memory_id")
@click.option("--user", "user_id", default=None, help="Require the memory to belong to this user.")
@json_option
@pass_ctx
def get(c: Ctx, memory_id: str, user_id: str | None, as_json: bool) -> None:
    """Show one memory (MEMORY_ID may be a unique prefix)."""
    with c.memory(extractor=None) as mem:
        ep = mem.get(memory_id, user_id=user_id)
    if as_json:
        emit_json(ep.to_dict())
    else:
        print_kv(ep.to_dict())


@cli.command(name="list")
@_scope
@click.option("--limit", default=100, show_default=True)
@click.option("--offset", default=0, show_default=True)
@json_option
@pass_ctx
def list_(c: Ctx, user_id: str, agent_id: str | None, session_id: str | None, limit: int,
          offset: int, as_json: bool) -> None:  # fmt: skip
    """List memories in time order."""
    with c.memory(extractor=None) as mem:
        eps = mem.get_all(
            user_id=user_id, agent_id=agent_id, session_id=session_id, limit=limit, offset=offset
        )
    if as_json:
        emit_json({"results": [e.to_dict() for e in eps]})
        return
    t = table([("when", "when"), ("who", "short"), ("memory", "text"), ("id", "id")])
    for ep in eps:
        row(t, _when(ep), ep.speaker or ep.role or "", ep.text, ep.id[:8])
    console.print(t)


@cli.command()
@click.argument("memory_id")
@click.argument("text")
@click.option("--user", "user_id", default=None, help="Require the memory to belong to this user.")
@json_option
@pass_ctx
def update(c: Ctx, memory_id: str, text: str, user_id: str | None, as_json: bool) -> None:
    """Replace a memory's text with TEXT; the old text stays in its history."""
    with c.memory(extractor=None, warm=("embedder",)) as mem:  # facts stay with the old text
        ep = mem.update(memory_id, text, user_id=user_id)
    if as_json:
        emit_json(ep.to_dict())
    else:
        console.print(f"UPDATE {ep.id}", markup=False)


@cli.command()
@click.argument("memory_id", required=False)
@click.option("--user", "user_id", default=None,
              help="Require the memory to belong to this user (with --all: whose memories).")  # fmt: skip
@click.option("--all", "all_", is_flag=True, help="Delete all memories of --user.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --all.")
@click.option("--purge", is_flag=True,
              help="Also empty the history and leave no byte of the text (docs/erasure.md).")  # fmt: skip
@json_option
@pass_ctx
def delete(c: Ctx, memory_id: str | None, user_id: str | None, all_: bool, yes: bool,
           purge: bool, as_json: bool) -> None:  # fmt: skip
    """Delete one memory (or all of a user's with --all)."""
    if all_ and not user_id:
        raise click.UsageError("--all needs --user")
    if not all_ and not memory_id:
        raise click.UsageError("give a MEMORY_ID, or --all --user USER")
    if all_ and not yes:
        click.confirm(f"Delete every memory of user {user_id!r}?", abort=True, err=True)
    with c.memory(extractor=None) as mem:
        if all_ and user_id:
            n = mem.delete_all(user_id=user_id, purge=purge)
            out: dict[str, Any] = {"deleted": n, "user_id": user_id}
        elif memory_id:
            out = {"deleted": mem.delete(memory_id, user_id=user_id, purge=purge).to_dict()}
    if as_json:
        emit_json(out)
    elif all_:
        console.print(f"deleted {out['deleted']}", markup=False)
    else:
        console.print(f"deleted {out['deleted']['id']}", markup=False)


@cli.command()
@click.argument("memory_id")
@click.option("--user", "user_id", default=None)
@json_option
@pass_ctx
def history(c: Ctx, memory_id: str, user_id: str | None, as_json: bool) -> None:
    """Show every change to a memory (deleted ones too)."""
    with c.memory(extractor=None) as mem:
        events = mem.history(memory_id, user_id=user_id)
    if as_json:
        emit_json({"results": [e.to_dict() for e in events]})
        return
    t = table([("at", "when"), ("event", "short"), ("old", "text"), ("new", "text")])
    for e in events:
        d = e.to_dict()
        row(t, d["at"], e.op, (e.before or {}).get("text", ""), (e.after or {}).get("text", ""))
    console.print(t)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
def export(c: Ctx, path: str, as_json: bool) -> None:
    """Write every memory and event to a JSON-lines file."""
    with c.memory(extractor=None) as mem:
        n = mem.export(path)
    if as_json:
        emit_json({"exported": n, "path": path})
    else:
        console.print(f"exported {n} rows to {path}", markup=False)


@cli.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@json_option
@pass_ctx
def import_(c: Ctx, path: str, as_json: bool) -> None:
    """Load a file written by 'export'."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with open(path, "rb") as fh:
        total = sum(1 for _ in fh)
    with c.memory(extractor=None) as mem, Progress(
            TextColumn("importing"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeRemainingColumn(), console=err_console, transient=True) as bar:  # fmt: skip
        task = bar.add_task("import", total=total)
        n = mem.import_(path, progress=lambda k: bar.advance(task, k))
    if as_json:
        emit_json({"imported": n, "path": path})
    else:
        console.print(f"imported {n} memories from {path}", markup=False)


@cli.command()
@json_option
@pass_ctx
def doctor(c: Ctx, as_json: bool) -> None:
    """Check the installation and the database."""
    import time

    from phasemem.embed import get_embedder

    emb = get_embedder(c.embedder)
    t = time.perf_counter()
    emb.embed(["doctor check"])
    info_embed_ms = (time.perf_counter() - t) * 1000
    with c.memory(extractor=None) as mem:
        info = mem.doctor()
    info["embedder"]["first_embed_ms"] = round(info_embed_ms, 1)
    ok = info["integrity"] == "ok" and info["fts_integrity"] == "ok"
    info["status"] = "ok" if ok else "problems found"
    if as_json:
        emit_json(info)
    else:
        print_kv(info)
    if not ok:
        sys.exit(1)


@cli.command()
@click.option("--keep", is_flag=True, help="Use --db instead of a temporary database.")
@json_option
@pass_ctx
def demo(c: Ctx, keep: bool, as_json: bool) -> None:
    """Ingest a short multi-session chat, then show facts, a timeline and
    answers as of a past date and now."""
    from phasemem.cli.demo import run_demo

    if keep:
        run_demo(c.db_path(), c.embedder, as_json=as_json)
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        run_demo(str(Path(tmp) / "demo.db"), c.embedder, as_json=as_json)


def _register() -> None:
    from phasemem.cli import knowledge

    for cmd in knowledge.COMMANDS:
        cli.add_command(cmd)


_register()


def main() -> None:
    """The ``phasemem`` console script: run the command, then leave without
    tearing the interpreter down (see :func:`phasemem.cli.common.leave`)."""
    from phasemem.cli.common import leave

    try:
        cli(prog_name="phasemem")
    except SystemExit as exc:
        leave(exc.code)
    leave(0)
