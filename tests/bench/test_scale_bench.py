"""The scale benchmark's layout of users and batches, and one small run on
each backend (the numbers are the benchmark's; here only their shape)."""

from __future__ import annotations

import pytest

from phasemem.research.bench.scale import _batches, _schema_url, run_one


def test_each_user_owns_a_contiguous_block_and_no_batch_spans_two() -> None:
    got = _batches(1000, 3, 200)
    assert [(lo, hi) for lo, hi, _ in got][:3] == [(0, 200), (200, 333), (333, 533)]
    assert got[-1][1] == 1000 and {u for *_, u in got} == {"u0", "u1", "u2"}
    covered = [i for lo, hi, _ in got for i in range(lo, hi)]
    assert covered == list(range(1000))
    assert {u for *_, u in _batches(10, 1, 4)} == {"bench"}


def test_each_n_gets_a_schema_of_its_own() -> None:
    assert "schema=scale_500" in _schema_url("postgresql://h/db", 500)
    url = _schema_url("postgresql://h/db?schema=mine&pool=2", 10)
    assert "schema=mine_10" in url and "pool=2" in url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_small_run_over_many_users(backend: str) -> None:
    db = None
    if backend == "postgresql":
        pytest.importorskip("psycopg", reason="needs the [postgres] extra")
        from tests.conftest import fresh_pg_url

        db = fresh_pg_url()
    out = run_one(300, queries=5, batch=50, embedder="hash-test", facts=False, db=db, users=4)
    assert out["backend"] == backend and out["users"] == 4
    assert out["ingest_per_s"] > 0 and out["bytes_per_episode"] > 0
    assert "dense_recall_at10_vs_exact" not in out  # small scopes: exact everywhere
    assert out["search_ms"]["p50"] > 0 and out["search_lexical_index_ms"]["p50"] > 0
