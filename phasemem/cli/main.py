"""Entry point and the episode commands (add, search, get, list, delete,
history, export, import, doctor, demo). Benchmarks live in ``bench.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from phasemem.cli.common import Ctx, console, emit_json, fail, json_option, pass_ctx
from phasemem.errors import PhasememError


class _Group(click.Group):
    """Turns library errors into one clean line and exit code 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except PhasememError as exc:
            fail(exc)


@click.group(cls=_Group)
@click.option("--db", envvar="PHASEMEM_DB", default=None, metavar="PATH",
              help="Database file (default: $PHASEMEM_DB, else ~/.local/share/phasemem/memory.db).")  # fmt: skip
@click.option("--embedder", default=None, hidden=True, help="Embedder name (tests use hash-test).")
@click.version_option(package_name="phasemem")
@click.pass_context
def cli(ctx: click.Context, db: str | None, embedder: str | None) -> None:
    """phasemem: time-aware, local-first memory for AI agents."""
    ctx.obj = Ctx(db=db, embedder=embedder)


def _scope(f):  # type: ignore[no-untyped-def]
    f = click.option("--session", "session_id", default=None, help="Session id.")(f)
    f = click.option("--agent", "agent_id", default=None, help="Agent id.")(f)
    return click.option(
        "--user", "user_id", required=True, help="User id (the scope every read needs)."
    )(f)


@cli.command()
@_scope
@click.argument("text")
@click.option("--role", type=click.Choice(["user", "assistant", "system", "tool"]), default=None)
@click.option("--speaker", default=None, help="Who said it (a name).")
@click.option(
    "--at",
    "occurred_at",
    default=None,
    help="When it happened (ISO date/time or e.g. '8 May 2023').",
)
@click.option("--source", default=None, help="Which agent or tool wrote it.")
@click.option("--meta", "metadata", default=None, help="Metadata as a JSON object.")
@json_option
@pass_ctx
def add(
    c: Ctx,
    text,
    user_id,
    agent_id,
    session_id,
    role,
    speaker,
    occurred_at,
    source,
    metadata,
    as_json,
):  # type: ignore[no-untyped-def]
    """Store TEXT as a memory ('-' reads standard input)."""
    import json

    from phasemem.errors import InvalidInputError

    if text == "-":
        text = sys.stdin.buffer.read()
    meta = None
    if metadata:
        try:
            meta = json.loads(metadata)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"--meta is not JSON: {exc}", field="metadata") from exc
    msg = (
        text
        if role is None and speaker is None
        else {"role": role, "content": text, "name": speaker}
    )
    with c.memory() as mem:
        res = mem.add(msg, user_id=user_id, agent_id=agent_id, session_id=session_id,
                      occurred_at=occurred_at, metadata=meta, source=source)  # fmt: skip
    if as_json:
        emit_json({"results": [r.to_dict() for r in res]})
    else:
        for r in res:
            console.print(f"{r.event} {r.id}")


@cli.command()
@_scope
@click.argument("query")
@click.option("--limit", "-k", default=10, show_default=True)
@click.option("--preset", default=None, help="Retrieval preset: balanced, lexical, dense.")
@click.option("--after", default=None, help="Only memories that happened at/after this time.")
@click.option("--before", default=None, help="Only memories that happened at/before this time.")
@click.option("--trace", is_flag=True, help="Show what each retrieval stage produced.")
@json_option
@pass_ctx
def search(
    c: Ctx, query, user_id, agent_id, session_id, limit, preset, after, before, trace, as_json
):  # type: ignore[no-untyped-def]
    """Search memories, best first."""
    filters = {k: v for k, v in {"occurred_after": after, "occurred_before": before}.items() if v}
    with c.memory() as mem:
        res = mem.search(query, user_id=user_id, agent_id=agent_id, session_id=session_id, limit=limit,
                         filters=filters or None, config=preset, trace=trace)  # fmt: skip
    if as_json:
        emit_json(res.to_dict())
        return
    table = Table("#", "score", "when", "who", "memory", "id", title=f"search: {query}")
    for i, h in enumerate(res, 1):
        ep = h.episode
        table.add_row(str(i), f"{h.score:.4f}", ep.occurred.strftime("%Y-%m-%d %H:%M"),
                      ep.speaker or ep.role or "", ep.text, ep.id[:8])  # fmt: skip
    console.print(table)
    if trace and res.trace:
        emit_json(res.trace)


