"""PostgreSQL backend: what the contract suite cannot see (SQL dialect,
schemas and roles, several processes, the database's own search)."""

from __future__ import annotations

import pytest

from phasemem import Memory
from phasemem.store.pg_dialect import render

pytest.importorskip("psycopg", reason="needs the [postgres] extra")


def test_render_rewrites_only_the_sqlite_spellings() -> None:
    assert render("SELECT a FROM t WHERE b = ? AND c LIKE 'x%'") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE 'x%%'", None)  # fmt: skip
    sql, table = render("INSERT OR IGNORE INTO entity_aliases VALUES (?,?,?)")
    assert sql == "INSERT INTO entity_aliases VALUES (%s,%s,%s) ON CONFLICT DO NOTHING"
    assert table is None
    assert render("INSERT INTO entities (a) VALUES (?)")[0].endswith("RETURNING id")
    assert "IS NOT DISTINCT FROM %s" in render("SELECT 1 WHERE x IS ? AND y IS NULL")[0]
    assert "LEAST(1.0, confidence + 0.1)" in render("SET c = MIN(1.0, confidence + 0.1)")[0]
    assert "MIN(valid_at)" in render("SELECT MIN(valid_at) FROM facts")[0]
    assert render("SELECT IFNULL(a, '')")[0] == "SELECT COALESCE(a, '')"


def test_add_search_update_delete(pg_url: str) -> None:
    with Memory(pg_url, embedder="hash-test", extractor=None) as m:
        out = m.add("I moved to Lisbon in 2021", user_id="maya")
        m.add("The cat is called Pixel", user_id="maya")
        m.add("Nothing about cats here", user_id="other")
        hits = m.search("Lisbon", user_id="maya")
        assert hits and "Lisbon" in hits[0].episode.text
        mid = out[0].id if hasattr(out[0], "id") else out["results"][0]["id"]
        assert m.get(mid, user_id="maya").text.startswith("I moved")
        assert all(h.episode.user_id == "maya" for h in m.search("cat", user_id="maya"))
        m.update(mid, "I moved to Porto in 2021", user_id="maya")
        assert "Porto" in m.search("Porto", user_id="maya")[0].episode.text
        m.delete(mid, user_id="maya")
        assert [e.op for e in m.history(mid, user_id="maya")] == ["ADD", "UPDATE", "DELETE"]
        assert m.store.count() == 2
