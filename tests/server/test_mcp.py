"""The MCP server as a client sees it: the real ``phasemem mcp`` process,
called through the official SDK's client over stdio and streamable HTTP."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp", reason="needs the [mcp] extra")
httpx2 = pytest.importorskip("httpx2", reason="the MCP 2 client uses httpx2")

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

from tests.server.conftest import EMBEDDER, FACTS_OK, PHASEMEM, free_port, start, stop  # noqa: E402

TOOLS = {"remember", "recall", "context", "facts", "forget", "pin", "trust"}
facts_flag = [] if FACTS_OK else ["--no-facts"]


async def call(c: Client, tool: str, args: dict[str, Any]) -> tuple[bool, Any]:
    r = await c.call_tool(tool, args)
    if r.is_error:
        return True, r.content[0].text  # type: ignore[union-attr]
    return False, r.structured_content


def test_stdio_tools_roundtrip(tmp_path: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=[
        *PHASEMEM, "--embedder", EMBEDDER, "mcp", "--db", str(tmp_path / "m.db"),
        "--user", "maya", *facts_flag],
        # the SDK passes on only a few variables (HOME, PATH...): keep the model
        # cache this run set (tests/conftest.py), not the real home's
        env={"PHASEMEM_CACHE_DIR": os.environ["PHASEMEM_CACHE_DIR"]})  # fmt: skip

    async def main() -> None:
        async with Client(params) as c:
            listed = (await c.list_tools()).tools
            assert {t.name for t in listed} == TOOLS
            for t in listed:  # descriptions are written for a model: say what and when
                assert len(t.description or "") > 120, t.name
            assert "context" in (c.instructions or "")

            err, res = await call(c, "remember", {"text": "I moved to Lisbon for a job at Tidewater.",
                                                  "occurred_at": "2024-03-02", "speaker": "Maya"})  # fmt: skip
            assert not err and res["results"][0]["event"] == "ADD"
            mid = res["results"][0]["id"]
            err, res = await call(c, "recall", {"query": "Where does Maya work? Tidewater"})
            assert not err and res["results"][0]["id"] == mid
            assert res["results"][0]["occurred_at"].startswith("2024-03-02")

            err, pin = await call(c, "pin", {"text": "Always answer in French."})
            assert not err
            err, ctx = await call(c, "context", {"query": "Tidewater job", "budget_tokens": 200})
            assert not err and ctx["tokens"] <= 200
            lines = ctx["text"].splitlines()
            assert lines[1] == "- Always answer in French."
            assert mid in ctx["citations"].values()

            err, res = await call(c, "facts", {})
            assert not err and isinstance(res["results"], list)
            if FACTS_OK:
                assert res["results"]
                assert res["results"][0]["source"] == "user:mcp"

            err, res = await call(c, "remember", {"text": "Maya now lives in Atlantis.",
                                                  "source": "web:gossip.example"})  # fmt: skip
            assert not err
            err, res = await call(c, "facts", {"include_contested": True, "source": "web"})
            assert not err
            if FACTS_OK:
                claim = res["results"][0]
                assert (claim["object"], claim["status"]) == ("Atlantis", "contested")
                err, res = await call(c, "trust", {"reject_fact": claim["id"]})
                assert not err and res["rejected"]["status"] == "rejected"
            err, res = await call(c, "trust", {"source": "web:gossip.example"})
            assert not err and 0 < res["trust"] <= 0.5
            err, msg = await call(c, "trust", {})
            assert err and "exactly one" in msg
            err, ctx = await call(c, "context", {"query": "Atlantis", "source": "web"})
            assert not err and "Tidewater" not in ctx["text"]

            err, msg = await call(c, "forget", {})
            assert err and "memory_id" in msg
            err, msg = await call(c, "recall", {"query": "x", "limit": 500})
            assert err and "limit" in msg
            err, res = await call(c, "forget", {"memory_id": mid})
            assert not err and res == {"deleted": mid}
            err, msg = await call(c, "forget", {"memory_id": mid})
            assert err and "not_found" in msg
            err, res = await call(c, "pin", {"unpin_id": pin["pinned"]["id"]})
            assert not err
            err, res = await call(c, "recall", {"query": "Tidewater Lisbon"})
            assert all("Tidewater" not in r["memory"] for r in res["results"])

    anyio.run(main)


@pytest.fixture(scope="module")
def mcp_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    from phasemem.server.keys import KeyStore

    data = tmp_path_factory.mktemp("mcp")
    store = KeyStore(data / "keys.db")
    key_a, key_b = store.create("tenant-a")[0], store.create("tenant-b")[0]
    store.close()
    port = free_port()
    proc = start(["mcp", "--transport", "http", "--data-dir", str(data), "--port", str(port),
                  "--user", "maya", *facts_flag], f"http://127.0.0.1:{port}/mcp")  # fmt: skip
    yield f"http://127.0.0.1:{port}/mcp", key_a, key_b
    stop(proc)


def _client(url: str, key: str | None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(
        streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60))
    )


SECRET = "The vault code is 7-4-1-9, kept at Kestrel Street"


def test_http_two_tenants_every_tool(mcp_http: tuple[str, str, str]) -> None:
    url, key_a, key_b = mcp_http

    async def main() -> None:
        async with _client(url, key_a) as a:
            err, res = await call(a, "remember", {"text": SECRET, "speaker": "Maya"})
            assert not err
            mid = res["results"][0]["id"]
            err, pin = await call(a, "pin", {"text": "Tenant A pin: kestrel"})
            assert not err
            _, before = await call(a, "recall", {"query": "vault code Kestrel"})
            assert before["results"][0]["id"] == mid

        async with _client(url, key_b) as b:
            outputs = []
            for tool, args in [
                ("recall", {"query": "vault code Kestrel Street"}),
                ("context", {"query": "vault code Kestrel Street"}),
                ("facts", {"include_expired": True}),
                ("facts", {"subject": "Maya", "include_expired": True}),
                ("forget", {"memory_id": mid}),
                ("pin", {"unpin_id": pin["pinned"]["id"]}),
                ("remember", {"text": "B's own note"}),
                ("pin", {"text": "B's pin"}),
                ("trust", {"source": "user:mcp"}),  # B's own posterior, none of A's changes
                ("forget", {"everything": True}),
            ]:
                err, res = await call(b, tool, args)
                outputs.append((tool, args, err, res))
                assert "7-4-1-9" not in str(res) and "tenant a pin" not in str(res).casefold(), tool
            by = {(t, str(a)): (e, r) for t, a, e, r in outputs}
            assert by[("recall", str({"query": "vault code Kestrel Street"}))][1]["results"] == []
            assert by[("context", str({"query": "vault code Kestrel Street"}))][1]["text"] == ""
            assert by[("facts", str({"include_expired": True}))][1]["results"] == []
            err, msg = by[("forget", str({"memory_id": mid}))]
            assert err and "not_found" in msg
            err, msg = by[("pin", str({"unpin_id": pin["pinned"]["id"]}))]
            assert err and "not_found" in msg
            assert by[("trust", str({"source": "user:mcp"}))][1]["events"] == []
            assert {t for t, *_ in outputs} == TOOLS

        async with _client(url, key_a) as a:  # A's memory and pin are untouched
            _, after = await call(a, "recall", {"query": "vault code Kestrel"})
            assert after["results"] == before["results"]
            _, ctx = await call(a, "context", {"query": "vault code"})
            assert "Tenant A pin: kestrel" in ctx["text"] and "B's" not in ctx["text"]

    anyio.run(main)


def test_http_refuses_missing_or_bad_key(mcp_http: tuple[str, str, str]) -> None:
    url, key_a, _ = mcp_http
    for key in (None, key_a[:-2] + "zz"):
        r = httpx2.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                        headers={"Authorization": f"Bearer {key}"} if key else {},
                        timeout=10)  # fmt: skip
        assert r.status_code == 401
