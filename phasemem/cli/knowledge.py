"""What phasemem knows beyond raw memories: facts, timelines, assembled
context, pinned instructions, and erasure (``forget``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from phasemem.cli.common import Ctx, console, emit_json, json_option, pass_ctx, print_kv, row, table


def _day(iso: str | None) -> str:
    return (iso or "")[:10]


def fact_table(rows: Sequence[Any], title: str) -> None:
    """Facts (``Fact``) or ranked facts (``FactHit``, which add a score column)."""
    ranked = bool(rows) and hasattr(rows[0], "fact")
    cols = [("subject", "short"), ("relation", "short"), ("object", "text"), ("valid", "when"),
            ("until", "when"), ("superseded", "when"), ("alpha", "num")]  # fmt: skip
    t = table([*cols, ("score", "num")] if ranked else cols, title=title)
    for r in rows:
        f = r.fact if ranked else r
        d = f.to_dict()
        values = [f.subject, f.relation, f.object, _day(d["valid_at"]), _day(d["invalid_at"]),
                  _day(d["expired_at"]), f"{f.alpha:.2f}"]  # fmt: skip
        row(t, *values, *([f"{r.score:.3f}"] if ranked else []))
    console.print(t)


@click.command()
@click.option("--user", "user_id", required=True)
@click.option("--subject", default=None)
@click.option("--relation", default=None, help="e.g. 'live in'")
@click.option("--as-of", "as_of", default=None, help="Facts true at this date (default: now).")
@click.option("--all", "include_expired", is_flag=True,
              help="Every version, superseded ones included.")  # fmt: skip
@json_option
@pass_ctx
def facts(c: Ctx, user_id: str, subject: str | None, relation: str | None, as_of: str | None,
          include_expired: bool, as_json: bool) -> None:  # fmt: skip
    """List facts: current, as of a date, or every version."""
    with c.memory(extractor=None) as mem:
        rows = mem.facts(user_id=user_id, subject=subject, relation=relation, as_of=as_of,
                         include_expired=include_expired)  # fmt: skip
    if as_json:
        emit_json({"results": [f.to_dict() for f in rows]})
    else:
        fact_table(rows, title="facts" + (f" as of {as_of}" if as_of else ""))


@click.command()
@click.argument("entity")
@click.option("--user", "user_id", required=True)
@json_option
@pass_ctx
def timeline(c: Ctx, entity: str, user_id: str, as_json: bool) -> None:
    """Every version of every fact about ENTITY, oldest first."""
    with c.memory(extractor=None) as mem:
        rows = mem.timeline(entity, user_id=user_id)
    if as_json:
        emit_json({"results": [f.to_dict() for f in rows]})
    else:
        fact_table(rows, title=f"timeline: {entity}")


@click.command()
@click.argument("query")
@click.option("--user", "user_id", required=True)
@click.option("--budget", "budget_tokens", default=1500, show_default=True,
              help="Most tokens the block may take.")  # fmt: skip
@click.option("--as-of", "as_of", default=None, help="Assemble what was true at this date.")
@json_option
@pass_ctx
def context(c: Ctx, query: str, user_id: str, budget_tokens: int, as_of: str | None,
            as_json: bool) -> None:  # fmt: skip
    """A prompt-ready block for QUERY: pins, facts and dated memories, cited."""
    with c.memory(warm=("embedder",)) as mem:
        ctx = mem.context(query, user_id=user_id, budget_tokens=budget_tokens, as_of=as_of)
    if as_json:
        emit_json(ctx.to_dict())
    else:
        click.echo(ctx.text)


@click.group()
def pin() -> None:
    """Pinned instructions: they go first into every context."""


@pin.command("add")
@click.argument("text")
@click.option("--user", "user_id", required=True)
@json_option
@pass_ctx
def pin_add(c: Ctx, text: str, user_id: str, as_json: bool) -> None:
    """Pin TEXT (e.g. 'Answer in one sentence.') for a user."""
    with c.memory(extractor=None) as mem:
        p = mem.pin(text, user_id=user_id)
    if as_json:
        emit_json(p.to_dict())
    else:
        console.print(f"pinned {p.id}", markup=False)


@pin.command("list")
@click.option("--user", "user_id", required=True)
@json_option
@pass_ctx
def pin_list(c: Ctx, user_id: str, as_json: bool) -> None:
    """A user's pins, oldest first."""
    with c.memory(extractor=None) as mem:
        pins = mem.pins(user_id=user_id)
    if as_json:
        emit_json({"results": [p.to_dict() for p in pins]})
        return
    t = table([("created", "when"), ("pin", "text"), ("id", "id")])
    for p in pins:
        row(t, p.to_dict()["created_at"][:16].replace("T", " "), p.text, p.id[:8])
    console.print(t)


@pin.command("remove")
@click.argument("pin_id")
@click.option("--user", "user_id", required=True)
@json_option
@pass_ctx
def pin_remove(c: Ctx, pin_id: str, user_id: str, as_json: bool) -> None:
    """Remove a pin (PIN_ID may be a unique prefix)."""
    with c.memory(extractor=None) as mem:
        p = mem.unpin(pin_id, user_id=user_id)
    if as_json:
        emit_json({"deleted": p.to_dict()})
    else:
        console.print(f"unpinned {p.id}", markup=False)


@click.command()
@click.option("--user", "user_id", required=True, help="Whose every trace to erase.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_ctx
def forget(c: Ctx, user_id: str, yes: bool, as_json: bool) -> None:
    """Erase every memory, fact and pin of a user for good, and prove it.

    Prints what was removed and whether the erased texts are gone from the
    database files (exit code 1 if any remains)."""
    if not yes:
        click.confirm(f"Erase every trace of user {user_id!r}? This cannot be undone",
                      abort=True, err=True)  # fmt: skip
    with c.memory(extractor=None) as mem:
        report = mem.forget(user_id=user_id)
    if as_json:
        emit_json(report)
    else:
        print_kv(report)
    if not report.get("verified", False):
        sys.exit(1)


COMMANDS = (facts, timeline, context, pin, forget)
