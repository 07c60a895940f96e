"""The direct ``/v1/search`` path answers exactly as the FastAPI route does.

One server runs with the direct path (the default), a second on the same data
with ``--no-fast-search``; every request goes to both and the answers must be
equal, errors included."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.conftest import FACTS_OK, Server, free_port, start, stop


@pytest.fixture(scope="module")
def route_only(server: Server) -> Iterator[str]:
    port = free_port()
    args = ["serve", "--data-dir", str(server.data_dir), "--port", str(port),
            "--max-body", "65536", "--no-fast-search"]  # fmt: skip
    if not FACTS_OK:
        args.append("--no-facts")
    proc = start(args, f"http://127.0.0.1:{port}/v1/healthz")
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def _stats(c: Any) -> dict[str, int]:
    return c.get("/v1/healthz").json()["search"]


def _strip_timing(body: Any) -> Any:
    """Trace timings and the query's clock differ between two runs of the same
    search; nothing else may."""
    if isinstance(body, dict):
        return {k: _strip_timing(v) for k, v in body.items()
                if not k.endswith("_ms") and k != "query_time"}  # fmt: skip
    if isinstance(body, list):
        return [_strip_timing(v) for v in body]
    return body


def test_direct_path_answers_like_the_route(server: Server, route_only: str) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    fast = server.client(server.key_a)
    slow = server.client(server.key_a)
    slow.base_url = route_only  # type: ignore[assignment]
    with fast, slow:
        texts = ["I moved to Lisbon for a job at Tidewater.", "We sailed to Porto in June.",
                 "Maya's sister lives in Faro.", "The kite festival was windy."]  # fmt: skip
        for i, t in enumerate(texts):
            r = fast.post("/v1/memories", json={"messages": [{"role": "user", "name": "Maya", "content": t}],
                                                "user_id": user, "occurred_at": f"2024-0{i + 1}-10"})  # fmt: skip
            assert r.status_code == 201, r.text
        before = _stats(fast)
        bodies: list[dict[str, Any]] = [
            {"query": "Lisbon job", "user_id": user},
            {"query": "where does her sister live", "user_id": user, "limit": 2},
            {"query": "sailing", "user_id": user, "as_of": "2024-03-01"},
            {"query": "kite", "user_id": user, "preset": "lexical", "trace": True},
            {"query": "Porto", "user_id": user, "filters": {"speaker": "Maya", "occurred_after": "2024-01-15"}},
            {"query": 'AND OR NOT "unbalanced ( * ^', "user_id": user},
            {"query": "nobody here", "user_id": "u-nobody"},
        ]  # fmt: skip
        for body in bodies:
            a, b = fast.post("/v1/search", json=body), slow.post("/v1/search", json=body)
            assert a.status_code == b.status_code == 200, (a.text, b.text)
            assert a.headers["content-type"] == b.headers["content-type"]
            assert _strip_timing(a.json()) == _strip_timing(b.json()), body
        after = _stats(fast)
        assert after["served"] - before["served"] == len(bodies)

        # invalid requests and engine errors go to the route: same status, same body
        bad: list[dict[str, Any] | bytes] = [
            b"{bad", {"query": "x"}, {"query": "x", "user_id": user, "limit": 0},
            {"query": "x", "user_id": user, "as_of": "not a time at all"},
            {"query": "x", "user_id": user, "filters": {"occurred_after": "the day after never"}},
            {"query": "x", "user_id": user, "unknown": 1},
        ]  # fmt: skip
        for body in bad:
            kw = {"content": body} if isinstance(body, bytes) else {"json": body}
            a, b = fast.post("/v1/search", **kw), slow.post("/v1/search", **kw)  # type: ignore[arg-type]
            assert a.status_code == b.status_code and a.status_code >= 400, (body, a.text)
            assert a.json() == b.json(), body
        assert _stats(fast)["handed_on"] - after["handed_on"] == len(bad)

        # the body is parsed as JSON exactly when the route would parse it
        ok = b'{"query": "Lisbon", "user_id": "%s"}' % user.encode()
        for ctype in ("application/x-www-form-urlencoded", "text/plain", "application/vnd.api+json",
                      "application/json; charset=utf-8", "APPLICATION/JSON", None):  # fmt: skip
            headers = {"content-type": ctype} if ctype else {}
            a = fast.post("/v1/search", content=ok, headers=headers)
            b = slow.post("/v1/search", content=ok, headers=headers)
            assert a.status_code == b.status_code, (ctype, a.text, b.text)
            assert _strip_timing(a.json()) == _strip_timing(b.json()), ctype
        assert _stats(slow) == {"served": 0, "handed_on": 0}


def test_direct_path_keeps_tenants_apart(server: Server) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    with server.client(server.key_a) as a, server.client(server.key_b) as b:
        r = a.post("/v1/memories", json={"messages": "tenant A's secret orchid", "user_id": user})
        assert r.status_code == 201
        assert a.post("/v1/search", json={"query": "orchid", "user_id": user}).json()["results"]
        assert (
            b.post("/v1/search", json={"query": "orchid", "user_id": user}).json()["results"] == []
        )
        with server.client(None) as anon:
            assert (
                anon.post("/v1/search", json={"query": "orchid", "user_id": user}).status_code
                == 401
            )
