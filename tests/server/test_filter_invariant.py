"""The read invariant, on every interface: whatever a read returns satisfies its filter.

Hypothesis builds random stores (users, agents, sessions, roles, sources,
times, metadata) and random filters and ``as_of`` moments, then asks the
library (``search``, ``context``), REST (``/v1/search``, ``/v1/context``) and
MCP (``recall``, ``context``) the same question. Every returned episode must
pass the filter, checked by an oracle written here from the filter's meaning
(not by the library's own ``EpisodeFilter.matches``), and every returned fact
must have begun by ``as_of`` and come from an episode the filter allows.

The REST app and the MCP server run in process on one tenant pool (the same
code the ``serve`` and ``mcp`` commands run, without the sockets), so one
example costs milliseconds, not a server start.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi", reason="needs the [server] extra")
pytest.importorskip("mcp", reason="needs the [mcp] extra")

from fastapi.testclient import TestClient  # noqa: E402
from mcp import Client  # noqa: E402

from phasemem.mcp_server.server import build_server  # noqa: E402
from phasemem.server.app import create_app  # noqa: E402
from phasemem.server.tenants import TenantPool  # noqa: E402

USERS = ["u1", "u2"]
AGENTS = [None, "a1", "a2"]
SESSIONS = [None, "s1", "s2"]
ROLES = [None, "user", "assistant"]
SPEAKERS = [None, "Maya", "Tom"]
SOURCES = [None, "chat", "tool"]
#: sentences the rule extractor turns into facts, so facts are a channel too
TEXTS = [
    "I live in Lisbon now.",
    "I moved to Porto last month.",
    "I work at Tidewater as a nurse.",
    "We adopted a dog called Rex.",
    "The garden needs water and the dog needs a walk.",
    "I started a job at Brightline.",
    "Lisbon has good coffee.",
    "My sister Kasia lives in Warsaw.",
]
QUERIES = ["Where does Maya live?", "job work Tidewater", "dog Rex walk", "Lisbon Porto coffee",
           "Where did Maya work?"]  # fmt: skip
DAY = 86400.0
T0 = datetime(2022, 1, 1, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Row:
    text: str
    user: str
    agent: str | None
    session: str | None
    role: str | None
    speaker: str | None
    source: str | None
    day: int
    meta: int | None


@dataclass(frozen=True)
class Ask:
    query: str
    user: str
    agent: str | None
    session: str | None
    filters: dict[str, Any]
    as_of_day: int | None

    @property
    def as_of(self) -> float | None:
        return None if self.as_of_day is None else T0 + self.as_of_day * DAY + 43_200


rows_st = st.lists(
    st.builds(
        Row,
        text=st.sampled_from(TEXTS),
        user=st.sampled_from(USERS),
        agent=st.sampled_from(AGENTS),
        session=st.sampled_from(SESSIONS),
        role=st.sampled_from(ROLES),
        speaker=st.sampled_from(SPEAKERS),
        source=st.sampled_from(SOURCES),
        day=st.integers(0, 1000),
        meta=st.one_of(st.none(), st.integers(0, 2)),
    ),
    min_size=1,
    max_size=30,
)


@st.composite
def asks(draw: st.DrawFn) -> Ask:
    filters: dict[str, Any] = {}
    if draw(st.booleans()):
        filters["occurred_after"] = T0 + draw(st.integers(-10, 1000)) * DAY
    if draw(st.booleans()):
        filters["occurred_before"] = T0 + draw(st.integers(0, 1010)) * DAY
    for key, values in (("role", ROLES), ("speaker", SPEAKERS), ("source", SOURCES)):
        value = draw(st.sampled_from(values))
        if value is not None and draw(st.booleans()):
            filters[key] = value
    if draw(st.booleans()):
        filters["metadata"] = {"k": draw(st.integers(0, 2))}
    return Ask(
        query=draw(st.sampled_from(QUERIES)),
        user=draw(st.sampled_from(USERS)),
        agent=draw(st.sampled_from(AGENTS)),
        session=draw(st.sampled_from(SESSIONS)),
        filters=filters,
        as_of_day=draw(st.one_of(st.none(), st.integers(0, 1000))),
    )


def allowed(row: Row, ask: Ask) -> bool:
    """The oracle: the filter's meaning, written out from the API's documentation."""
    when = T0 + row.day * DAY
    f = ask.filters
    return (
        row.user == ask.user
        and (ask.agent is None or row.agent == ask.agent)
        and (ask.session is None or row.session == ask.session)
        and ("role" not in f or row.role == f["role"])
        and ("speaker" not in f or row.speaker == f["speaker"])
        and ("source" not in f or row.source == f["source"])
        and ("occurred_after" not in f or when >= f["occurred_after"])
        and ("occurred_before" not in f or when <= f["occurred_before"])
        and (ask.as_of is None or when <= ask.as_of)
        and ("metadata" not in f or row.meta == f["metadata"]["k"])
    )


class World:
    """One tenant pool behind the REST app, the MCP server and the library."""

    def __init__(self, data_dir: Path, db: str | None = None) -> None:
        self.pool = TenantPool(data_dir, embedder="hash-test", lexical_index=False, db=db)
        self.app = create_app(data_dir, pool=self.pool)
        self.client = TestClient(self.app).__enter__()
        self.n = itertools.count()
        #: tenant names no other test of the session uses (PostgreSQL schemas outlive a World)
        self.prefix = f"t{os.getpid()}x{next(_WORLDS)}x"

    def tenant(self, rows: list[Row]) -> tuple[str, dict[str, Row], str]:
        """A fresh tenant holding ``rows``; returns (tenant, id -> row, API key)."""
        tenant = f"{self.prefix}{next(self.n)}"
        key, _ = self.pool.keys.create(tenant)
        mem = self.pool.get(tenant)
        by_id: dict[str, Row] = {}
        for r in rows:
            msg: dict[str, Any] = {"content": r.text}
            if r.role:
                msg["role"] = r.role
            if r.speaker:
                msg["name"] = r.speaker
            res = mem.add(msg, user_id=r.user, agent_id=r.agent, session_id=r.session,
                          occurred_at=T0 + r.day * DAY, source=r.source,
                          metadata=None if r.meta is None else {"k": r.meta})  # fmt: skip
            if res[0].event == "ADD":
                by_id[res[0].id] = r
        return tenant, by_id, key

    def close(self) -> None:
        self.client.__exit__(None, None, None)


_WORLDS = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A tenant pool over SQLite files, then over schemas of this session's
    PostgreSQL (skipped, saying why, where none can start)."""
    db = None
    if request.param == "postgres":
        from tests.conftest import pg_base_url

        db = pg_base_url()
    w = World(tmp_path_factory.mktemp("invariant"), db)
    yield w
    w.close()


