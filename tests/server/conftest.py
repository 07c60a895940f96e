"""Real servers for the serving tests: each fixture starts ``phasemem serve`` or
``phasemem mcp`` as a separate process on a free loopback port and talks to it
over HTTP (or stdio), exactly as a client would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the [server] extra")
httpx = pytest.importorskip("httpx")

from phasemem import Memory  # noqa: E402
from phasemem.server.keys_pg import open_keystore  # noqa: E402

EMBEDDER = "hash-test"
#: The ``phasemem`` command exactly as installed (``python -m`` of a module the
#: package already imports would run it twice).
PHASEMEM = ("-c", "from phasemem.cli import main; main()")


def _facts_work() -> bool:
    """Fact extraction needs the Speed Gate weights; some checkouts lack them."""
    try:
        with Memory(":memory:", embedder=EMBEDDER) as m:
            m.add([{"role": "user", "name": "Maya", "content": "I live in Porto.", "occurred_at": "2020-01-05"},
                   {"role": "user", "name": "Maya", "content": "I moved to Lisbon for a job at Tidewater.",
                    "occurred_at": "2023-06-01"}], user_id="probe")  # fmt: skip
            return bool(m.facts(user_id="probe"))
    except Exception:
        return False


FACTS_OK = _facts_work()
needs_facts = pytest.mark.skipif(not FACTS_OK, reason="fact extraction unavailable here")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *PHASEMEM, *args], capture_output=True,
                          text=True, timeout=timeout, check=False)  # fmt: skip


def start(args: list[str], health_url: str | None, timeout: float = 90) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, *PHASEMEM, "--embedder", EMBEDDER, *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)  # fmt: skip
    if health_url is None:
        return proc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(health_url, timeout=1).status_code in (200, 401, 404, 405, 406):
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError("server did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@dataclass
class Server:
    url: str
    data_dir: Path
    key_a: str
    key_b: str
    proc: subprocess.Popen[bytes]

    def client(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def _keys(data_dir: Path, db: str | None = None) -> tuple[str, str]:
    store = open_keystore(data_dir, db)
    try:
        return store.create("tenant-a", "tests")[0], store.create("tenant-b", "tests")[0]
    finally:
        store.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("serve")
    key_a, key_b = _keys(data)
    port = free_port()
    args = ["serve", "--data-dir", str(data), "--port", str(port), "--max-body", "65536"]
    if not FACTS_OK:
        args.append("--no-facts")
    proc = start(args, f"http://127.0.0.1:{port}/v1/healthz")
    yield Server(f"http://127.0.0.1:{port}", data, key_a, key_b, proc)
    stop(proc)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``phasemem serve --db postgresql://...``: each tenant a schema owned by a
    role of its own in this session's PostgreSQL (skipped, saying why, where
    none can start)."""
    from tests.conftest import pg_base_url

    db = pg_base_url()
    data = tmp_path_factory.mktemp("serve-pg")
    key_a, key_b = _keys(data, db)  # in the database's keys table, not keys.db
    port = free_port()
    args = ["serve", "--data-dir", str(data), "--port", str(port), "--max-body", "65536",
            "--db", db]  # fmt: skip
    if not FACTS_OK:
        args.append("--no-facts")
    proc = start(args, f"http://127.0.0.1:{port}/v1/healthz")
    yield Server(f"http://127.0.0.1:{port}", data, key_a, key_b, proc)
    stop(proc)


@pytest.fixture(params=["sqlite", "postgres"])
def any_server(request: pytest.FixtureRequest) -> Server:
    """The SQLite server, then the PostgreSQL one (for the tests both must pass)."""
    srv: Server = request.getfixturevalue("server" if request.param == "sqlite" else "pg_server")
    return srv