def _fact_table(rows, title: str) -> None:  # type: ignore[no-untyped-def]
    table = Table(
        "subject",
        "relation",
        "object",
        "valid",
        "until",
        "superseded",
        "alpha",
        "score",
        title=title,
    )
    for r in rows:
        f = getattr(r, "fact", r)
        d = f.to_dict()
        table.add_row(f.subject, f.relation, f.object, (d["valid_at"] or "")[:10], (d["invalid_at"] or "")[:10],
                      (d["expired_at"] or "")[:10], f"{f.alpha:.2f}", f"{r.score:.3f}" if hasattr(r, "score") else "")  # fmt: skip
    console.print(table)


@cli.command()
@click.option("--user", "user_id", required=True)
@click.option("--subject", default=None)
@click.option("--relation", default=None, help="e.g. 'live in'")
@click.option("--as-of", "as_of", default=None, help="Facts true at this date (default: now).")
@click.option(
    "--all", "include_expired", is_flag=True, help="Every version, superseded ones included."
)
@json_option
@pass_ctx
def facts(c: Ctx, user_id, subject, relation, as_of, include_expired, as_json):  # type: ignore[no-untyped-def]
    """List facts: current, as of a date, or every version."""
    with c.memory() as mem:
        rows = mem.facts(user_id=user_id, subject=subject, relation=relation, as_of=as_of,
                         include_expired=include_expired)  # fmt: skip
    if as_json:
        emit_json({"results": [f.to_dict() for f in rows]})
    else:
        _fact_table(rows, title="facts" + (f" as of {as_of}" if as_of else ""))


@cli.command()
@click.argument("entity")
@click.option("--user", "user_id", required=True)
@json_option
@pass_ctx
def timeline(c: Ctx, entity, user_id, as_json):  # type: ignore[no-untyped-def]
    """Every version of every fact about ENTITY, oldest first."""
    with c.memory() as mem:
        rows = mem.timeline(entity, user_id=user_id)
    if as_json:
        emit_json({"results": [f.to_dict() for f in rows]})
    else:
        _fact_table(rows, title=f"timeline: {entity}")


@cli.command()
@click.argument("memory_id")
@click.option("--user", "user_id", default=None, help="Require the memory to belong to this user.")
@json_option
@pass_ctx
def get(c: Ctx, memory_id, user_id, as_json):  # type: ignore[no-untyped-def]
    """Show one memory."""
    with c.memory() as mem:
        ep = mem.get(memory_id, user_id=user_id)
    if as_json:
        emit_json(ep.to_dict())
    else:
        for k, v in ep.to_dict().items():
            console.print(f"[bold]{k}[/bold]: {v}")


@cli.command(name="list")
@_scope
@click.option("--limit", default=100, show_default=True)
@click.option("--offset", default=0, show_default=True)
@json_option
@pass_ctx
def list_(c: Ctx, user_id, agent_id, session_id, limit, offset, as_json):  # type: ignore[no-untyped-def]
    """List memories in time order."""
    with c.memory() as mem:
        eps = mem.get_all(
            user_id=user_id, agent_id=agent_id, session_id=session_id, limit=limit, offset=offset
        )
    if as_json:
        emit_json({"results": [e.to_dict() for e in eps]})
        return
    table = Table("when", "who", "memory", "id")
    for ep in eps:
        table.add_row(
            ep.occurred.strftime("%Y-%m-%d %H:%M"), ep.speaker or ep.role or "", ep.text, ep.id
        )
    console.print(table)


@cli.command()
@click.argument("memory_id", required=False)
@click.option(
    "--user", "user_id", default=None, help="With --all: delete every memory of this user."
)
@click.option("--all", "all_", is_flag=True, help="Delete all memories of --user.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation with --all.")
@click.option("--purge", is_flag=True,
              help="Also empty the history and leave no byte of the text (docs/erasure.md).")  # fmt: skip