def _check_episodes(ids: list[str], by_id: dict[str, Row], ask: Ask, where: str) -> None:
    for ep_id in ids:
        assert allowed(by_id[ep_id], ask), f"{where}: {by_id[ep_id]} does not pass {ask}"


def _check_facts(
    facts: list[dict[str, Any]], by_id: dict[str, Row], ask: Ask, where: str, *, ends: bool = True
) -> None:
    narrows = bool(ask.agent or ask.session or ask.filters) or ask.as_of is not None
    for f in facts:
        if ask.as_of is not None:
            assert datetime.fromisoformat(f["valid_at"]).timestamp() <= ask.as_of, where
            if ends:  # the fact as the interface showed it
                _check_no_later_end(f, ask.as_of, where)
        if narrows:
            assert any(allowed(by_id[e], ask) for e in f["episode_ids"] if e in by_id), (
                f"{where}: fact {f} has no source episode that passes {ask}"
            )


def _mcp(mem: Any, user: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async def main() -> list[Any]:
        out = []
        async with Client(build_server(lambda: (mem, user))) as c:
            for tool, args in calls:
                r = await c.call_tool(tool, args)
                assert not r.is_error, r.content
                out.append(r.structured_content)
        return out

    return anyio.run(main)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows_st, ask=asks())
