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
    facts = [r.fact if ranked else r for r in rows]
    # where facts came from, when any did not come from the user's own channel
    # or is not accepted (a plain personal memory keeps its narrower table)
    provenance = any(not (f.source or "user:").startswith("user:") or f.status != "accepted"
                     for f in facts)  # fmt: skip
    cols = [("subject", "short"), ("relation", "short"), ("object", "text"), ("valid", "when"),
            ("until", "when"), ("superseded", "when"), ("alpha", "num")]  # fmt: skip
    if provenance:
        cols += [("source", "short"), ("status", "short")]
    t = table([*cols, ("score", "num")] if ranked else cols, title=title)
    for r, f in zip(rows, facts, strict=True):
        d = f.to_dict()
        values = [f.subject, f.relation, f.object, _day(d["valid_at"]), _day(d["invalid_at"]),
                  _day(d["expired_at"]), f"{f.alpha:.2f}"]  # fmt: skip
        if provenance:
            values += [f.source or "", f.status]
        row(t, *values, *([f"{r.score:.3f}"] if ranked else []))
    console.print(t)


@click.command()
@click.option("--user", "user_id", required=True)
@click.option("--subject", default=None)
@click.option("--relation", default=None, help="e.g. 'live in'")
@click.option("--as-of", "as_of", default=None, help="Facts true at this date (default: now).")
@click.option("--all", "include_expired", is_flag=True,
              help="Every version, superseded ones included.")  # fmt: skip
@click.option("--contested", "include_contested", is_flag=True,
              help="Also claims of less trusted sources not accepted (yet).")  # fmt: skip
@click.option("--source", default=None, help="Only facts this source (or kind) supports.")
@json_option
@pass_ctx
def facts(c: Ctx, user_id: str, subject: str | None, relation: str | None, as_of: str | None,
          include_expired: bool, include_contested: bool, source: str | None,
          as_json: bool) -> None:  # fmt: skip
    """List facts: current, as of a date, or every version; each with its source."""
    with c.memory(extractor=None) as mem:
        rows = mem.facts(user_id=user_id, subject=subject, relation=relation, as_of=as_of,
                         include_expired=include_expired, include_contested=include_contested,
                         source=source)  # fmt: skip
    if as_json:
        emit_json({"results": [f.to_dict() for f in rows]})
    else:
        fact_table(rows, title="facts" + (f" as of {as_of}" if as_of else ""))


@click.command()
@click.argument("entity")
@click.option("--user", "user_id", required=True)
@click.option("--as-of", "as_of", default=None,
              help="The timeline as it stood at this date (later versions and ends left out).")  # fmt: skip
@json_option
@pass_ctx
def timeline(c: Ctx, entity: str, user_id: str, as_of: str | None, as_json: bool) -> None:
    """Every version of every fact about ENTITY, oldest first."""
    with c.memory(extractor=None) as mem:
        rows = mem.timeline(entity, user_id=user_id, as_of=as_of)
    if as_json:
        emit_json({"results": [f.to_dict() for f in rows]})
    else:
        fact_table(rows, title=f"timeline: {entity}" + (f" as of {as_of}" if as_of else ""))


@click.command()
@click.argument("query")
@click.option("--user", "user_id", required=True)
@click.option("--budget", "budget_tokens", default=1500, show_default=True,
              help="Most tokens the block may take.")  # fmt: skip
@click.option("--as-of", "as_of", default=None, help="Assemble what was true at this date.")
@click.option("--source", default=None, help="Only memories from this source (or kind).")
@json_option
@pass_ctx
def context(c: Ctx, query: str, user_id: str, budget_tokens: int, as_of: str | None,
            source: str | None, as_json: bool) -> None:  # fmt: skip
    """A prompt-ready block for QUERY: pins, facts and dated memories, cited."""
    with c.memory(warm=("embedder",)) as mem:
        ctx = mem.context(query, user_id=user_id, budget_tokens=budget_tokens, as_of=as_of,
                          source=source)  # fmt: skip
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


@click.command()
@click.argument("source")
@click.option("--user", "user_id", required=True)
@json_option
@pass_ctx
def trust(c: Ctx, source: str, user_id: str, as_json: bool) -> None:
    """How far SOURCE ("web:example.com") is trusted, and every change of it."""
    with c.memory(extractor=None) as mem:
        rep = mem.trust(source, user_id=user_id)
    if as_json:
        emit_json(rep.to_dict())
        return
    print_kv({"source": rep.source, "trust": f"{rep.trust:.3f}", "alpha": rep.alpha,
              "beta": rep.beta, "group": rep.group, "changes": len(rep.events)})  # fmt: skip
    for e in rep.events:
        after = e.after or {}
        console.print(f"  {_day(e.to_dict()['at'])} {after.get('event')}: trust {after.get('trust')}",
                      markup=False)  # fmt: skip


def _verdict(name: str, help_text: str) -> click.Command:
    @click.command(name=name, help=help_text)
    @click.argument("fact_id")
    @click.option("--user", "user_id", required=True)
    @json_option
    @pass_ctx
    def cmd(c: Ctx, fact_id: str, user_id: str, as_json: bool) -> None:
        with c.memory(extractor=None) as mem:
            f = getattr(mem, name)(fact_id, user_id=user_id)
        if as_json:
            emit_json(f.to_dict())
        else:
            console.print(f"{name}ed: {f.text} ({f.status}, from {f.source})", markup=False)

    return cmd


confirm = _verdict(
    "confirm", "The user confirms FACT_ID: it becomes current; its sources gain trust."
)
reject = _verdict("reject", "The user rejects FACT_ID: kept as a lesson; its sources lose trust.")

COMMANDS = (facts, timeline, context, pin, forget, trust, confirm, reject)
