"""The REST load bench end to end on a tiny tenant: real server, real HTTP, both loops."""

from __future__ import annotations

import json
from pathlib import Path

from phasemem.research.bench import load


def test_load_bench_closed_and_open_loop(tmp_path: Path) -> None:
    res = load.run(
        n=300,
        clients=3,
        seconds=2.0,
        max_requests=60,
        workdir=str(tmp_path),
        embedder="hash-test-64",
        rate=30.0,
    )
    assert res["errors"] == 0 and res["requests"] > 0
    assert sum(res["connections_per_worker"]) == res["clients"]  # each connection found its pid
    assert res["mode"] == "closed" and res["search_ms"]["p50"] > 0
    assert res["server_cpu_ms_per_request"] > 0
    assert res["client_cpu_ms_per_request"] > 0
    o = res["open_loop"]
    assert o["mode"] == "open" and o["offered_rate"] == 30.0 and o["errors"] == 0
    # a schedule of 30 req/s for 2 s: about 60 sends, never more than the quota
    assert 20 <= o["requests"] <= 60
    # the kept workdir is reused, not refilled
    again = load.fill(tmp_path / "tenants" / "load.db", 300, "hash-test-64", lambda _: None)
    assert again["filled"] == 0 and again["existing"] == 300


def test_response_parser_reads_chunked_bodies() -> None:
    import asyncio

    async def parse(raw: bytes) -> tuple[int, bytes]:
        r = asyncio.StreamReader()
        r.feed_data(raw)
        r.feed_eof()
        return await load._response(r)

    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    assert asyncio.run(parse(chunked)) == (200, b"abcde")
    plain = b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}"
    assert asyncio.run(parse(plain)) == (404, b"{}")


def test_load_bench_with_a_writer(tmp_path: Path) -> None:
    res = load.run(n=200, clients=2, seconds=2.0, max_requests=10_000, workdir=str(tmp_path),
                   embedder="hash-test-64", writer_rate=5.0, writer_window=1.0)  # fmt: skip
    w = res["writer"]
    assert w["windows"] == 4 and w["writer_rate"] == 5.0  # 2 x 2 s: off, on, off, on
    for side in (w["without_writer"], w["with_writer"]):
        assert side["errors"] == 0 and side["requests"] > 0 and side["server_cpu_ms_per_search"] > 0
    writes = w["writes"]
    # 5 adds/s during two 1-s windows
    assert writes["errors"] == 0 and 6 <= writes["adds"] <= 12 and writes["add_ms"]["p50"] > 0
    assert "samples_ms" not in json.dumps(res)
    # the writer's memories are really there (the same user the clients search)
    from phasemem.memory import Memory

    with Memory(tmp_path / "tenants" / "load.db", embedder="hash-test-64", extractor=None) as m:
        assert m.store.count() == 200 + writes["adds"]


def test_load_bench_two_servers_on_postgres(tmp_path: Path) -> None:
    """Two ``serve --db`` processes on one PostgreSQL: the clients reach both,
    with one key made in the database, and a write through the first server
    is found by the very next search on the second."""
    from tests.conftest import pg_base_url

    res = load.run(n=200, clients=4, seconds=2.0, max_requests=10_000, workdir=str(tmp_path),
                   embedder="hash-test-64", db=pg_base_url(), servers=2, visibility_samples=5,
                   writer_rate=5.0, writer_window=1.0)  # fmt: skip
    assert res["backend"] == "postgresql" and res["servers"] == 2
    assert res["errors"] == 0 and res["requests"] > 0
    assert len(res["connections_per_worker"]) == 2  # two server processes answered
    assert res["writer"]["writes"]["errors"] == 0 and res["writer"]["writes"]["adds"] > 0
    v = res["visibility"]
    assert v["missed"] == 0 and v["searches"]["first_try"] == 5 and v["lag_max_ms"] < 1000