@pass_ctx
def delete(c: Ctx, memory_id, user_id, all_, yes, purge):  # type: ignore[no-untyped-def]
    """Delete one memory (or all of a user's with --all)."""
    with c.memory() as mem:
        if all_:
            if not user_id:
                raise click.UsageError("--all needs --user")
            if not yes:
                click.confirm(f"Delete every memory of user {user_id!r}?", abort=True)
            console.print(f"deleted {mem.delete_all(user_id=user_id, purge=purge)}")
        elif memory_id:
            mem.delete(memory_id, user_id=user_id, purge=purge)
            console.print(f"deleted {memory_id}")
        else:
            raise click.UsageError("give a MEMORY_ID, or --all --user USER")


@cli.command()
@click.argument("memory_id")
@click.option("--user", "user_id", default=None)
@json_option
@pass_ctx
def history(c: Ctx, memory_id, user_id, as_json):  # type: ignore[no-untyped-def]
    """Show every change to a memory."""
    with c.memory() as mem:
        events = mem.history(memory_id, user_id=user_id)
    if as_json:
        emit_json({"results": [e.to_dict() for e in events]})
        return
    table = Table("at", "event", "old", "new")
    for e in events:
        d = e.to_dict()
        table.add_row(
            d["at"], e.op, (e.before or {}).get("text", ""), (e.after or {}).get("text", "")
        )
    console.print(table)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@pass_ctx
def export(c: Ctx, path):  # type: ignore[no-untyped-def]
    """Write every memory and event to a JSON-lines file."""
    with c.memory() as mem:
        n = mem.export(path)
    console.print(f"exported {n} rows to {path}")


@cli.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def import_(c: Ctx, path):  # type: ignore[no-untyped-def]
    """Load a file written by 'export'."""
    with open(path, "rb") as fh:
        total = sum(1 for _ in fh)
    with c.memory() as mem, Progress(TextColumn("importing"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                     TimeRemainingColumn(), console=console, transient=True) as bar:  # fmt: skip
        task = bar.add_task("import", total=total)
        n = mem.import_(path, progress=lambda k: bar.advance(task, k))
    console.print(f"imported {n} memories from {path}")


@cli.command()
@json_option
@pass_ctx
def doctor(c: Ctx, as_json):  # type: ignore[no-untyped-def]
    """Check the installation and the database."""
    import time

    from phasemem.embed import get_embedder

    emb = get_embedder(c.embedder)
    t = time.perf_counter()
    emb.embed(["doctor check"])
    info_embed_ms = (time.perf_counter() - t) * 1000
    with c.memory() as mem:
        info = mem.doctor()
    info["embedder"]["first_embed_ms"] = round(info_embed_ms, 1)
    ok = info["integrity"] == "ok" and info["fts_integrity"] == "ok"
    info["status"] = "ok" if ok else "problems found"
    if as_json:
        emit_json(info)
    else:
        for k, v in info.items():
            console.print(f"[bold]{k}[/bold]: {v}")
    if not ok:
        sys.exit(1)


@cli.command()
@click.option("--keep", is_flag=True, help="Use --db instead of a temporary database.")
@pass_ctx
def demo(c: Ctx, keep):  # type: ignore[no-untyped-def]
    """Ingest a short multi-session conversation and answer questions from memory."""
    from phasemem.cli.demo import run_demo

    if keep:
        run_demo(c.db_path(), c.embedder)
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            run_demo(str(Path(tmp) / "demo.db"), c.embedder)


def _register_optional() -> None:
    from phasemem.cli.bench import bench
    from phasemem.cli.serve import register

    cli.add_command(bench)
    register(cli, bench)  # serve, mcp, keys, bench load, bench context (heavy imports run lazily)
    try:  # the tkg group imports torch lazily, so this is cheap
        from phasemem.tkg.cli import tkg
    except ImportError:
        return
    cli.add_command(tkg)


_register_optional()


def main() -> None:
    cli(prog_name="phasemem")
