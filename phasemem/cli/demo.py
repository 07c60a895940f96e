"""``phasemem demo``: ingest the bundled conversation, then show what sets
phasemem apart from a plain vector store: the facts it extracted, a timeline
in which a fact was superseded (kept, not overwritten), the same question
answered as of a past date and now, and a context block an agent would get.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from importlib.resources import files
from typing import Any

from rich.panel import Panel
from rich.text import Text

from phasemem.cli.common import console, emit_json, row, table
from phasemem.cli.knowledge import fact_table


def load_conversation() -> dict[str, Any]:
    return json.loads(files("phasemem.demo").joinpath("conversation.json").read_text("utf-8"))


def _ingest(mem: Any, conv: dict[str, Any]) -> int:
    from phasemem.timeutil import to_utc

    n = 0
    for sess in conv["sessions"]:
        start = to_utc(sess["date"])
        msgs = [
            {"role": t["role"], "name": t["speaker"], "content": t["text"],
             "occurred_at": start + timedelta(minutes=i)}
            for i, t in enumerate(sess["turns"])
        ]  # fmt: skip
        n += len(mem.add(msgs, user_id=conv["user_id"], session_id=sess["session_id"],
                         source="demo-chat"))  # fmt: skip
    return n


def _answer(mem: Any, user: str, spec: dict[str, str], as_of: str | None) -> dict[str, Any]:
    """The fact that answers the as-of question at a time (exact valid-time
    filter), the top ranked fact and memory of a search at that time, and the
    turn the fact came from."""
    found = mem.facts(user_id=user, subject=spec["subject"], relation=spec["relation"], as_of=as_of)
    res = mem.search(spec["question"], user_id=user, limit=1, as_of=as_of)
    fact = found[-1] if found else None
    source = mem.get(fact.episode_ids[0]) if fact is not None and fact.episode_ids else None
    return {
        "as_of": as_of or "now",
        "answer": fact.object if fact is not None else None,
        "fact": fact.to_dict() if fact is not None else None,
        "ranked_fact": res.facts[0].fact.text if res.facts else None,
        "top_memory": res.hits[0].episode.text if res.hits else None,
        "source": source.to_dict() if source is not None else None,
    }


def run_demo(db_path: str, embedder: str | None, *, as_json: bool = False) -> dict[str, Any]:
    """Run the demo on ``db_path``; print it (or its JSON) and return the data."""
    from phasemem.cli.common import warm_up

    warm_up(embedder, {"embedder", "extractor"})
    from phasemem.memory import Memory

    conv = load_conversation()
    user = conv["user_id"]
    spec = conv["as_of"]
    t0 = time.perf_counter()
    with Memory(db_path, embedder=embedder, actor="demo") as mem:
        n = _ingest(mem, conv)
        ingest_s = time.perf_counter() - t0
        current = mem.facts(user_id=user)
        timeline = mem.timeline(conv["timeline"], user_id=user)
        then = _answer(mem, user, spec, spec["date"])
        now = _answer(mem, user, spec, None)
        questions = []
        for q in conv["questions"]:
            t = time.perf_counter()
            res = mem.search(q, user_id=user, limit=1)
            ms = (time.perf_counter() - t) * 1000
            questions.append((q, res.hits[0].episode if res.hits else None, ms))
        mem.pin(conv["pin"], user_id=user)
        ctx = mem.context(conv["context_query"], user_id=user, budget_tokens=220)
    data = {
        "database": db_path,
        "stored": n,
        "sessions": len(conv["sessions"]),
        "ingest_s": round(ingest_s, 2),
        "facts": [f.to_dict() for f in current],
        "timeline": {"entity": conv["timeline"], "versions": [f.to_dict() for f in timeline]},
        "as_of": {"question": spec["question"], "then": then, "now": now},
        "questions": [
            {"question": q, "memory": ep.to_dict() if ep else None, "ms": round(ms, 1)}
            for q, ep, ms in questions
        ],
        "context": ctx.to_dict(),
    }
    if as_json:
        emit_json(data)
    else:
        _render(data, conv, current, timeline, questions, ctx.text)
    return data


def _render(data: dict[str, Any], conv: dict[str, Any], current: list[Any], timeline: list[Any],
            questions: list[Any], context_text: str) -> None:  # fmt: skip
    user = conv["user_id"]
    console.print(Panel.fit(
        Text(f"Stored {data['stored']} turns from {data['sessions']} sessions for user '{user}' "
             f"in {data['ingest_s']:.2f}s\ndatabase: {data['database']}"),
        title="phasemem demo"))  # fmt: skip

    fact_table(current, title="1. Facts extracted from the chat, true now")
    fact_table(timeline, title=f"2. Timeline of {conv['timeline']}: every version, superseded ones "
                               "kept (until / superseded filled in)")  # fmt: skip

    a = data["as_of"]
    t = table([("as of", "when"), ("answer", "short"), ("said in", "text")],
              title=f"3. {a['question']}  as of {a['then']['as_of']} vs now")  # fmt: skip
    for side in (a["then"], a["now"]):
        src = side["source"]
        said = f'{src["occurred_at"][:10]}: "{src["memory"]}"' if src else ""
        row(t, side["as_of"], side["answer"] or "(no fact)", said)
    console.print(t)

    t = table([("question", "text"), ("best memory", "text"), ("when", "when"), ("ms", "num")],
              title="4. Questions answered from memory (top hit)")  # fmt: skip
    for q, ep, ms in questions:
        row(
            t, q, ep.text if ep else "", ep.occurred.strftime("%Y-%m-%d") if ep else "", f"{ms:.1f}"
        )
    console.print(t)

    console.print(Panel.fit(Text(context_text), title=f"5. Context for an agent: {conv['context_query']!r} "
                        f"({data['context']['tokens']} tokens, pinned first)", title_align="left"))  # fmt: skip
