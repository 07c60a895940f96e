"""Hypothesis over the public ``Memory`` API with arbitrary arguments.

Each example calls one method with values drawn from plausible ones and from
anything at all (wrong types, huge ints, lone surrogates, NaN, FTS5 syntax,
dates at the edge of the calendar). The contract: the call succeeds or raises
a :class:`PhasememError` subclass, never anything else, and nothing stored
before is lost or made unreadable (a sentinel stays get-able and searchable,
and the whole store still exports and reads back).

The default profile runs a few dozen examples per test (seconds); the
``slow`` variants run many more (``pytest -m slow``).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasemem import Memory, PhasememError

SENTINEL_USER = "sentinel-7f3c"
SENTINEL_TEXT = "The sentinel remembers Kestrel Street"

FTS = [
    '"',
    "*",
    "NEAR(",
    "NEAR(a b, 3)",
    "^",
    "-",
    ":",
    "a:b",
    "(",
    ")",
    "AND",
    "OR NOT",
    '""',
    "{a}",
]
GOOD_DATES = [
    "0001-01-02",
    "9999-12-30",
    "2024-03-02",
    "8 May, 2023",
    "1:56 pm on 8 May, 2023",
    "2024-03-02T18:30:00+05:00",
]
BAD_DATES = [
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:00:00-05:00",
    "nan",
    "-1",
    "1e309",
    "inf",
    "now",
    "yesterday",
    "2024-13-45",
    "",
]
DATES = GOOD_DATES + BAD_DATES
ODD_TEXT = st.text(st.characters(codec=None, categories=None), max_size=30)  # surrogates, controls


def _scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**400]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([1e308, -1e308, 1.5]),
        ODD_TEXT,
        st.sampled_from(FTS + DATES + ["maya", "maya\n", "x" * 300, "m" * 50_000, "a\ud800"]),
        st.binary(max_size=10),
    )


ANY: st.SearchStrategy[Any] = st.recursive(
    _scalars(),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(ODD_TEXT, st.integers()), inner, max_size=3),
    ),
    max_leaves=6,
)


class Pick(int):
    """A plausible id: the n-th memory (or pin) of user "maya", when there is one."""


GOOD: dict[str, st.SearchStrategy[Any]] = {
    "text": st.one_of(st.sampled_from(["I moved to Lisbon", "Kestrel", "Maya works at Tidewater", *FTS]),
                      st.text(min_size=1, max_size=40)),
    "user": st.sampled_from(["maya", "bob"]),
    "user_or_none": st.sampled_from([None, "maya"]),
    "session": st.sampled_from([None, "s1"]),
    "time": st.one_of(st.none(), st.sampled_from(GOOD_DATES), st.floats(-1e12, 1e12)),
    "meta": st.one_of(st.none(), st.dictionaries(st.sampled_from(["k", "tag"]), _scalars(), max_size=2)),
    "filters": st.one_of(st.none(), st.fixed_dictionaries({}, optional={
        "role": st.sampled_from(["user", "assistant"]),
        "occurred_after": st.sampled_from(GOOD_DATES),
        "occurred_before": st.sampled_from(GOOD_DATES),
        "metadata": st.dictionaries(st.sampled_from(["k", "tag"]), _scalars(), max_size=2),
        "speaker": st.just("Maya"),
    })),
    "int": st.integers(1, 20),
    "int2": st.sampled_from([None, 0, 3]),
    "flag": st.booleans(),
    "config": st.sampled_from([None, "balanced", "lexical", "dense", "rrf"]),
    "id": st.builds(Pick, st.integers(0, 3)),
    "role": st.sampled_from(["user", "assistant", None]),
    "name": st.sampled_from([None, "Maya", "Lisbon", "maya"]),
    "name2": st.sampled_from([None, "live in", "work at"]),
    "budget": st.sampled_from([100, 1500, 16]),
}  # fmt: skip


def _with_wild(good: dict[str, Any], wild: dict[str, Any]) -> dict[str, Any]:
    return {**good, **wild}


#: Plausible arguments with up to two of them replaced by anything at all.
ARGS = st.builds(
    _with_wild,
    st.fixed_dictionaries(GOOD),
    st.dictionaries(st.sampled_from(sorted(GOOD)), ANY, max_size=2),
)


def _resolve_ids(mem: Memory, a: dict[str, Any], op: str) -> dict[str, Any]:
    if type(a["id"]) is not Pick:
        return a
    if op == "unpin":
        ids = [p.id for p in mem.pins(user_id="maya")]
    else:
        ids = [e.id for e in mem.get_all(user_id="maya")]
    return {**a, "id": ids[a["id"]] if a["id"] < len(ids) else "no-such-id"}


def _call(mem: Memory, op: str, a: dict[str, Any]) -> Any:
    a = _resolve_ids(mem, a, op)
    calls: dict[str, Callable[[], Any]] = {
        "add": lambda: mem.add(a["text"], user_id=a["user"], occurred_at=a["time"],
                               metadata=a["meta"], session_id=a["session"]),
        "add_msgs": lambda: mem.add([{"role": a["role"], "content": a["text"], "name": a["name"],
                                      "occurred_at": a["time"], "metadata": a["meta"]}], user_id=a["user"]),
        "search": lambda: mem.search(a["text"], user_id=a["user"], limit=a["int"], filters=a["filters"],
                                     as_of=a["time"], facts=a["int2"], trace=a["flag"], config=a["config"]),
        "get": lambda: mem.get(a["id"], user_id=a["user_or_none"]),
        "get_all": lambda: mem.get_all(user_id=a["user"], filters=a["filters"], limit=a["int"],
                                       offset=a["int2"] or 0),
        "update": lambda: mem.update(a["id"], a["text"], user_id=a["user_or_none"]),
        "delete": lambda: mem.delete(a["id"], user_id=a["user_or_none"]),
        "history": lambda: mem.history(a["id"], user_id=a["user_or_none"]),
        "facts": lambda: mem.facts(user_id=a["user"], subject=a["name"], relation=a["name2"],
                                   as_of=a["time"], include_expired=a["flag"]),
        "timeline": lambda: mem.timeline(a["name"] or "Maya", user_id=a["user"]),
        "pin": lambda: mem.pin(a["text"], user_id=a["user"]),
        "unpin": lambda: mem.unpin(a["id"], user_id=a["user"]),
        "pins": lambda: mem.pins(user_id=a["user"]),
        "context": lambda: mem.context(a["text"], user_id=a["user"], budget_tokens=a["budget"],
                                       as_of=a["time"]),
        "delete_all": lambda: mem.delete_all(user_id=a["user"], session_id=a["session"]),
        "forget": lambda: mem.forget(user_id=a["user"]),
    }  # fmt: skip
    return calls[op]()


#: Writes weigh more than erasures, so the store is rarely empty.
OPS = st.sampled_from(
    ["add", "add", "add", "add_msgs", "add_msgs", "search", "search", "get", "get_all", "update",
     "update", "delete", "history", "history", "facts", "timeline", "pin", "unpin", "pins", "context",
     "delete_all", "forget"]
)  # fmt: skip


def _store(extractor: Any) -> tuple[Memory, str]:
    mem = Memory(":memory:", embedder="hash-test", extractor=extractor)
    sid = mem.add(
        [{"role": "user", "name": "Maya", "content": SENTINEL_TEXT}],
        user_id=SENTINEL_USER,
        occurred_at="2024-03-02",
    )[0].id
    mem.add("I live in Porto and work at Tidewater.", user_id="maya", occurred_at="2023-01-01")
    return mem, sid


@pytest.fixture(scope="module")
def fuzz_store() -> Iterator[tuple[Memory, str]]:
    mem, sid = _store(None)
    yield mem, sid
    mem.close()


def _still_whole(mem: Memory, sid: str) -> None:
    """The sentinel is intact, and every stored row is still readable."""
    assert mem.get(sid).text == SENTINEL_TEXT
    hits = mem.search("Kestrel sentinel", user_id=SENTINEL_USER).hits
    assert [h.episode.id for h in hits] == [sid]
    for user in ("maya", "bob", SENTINEL_USER):
        for ep in mem.get_all(user_id=user, limit=1000):
            json.dumps(ep.to_dict())
        mem.search("Lisbon Kestrel", user_id=user)
    with tempfile.TemporaryDirectory() as d:
        mem.export(Path(d) / "all.jsonl")


def _one_call(mem: Memory, sid: str, op: str, args: dict[str, Any]) -> None:
    with contextlib.suppress(PhasememError):
        _call(mem, op, args)
    _still_whole(mem, sid)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow], database=None)  # fmt: skip
SLOW = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(op=OPS, args=ARGS)
def test_public_api_raises_only_phasemem_errors(
    fuzz_store: tuple[Memory, str], op: str, args: dict[str, Any]
) -> None:
    _one_call(*fuzz_store, op, args)


@pytest.mark.slow
@SLOW
@given(op=OPS, args=ARGS)
def test_public_api_raises_only_phasemem_errors_long(
    fuzz_store: tuple[Memory, str], op: str, args: dict[str, Any]
) -> None:
    _one_call(*fuzz_store, op, args)


# -- import of generated rows ------------------------------------------------------------------
def _exported(mem: Memory) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.jsonl"
        mem.export(path)
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def template_rows() -> list[dict[str, Any]]:
    src = Memory(":memory:", embedder="hash-test", extractor=None)
    src.add("a row to import, then mangle", user_id="maya", metadata={"k": 1})
    rows = _exported(src)
    src.close()
    return rows


ROW_KEYS = st.sampled_from(
    ["kind", "id", "user_id", "agent_id", "session_id", "role", "speaker", "text", "occurred_at",
     "recorded_at", "updated_at", "source", "metadata", "content_hash", "vector", "vscale",
     "time_mentions", "op", "target_id", "at", "actor", "before", "after"]
)  # fmt: skip
ROW_EDITS = st.lists(
    st.tuples(st.sampled_from(["episode", "event"]), ROW_KEYS, ANY), min_size=1, max_size=3
)


def _import_mangled(
    mem: Memory, sid: str, template: list[dict[str, Any]], edits: list[Any], header: bool, uid: Any
) -> None:
    """Import the template rows with a few fields replaced; a fresh id and
    dedupe key make an accepted episode a new row, which must then read back."""
    rows = [dict(r) for r in template]
    first = {r["kind"]: i for i, r in reversed(list(enumerate(rows)))}
    rows[first["episode"]].update(id=str(uid), content_hash=uid.hex)
    rows[first["event"]].update(target_id=str(uid))
    for kind, key, value in edits:
        rows[first[kind]][key] = value
    if not header:
        rows = rows[1:]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "in.jsonl"
        try:
            lines = [json.dumps(r, default=repr) for r in rows]
        except ValueError:  # e.g. an int json cannot write
            return
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        with contextlib.suppress(PhasememError):
            mem.import_(path)
    _still_whole(mem, sid)


@FAST
@given(edits=ROW_EDITS, header=st.booleans(), uid=st.uuids())
def test_import_of_generated_rows(
    fuzz_store: tuple[Memory, str],
    template_rows: list[dict[str, Any]],
    edits: list[Any],
    header: bool,
    uid: Any,
) -> None:
    _import_mangled(*fuzz_store, template_rows, edits, header, uid)


@pytest.mark.slow
@SLOW
@given(edits=ROW_EDITS, header=st.booleans(), uid=st.uuids())
def test_import_of_generated_rows_long(
    fuzz_store: tuple[Memory, str],
    template_rows: list[dict[str, Any]],
    edits: list[Any],
    header: bool,
    uid: Any,
) -> None:
    _import_mangled(*fuzz_store, template_rows, edits, header, uid)


# -- with the fact extractor (facts, timeline, context over real entities) -----------------------
@pytest.fixture(scope="module")
def facts_store() -> Iterator[tuple[Memory, str]]:
    mem, sid = _store("default")
    yield mem, sid
    mem.close()


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(op=st.sampled_from(["facts", "timeline", "context", "search", "add_msgs"]), args=ARGS)
def test_fact_api_raises_only_phasemem_errors(
    facts_store: tuple[Memory, str], op: str, args: dict[str, Any]
) -> None:
    _one_call(*facts_store, op, args)
