"""Fair accepting: a burst of keep-alive clients is shared between server processes."""

from __future__ import annotations

import asyncio
import collections
import json
import socket
import time
from pathlib import Path

import pytest

from phasemem.server.fairloop import FairAcceptLoop
from tests.server.conftest import free_port, start, stop


async def _echo_server_counts(n_clients: int) -> tuple[int, int]:
    """One loop, n clients at once: every one is served; returns (served, open at peak)."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, FairAcceptLoop)
    peak = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal peak
        peak = max(peak, loop.open_connections)
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def client(i: int) -> bytes:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(f"{i}\n".encode())
        await w.drain()
        line = await r.readline()
        w.close()
        return line

    answers = await asyncio.gather(*(client(i) for i in range(n_clients)))
    server.close()
    await server.wait_closed()
    assert sorted(answers) == sorted(f"{i}\n".encode() for i in range(n_clients))
    await asyncio.sleep(0.05)
    return len(answers), peak


def _run(coro):  # type: ignore[no-untyped-def]
    with asyncio.Runner(
        loop_factory=FairAcceptLoop
    ) as runner:  # asyncio.run has no factory in 3.11
        return runner.run(coro)


def test_one_loop_alone_still_accepts_every_client() -> None:
    served, peak = _run(_echo_server_counts(40))
    assert served == 40 and peak >= 1


def test_closing_while_paused_is_clean() -> None:
    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            await asyncio.sleep(0)  # accepted, listening paused
            server.close()  # while paused
            await server.wait_closed()
        await asyncio.sleep(0.02)  # the resume timer fires on a closed socket: no error

    _run(main())


@pytest.fixture
def two_workers(tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    proc = start(["serve", "--data-dir", str(tmp_path), "--port", str(port), "--workers", "2",
                  "--no-facts"], f"http://127.0.0.1:{port}/v1/healthz")  # fmt: skip
    yield port
    stop(proc)


def _pid_over(sock: socket.socket) -> int:
    sock.sendall(b"GET /v1/healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(
        next(
            h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += sock.recv(4096)
    return int(json.loads(body)["pid"])


def _both_workers_up(port: int, timeout: float = 60) -> None:
    """healthz answers as soon as one worker is up; wait until both answer
    (a burst before the second listens can only reach the first)."""
    deadline = time.monotonic() + timeout
    seen: set[int] = set()
    while len(seen) < 2 and time.monotonic() < deadline:
        conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        try:
            seen.update(_pid_over(c) for c in conns)
        finally:
            for c in conns:
                c.close()
        time.sleep(0.1)
    assert len(seen) == 2, f"only {len(seen)} worker answered"


def test_burst_of_keepalive_clients_is_split_between_workers(two_workers: int) -> None:
    """Plain uvicorn workers put 8 of 8 in one process 9 times in 10 (measured)."""
    _both_workers_up(two_workers)
    splits = []
    for _ in range(3):
        conns = [socket.create_connection(("127.0.0.1", two_workers)) for _ in range(8)]
        try:
            pids = collections.Counter(_pid_over(c) for c in conns)
        finally:
            for c in conns:
                c.close()
        splits.append(sorted(pids.values()))
    assert all(len(s) == 2 and s[0] >= 2 for s in splits), splits