def test_every_hit_satisfies_its_filter_on_every_interface(
    world: World, rows: list[Row], ask: Ask
) -> None:
    tenant, by_id, key = world.tenant(rows)
    mem = world.pool.get(tenant)
    # the library
    res = mem.search(ask.query, user_id=ask.user, agent_id=ask.agent, session_id=ask.session,
                     filters=ask.filters or None, as_of=ask.as_of, limit=25)  # fmt: skip
    _check_episodes([h.episode.id for h in res], by_id, ask, "library search")
    _check_facts([h.to_dict() for h in res.facts], by_id, ask, "library search facts")
    # REST, same question
    body: dict[str, Any] = {"query": ask.query, "user_id": ask.user, "limit": 25}
    if ask.agent:
        body["agent_id"] = ask.agent
    if ask.session:
        body["session_id"] = ask.session
    if ask.filters:
        body["filters"] = ask.filters
    if ask.as_of is not None:
        body["as_of"] = ask.as_of
    r = world.client.post("/v1/search", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    _check_episodes([x["id"] for x in r.json()["results"]], by_id, ask, "REST /v1/search")
    _check_facts(r.json().get("facts", []), by_id, ask, "REST /v1/search facts")

    # context and MCP take a user and an as_of only: their filter is just that
    plain = Ask(ask.query, ask.user, None, None, {}, ask.as_of_day)
    ctx = mem.context(ask.query, user_id=ask.user, budget_tokens=4000, as_of=ask.as_of)
    _check_context(ctx.to_dict(), by_id, plain, "library context")
    cbody: dict[str, Any] = {"query": ask.query, "user_id": ask.user, "budget_tokens": 4000}
    if ask.as_of is not None:
        cbody["as_of"] = ask.as_of
    r = world.client.post("/v1/context", json=cbody, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    _check_context(r.json(), by_id, plain, "REST /v1/context")

    as_of = None if ask.as_of is None else datetime.fromtimestamp(ask.as_of, UTC).isoformat()
    recall_args: dict[str, Any] = {"query": ask.query, "limit": 50}
    ctx_args: dict[str, Any] = {"query": ask.query, "budget_tokens": 4000}
    if as_of:
        recall_args["as_of"] = ctx_args["as_of"] = as_of
    calls = [("recall", recall_args), ("context", ctx_args)]
    if as_of:
        calls.append(("facts", {"as_of": as_of, "include_expired": True}))
    recall, mctx, *mfacts = _mcp(mem, ask.user, calls)
    for f in mfacts[0]["results"] if mfacts else ():
        assert datetime.fromisoformat(f["valid_at"]).timestamp() <= ask.as_of, "MCP facts"
        _check_no_later_end(f, ask.as_of, "MCP facts")  # type: ignore[arg-type]
    _check_episodes([x["id"] for x in recall["results"]], by_id, plain, "MCP recall")
    facts_by_id = {f.id: f.to_dict() for f in mem.facts(user_id=ask.user, include_expired=True)}
    cited = list(mctx["citations"].values())
    _check_episodes([i for i in cited if i in by_id], by_id, plain, "MCP context")
    # (citations carry ids only; the rows looked up here are today's view)
    _check_facts([facts_by_id[i] for i in cited if i in facts_by_id], by_id, plain, "MCP context",
                 ends=False)  # fmt: skip


def _check_no_later_end(f: dict[str, Any], as_of: float, where: str) -> None:
    """A view as of a time shows no end or replacement that came after it."""
    for key in ("invalid_at", "expired_at"):
        if f.get(key) is not None:
            assert datetime.fromisoformat(f[key]).timestamp() <= as_of, (where, key, f)
    if f.get("superseded_by") is not None:
        assert f.get("expired_at") is not None, (where, f)


def _check_context(ctx: dict[str, Any], by_id: dict[str, Row], ask: Ask, where: str) -> None:
    items = [i for part in ctx["parts"] for i in part["items"]]
    _check_episodes([i["id"] for i in items if i["kind"] == "episode"], by_id, ask, where)
    for i in items:
        if i["kind"] == "fact" and ask.as_of is not None:
            assert datetime.fromisoformat(i["valid_at"]).timestamp() <= ask.as_of, where
            _check_no_later_end(i, ask.as_of, where)
            assert any(allowed(by_id[e], ask) for e in i["episode_ids"] if e in by_id), where


def test_neighbour_stage_honours_agent_and_time(world: World) -> None:
    """The issue's reproduction: a turn of another agent, and a later turn, sat
    next to a strong hit and came back with via="neighbour"."""
    rows = [
        Row("Where should we go for the trip?", "u1", "a1", "s1", "user", "Maya", None, 10, None),
        Row("Kyoto in spring, cherry blossoms everywhere.", "u1", "a2", "s1", "assistant",
            None, None, 11, None),
        Row("The trip to Kyoto is booked.", "u1", "a1", "s1", "user", "Maya", None, 900, None),
    ]  # fmt: skip
    tenant, by_id, _ = world.tenant(rows)
    mem = world.pool.get(tenant)
    ask = Ask("Where should we go for the trip?", "u1", "a1", None, {}, 100)
    # words only: the reply shares none, so only the neighbour stage can bring it
    res = mem.search(ask.query, user_id="u1", agent_id="a1", as_of=ask.as_of, limit=10,
                     config="lexical")  # fmt: skip
    assert [by_id[h.episode.id].text for h in res] == ["Where should we go for the trip?"]
    # without the filter the neighbour stage does bring the reply (and the later turn)
    res = mem.search(ask.query, user_id="u1", limit=10, config="lexical")
    via = {by_id[h.episode.id].text: h.via for h in res}
    assert via["Kyoto in spring, cherry blossoms everywhere."] == "neighbour"
