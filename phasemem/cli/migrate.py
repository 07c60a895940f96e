"""``phasemem migrate``: move a whole memory between backends (SQLite <-> PostgreSQL).

Why through the dump (:mod:`phasemem.store.dump`): it is the one lossless,
versioned picture of a memory (episodes with their vectors, pins, entities,
facts with their four times, relation speeds, the event log), and both
backends already read and write it, so a move needs no backend-to-backend code.
The dump goes through a private temporary file (owner-only, deleted after).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from phasemem.cli.common import Ctx, console, emit_json, json_option, pass_ctx


@click.command()
@click.option("--from", "source", required=True, metavar="DB",
              help="Where the memory is now: a SQLite path or a postgresql:// URL.")  # fmt: skip
@click.option("--to", "target", required=True, metavar="DB",
              help="Where it goes (created if new; importing twice adds nothing).")  # fmt: skip
@click.option("--user", "user_id", default=None, help="Move only this user's memory.")
@json_option
@pass_ctx
def migrate(c: Ctx, source: str, target: str, user_id: str | None, as_json: bool) -> None:
    """Copy everything from one database to another, losslessly, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from phasemem.memory import Memory

    with tempfile.TemporaryDirectory(prefix="phasemem-migrate-") as tmp:
        dump = Path(tmp) / "dump.jsonl"
        with Memory(source, embedder=c.embedder, extractor=None) as src:
            total = src.store.count()
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          console=console, transient=True, disable=as_json) as bar:  # fmt: skip
                bar.add_task("export", total=None)
                rows = src.export(dump, user_id=user_id)
        with Memory(target, embedder=c.embedder, extractor=None) as dst:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          console=console, transient=True, disable=as_json) as bar:  # fmt: skip
                task = bar.add_task("import", total=rows)
                added = dst.import_(dump, progress=lambda n: bar.advance(task, n))
            now = dst.store.count()
    if as_json:
        emit_json({"rows": rows, "source_memories": total, "added": added, "target_memories": now})
        return
    console.print(f"moved {rows} rows ({total} memories in the source): {added} memories added, "
                  f"{now} now in the target", highlight=False)  # fmt: skip
