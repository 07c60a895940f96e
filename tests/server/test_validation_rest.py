"""Bad input over REST: a 422 in the documented shape (``error.code``,
``error.field``), never a 500, and the client's keep-alive connection is
still usable afterwards (a 500 from an unhandled error used to close it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.conftest import Server

YEAR1_PLUS5 = "0001-01-01T00:00:00+05:00"
Y9999_MINUS5 = "9999-12-31T23:00:00-05:00"

BAD: list[tuple[str, str, dict[str, Any], set[str]]] = [
    ("POST", "/v1/memories", {"messages": "hi", "user_id": "u", "occurred_at": YEAR1_PLUS5}, {"occurred_at"}),
    ("POST", "/v1/memories", {"messages": "hi", "user_id": "u", "occurred_at": Y9999_MINUS5}, {"occurred_at"}),
    ("POST", "/v1/memories", {"messages": "hi", "user_id": "u", "occurred_at": 1e308}, {"occurred_at"}),
    ("POST", "/v1/memories", {"messages": "hi", "user_id": "u", "occurred_at": 10**400}, {"occurred_at"}),
    ("POST", "/v1/memories", {"messages": "hi", "user_id": "u", "occurred_at": "nan"}, {"occurred_at"}),
    ("POST", "/v1/memories", {"messages": "hi", "user_id": "u", "occurred_at": "-1"}, {"occurred_at"}),
    ("POST", "/v1/memories", {"messages": "hi", "user_id": "u", "occurred_at": "1e309"}, {"occurred_at"}),
    ("POST", "/v1/memories", {"messages": [{"content": "hi", "occurred_at": YEAR1_PLUS5}], "user_id": "u"},
     {"messages[0].occurred_at"}),
    ("POST", "/v1/search", {"query": "hi", "user_id": "u", "as_of": Y9999_MINUS5}, {"as_of", "occurred_before"}),
    ("POST", "/v1/search", {"query": "hi", "user_id": "u", "filters": {"occurred_after": YEAR1_PLUS5}},
     {"occurred_after"}),
    ("POST", "/v1/context", {"query": "hi", "user_id": "u", "as_of": YEAR1_PLUS5}, {"as_of"}),
    ("POST", "/v1/search", {"query": "hi", "user_id": "u", "filters": {"metadata": {"k": 2**70}}}, {"metadata"}),
    ("GET", f"/v1/facts?user_id=u&as_of={Y9999_MINUS5.replace('-05:00', '%2D05:00')}", {}, {"as_of"}),
    ("GET", "/v1/memories/abc%0A", {}, {"memory_id"}),
]  # fmt: skip


def _send(c: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return c.post(path, json=body) if method == "POST" else c.get(path)


def test_bad_input_is_422_and_the_connection_survives(server: Server) -> None:
    with server.client(server.key_a) as c:
        ok = c.post("/v1/memories", json={"messages": "first", "user_id": "gate-user"})
        assert ok.status_code == 201
        stream = ok.extensions["network_stream"]
        for method, path, body, fields in BAD:
            r = _send(c, method, path, body)
            assert r.status_code == 422, (path, body, r.text)
            err = r.json()["error"]
            assert err["code"] in ("invalid_time", "invalid_input") and err["message"]
            assert err["field"] in fields, (path, body, err)
            # one connection throughout: the error did not make the server close it
            assert r.extensions["network_stream"] is stream, (path, body)
        r = c.post("/v1/memories", json={"messages": "after the errors", "user_id": "gate-user"})
        assert r.status_code == 201 and r.extensions["network_stream"] is stream
        texts = [m["memory"] for m in c.get("/v1/memories?user_id=gate-user").json()["results"]]
        assert texts == ["first", "after the errors"]


@pytest.mark.parametrize(
    "raw",
    [
        '{"messages": "hi", "user_id": "u\\ud800"}',
        '{"messages": "hi", "user_id": "u", "metadata": {"k": "\\ud800"}}',
        '{"query": "hi", "user_id": "u", "filters": {"metadata": {"k": "\\udc00"}}}',
    ],
)
def test_lone_surrogates_in_json_are_422(server: Server, raw: str) -> None:
    path = "/v1/search" if "query" in raw else "/v1/memories"
    with server.client(server.key_a) as c:
        r = c.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input"
