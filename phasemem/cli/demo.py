"""``phasemem demo``: ingest the bundled conversation, then answer from memory."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from importlib.resources import files

from rich.panel import Panel
from rich.table import Table

from phasemem.cli.common import console
from phasemem.memory import Memory
from phasemem.timeutil import to_utc


def load_conversation() -> dict:  # type: ignore[type-arg]
    return json.loads(files("phasemem.demo").joinpath("conversation.json").read_text("utf-8"))


def run_demo(db_path: str, embedder: str | None) -> None:
    conv = load_conversation()
    user = conv["user_id"]
    t0 = time.perf_counter()
    n = 0
    with Memory(db_path, embedder=embedder, actor="demo") as mem:
        for sess in conv["sessions"]:
            start = to_utc(sess["date"])
            msgs = [
                {"role": t["role"], "name": t["speaker"], "content": t["text"],
                 "occurred_at": start + timedelta(minutes=i)}
                for i, t in enumerate(sess["turns"])
            ]  # fmt: skip
            n += len(mem.add(msgs, user_id=user, session_id=sess["session_id"], source="demo-chat"))
        ingest_s = time.perf_counter() - t0
        console.print(
            Panel.fit(
                f"Stored {n} turns from {len(conv['sessions'])} sessions for user '{user}' "
                f"in {ingest_s:.2f}s\ndatabase: {db_path}",
                title="phasemem demo",
            )
        )
        for q in conv["questions"]:
            t = time.perf_counter()
            res = mem.search(q, user_id=user, limit=3)
            ms = (time.perf_counter() - t) * 1000
            table = Table(
                "when",
                "who",
                "memory",
                "source",
                title=f"Q: {q}  ({ms:.1f} ms)",
                title_justify="left",
            )
            for h in res:
                ep = h.episode
                table.add_row(
                    ep.occurred.strftime("%Y-%m-%d"),
                    ep.speaker or "",
                    ep.text,
                    f"{ep.source} {ep.id[:8]}",
                )
            console.print(table)
