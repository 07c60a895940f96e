"""MCP failures carry the documented ``{code, message, field?}``, arguments
are strictly typed, and over HTTP each key acts as its own user.

Most of this calls the server in process (``MCPServer.call_tool`` is what the
transports call); the HTTP part starts the real ``phasemem mcp`` process."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("mcp", reason="needs the [mcp] extra")
httpx2 = pytest.importorskip("httpx2", reason="the MCP 2 client uses httpx2")

from mcp import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

from phasemem import Memory  # noqa: E402
from phasemem.mcp_server.server import build_server  # noqa: E402
from phasemem.server.keys import KeyStore  # noqa: E402
from tests.server.conftest import free_port, start, stop  # noqa: E402

CODES = {"invalid_input", "invalid_time", "not_found", "unknown_tool", "import_format"}
TOOLS = ["remember", "recall", "context", "facts", "forget", "pin"]
PARAMS = ["text", "occurred_at", "speaker", "query", "limit", "as_of", "budget_tokens", "subject",
          "relation", "include_expired", "memory_id", "everything", "unpin_id"]  # fmt: skip


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Any, Memory, str]]:
    """A server over one store: the tools act on user "maya"; a sentinel of
    another user (which no tool can name) must survive everything."""
    mem = Memory(":memory:", embedder="hash-test", extractor=None)
    sentinel = mem.add("sentinel at Kestrel Street", user_id="sentinel")[0].id
    yield build_server(lambda: (mem, "maya")), mem, sentinel
    mem.close()


def _call(server: Any, tool: str, args: dict[str, Any]) -> Any:
    async def go() -> Any:
        return await server.call_tool(tool, args)

    return anyio.run(go)


def _error(result: Any) -> dict[str, Any]:
    """The error object, checked to be the same in the text and the structure."""
    assert result.is_error
    err = result.structured_content
    assert json.loads(result.content[0].text) == err
    assert set(err) <= {"code", "message", "field"} and err["message"], err
    return err


@pytest.mark.parametrize(
    ("tool", "args", "code", "field"),
    [
        ("forget", {"everything": "yes"}, "invalid_input", "everything"),
        ("forget", {"everything": 1}, "invalid_input", "everything"),
        ("forget", {}, "invalid_input", "memory_id"),
        ("forget", {"memory_id": "no-such-id"}, "not_found", None),
        ("forget", {"memory_id": ["x"]}, "invalid_input", "memory_id"),
        ("recall", {"query": "x", "limit": "5"}, "invalid_input", "limit"),
        ("recall", {"query": "x", "limit": 5.0}, "invalid_input", "limit"),
        ("recall", {"query": "x", "limit": 500}, "invalid_input", "limit"),
        ("recall", {"query": "x", "limit": True}, "invalid_input", "limit"),
        ("recall", {"query": 5}, "invalid_input", "query"),
        ("recall", {"query": "x", "as_of": "0001-01-01T00:00:00+05:00"}, "invalid_time", "as_of"),
        ("recall", {"query": "x", "as_of": "nan"}, "invalid_time", "as_of"),
        ("remember", {}, "invalid_input", "text"),
        ("remember", {"text": "x", "occurred_at": "-1"}, "invalid_time", "occurred_at"),
        ("remember", {"text": "x", "occurred_at": 1700000000}, "invalid_input", "occurred_at"),
        ("remember", {"text": "bad \ud800"}, "invalid_input", "text"),
        ("context", {"query": "x", "budget_tokens": "1500"}, "invalid_input", "budget_tokens"),
        ("context", {"query": "x", "budget_tokens": 10}, "invalid_input", "budget_tokens"),
        ("context", {"query": "x", "as_of": "9999-12-31T23:00:00-05:00"}, "invalid_time", "as_of"),
        ("facts", {"include_expired": "true"}, "invalid_input", "include_expired"),
        ("facts", {"limit": 0}, "invalid_input", "limit"),
        ("facts", {"subject": "m" * 600}, "invalid_input", "subject"),
        ("pin", {}, "invalid_input", "text"),
        ("pin", {"unpin_id": "no-such-pin"}, "not_found", None),
        ("no_such_tool", {}, "unknown_tool", None),
    ],
)  # fmt: skip
def test_tool_errors_carry_code_and_field(
    served: tuple[Any, Memory, str], tool: str, args: dict[str, Any], code: str, field: str | None
) -> None:
    server, mem, sentinel = served
    mem.add("maya's own memory", user_id="maya")
    err = _error(_call(server, tool, args))
    assert err["code"] == code, err
    assert err.get("field") == field, err
    assert [e.text for e in mem.get_all(user_id="maya")] == ["maya's own memory"]
    assert mem.get(sentinel).text == "sentinel at Kestrel Street"


def test_forget_everything_needs_a_real_true(served: tuple[Any, Memory, str]) -> None:
    # {"everything": "yes"} once erased the user: a string was coerced to true
    server, mem, _ = served
    mem.add("keep me", user_id="maya")
    for value in ("yes", "true", 1, "1"):
        assert _call(server, "forget", {"everything": value}).is_error
    assert mem.get_all(user_id="maya")
    ok = _call(server, "forget", {"everything": True})
    assert not ok.is_error and mem.get_all(user_id="maya") == []


ANY = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.text(st.characters(codec=None, categories=None), max_size=20),
        st.sampled_from(
            ["", "2024-03-02", "0001-01-01T00:00:00+05:00", "nan", "yes", "true", '"', "NEAR("]
        ),
    ),  # fmt: skip
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=5), inner, max_size=2)
    ),
    max_leaves=4,
)


def _fuzz_one(served: tuple[Any, Memory, str], tool: str, args: dict[str, Any]) -> None:
    server, mem, sentinel = served
    result = _call(server, tool, args)
    if result.is_error:
        assert _error(result)["code"] in CODES
    else:
        assert isinstance(result.structured_content, dict)
    assert mem.get(sentinel).text == "sentinel at Kestrel Street"


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(
    tool=st.sampled_from([*TOOLS, "nope"]),
    args=st.dictionaries(st.sampled_from(PARAMS), ANY, max_size=4),
)
def test_mcp_fuzz_every_failure_has_the_stable_shape(
    served: tuple[Any, Memory, str], tool: str, args: dict[str, Any]
) -> None:
    _fuzz_one(served, tool, args)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    tool=st.sampled_from([*TOOLS, "nope"]),
    args=st.dictionaries(st.sampled_from(PARAMS), ANY, max_size=4),
)
def test_mcp_fuzz_every_failure_has_the_stable_shape_long(
    served: tuple[Any, Memory, str], tool: str, args: dict[str, Any]
) -> None:
    _fuzz_one(served, tool, args)


# -- keys.db: the user a key acts as -----------------------------------------------------------
def test_old_keys_db_gains_the_user_column(tmp_path: Path) -> None:
    path = tmp_path / "keys.db"
    with sqlite3.connect(path) as conn:  # keys.db as written before keys had users
        conn.execute("CREATE TABLE keys (kid TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT,"
                     " salt BLOB NOT NULL, hash BLOB NOT NULL, created_at REAL NOT NULL, revoked_at REAL)")  # fmt: skip
        conn.execute(
            "INSERT INTO keys VALUES ('0123456789ab', 'acme', NULL, x'00', x'00', 1.0, NULL)"
        )
    conn.close()
    store = KeyStore(path)
    try:
        old = store.list()
        assert [(k.kid, k.user) for k in old] == [("0123456789ab", None)]
        key, info = store.create("acme", user="maya")
        assert info.user == "maya"
        assert store.authenticate(key).user == "maya"  # type: ignore[union-attr]
        assert (
            KeyStore(path).list()[-1].to_dict()["user"] == "maya"
        )  # a second open: no ALTER again
    finally:
        store.close()


def test_key_user_is_a_scope_id(tmp_path: Path) -> None:
    from phasemem import InvalidInputError

    store = KeyStore(tmp_path / "keys.db")
    try:
        for bad in ("maya\n", "", "a\ud800", 5):
            with pytest.raises(InvalidInputError):
                store.create("acme", user=bad)  # type: ignore[arg-type]
    finally:
        store.close()


# -- over HTTP: the user comes from the key ----------------------------------------------------
@pytest.fixture(scope="module")
def mcp_users(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data = tmp_path_factory.mktemp("mcp-users")
    store = KeyStore(data / "keys.db")
    keys = {
        "maya": store.create("acme", user="maya")[0],
        "bob": store.create("acme", user="bob")[0],
        "unbound": store.create("acme")[0],
    }
    store.close()
    port = free_port()
    proc = start(["mcp", "--transport", "http", "--data-dir", str(data), "--port", str(port),
                  "--no-facts"], f"http://127.0.0.1:{port}/mcp")  # fmt: skip
    yield f"http://127.0.0.1:{port}/mcp", keys
    stop(proc)


def _client(url: str, key: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
    return Client(streamable_http_client(url, http_client=http))


def test_http_each_key_acts_as_its_user(mcp_users: tuple[str, dict[str, str]]) -> None:
    url, keys = mcp_users

    async def recall(key: str, query: str) -> list[str]:
        async with _client(url, key) as c:
            r = await c.call_tool("recall", {"query": query})
            assert not r.is_error
            return [x["memory"] for x in r.structured_content["results"]]  # type: ignore[index]

    async def main() -> None:
        async with _client(url, keys["maya"]) as c:
            r = await c.call_tool("remember", {"text": "Maya keeps bees in Porto"})
            assert not r.is_error
            bad = await c.call_tool("forget", {"everything": "yes"})  # over the wire, too
            assert bad.is_error and bad.structured_content["code"] == "invalid_input"  # type: ignore[index]
            assert json.loads(bad.content[0].text)["field"] == "everything"  # type: ignore[union-attr]
        async with _client(url, keys["unbound"]) as c:
            r = await c.call_tool("remember", {"text": "the default user keeps goats"})
            assert not r.is_error
        # each key sees exactly its own user's memories (recall returns all of them here)
        assert await recall(keys["maya"], "keeps") == ["Maya keeps bees in Porto"]
        assert await recall(keys["bob"], "keeps") == []
        assert await recall(keys["unbound"], "keeps") == ["the default user keeps goats"]
        async with _client(url, keys["bob"]) as c:  # bob erasing himself leaves maya alone
            r = await c.call_tool("forget", {"everything": True})
            assert not r.is_error
        assert await recall(keys["maya"], "keeps") == ["Maya keeps bees in Porto"]

    anyio.run(main)
