"""PostgreSQL backend: what the contract suite cannot see (SQL dialect,
schemas and roles, several processes, the database's own search)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from phasemem import Memory
from phasemem.errors import InvalidInputError
from phasemem.scope import EpisodeFilter
from phasemem.store.pg_dialect import render

pytest.importorskip("psycopg", reason="needs the [postgres] extra")

from phasemem.store.postgres import HALFVEC_SINCE, PostgresStore  # noqa: E402


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


def test_a_write_in_another_process_is_seen_by_the_next_search(pg_url: str) -> None:
    """No per-process state others cannot see: the mirror of this process
    catches up with a commit made by another process before its next search."""
    import subprocess
    import sys
    import time

    with Memory(pg_url, embedder="hash-test", extractor=None) as reader:
        reader.add("the first memory", user_id="u")
        assert not [
            h for h in reader.search("zebra crossing", user_id="u") if "zebra" in h.episode.text
        ]
        code = (
            "import sys; from phasemem import Memory\n"
            "with Memory(sys.argv[1], embedder='hash-test', extractor=None) as m:\n"
            "    m.add('a zebra crossing at noon', user_id='u')\n"
        )
        subprocess.run([sys.executable, "-c", code, pg_url], check=True, timeout=120)
        t0 = time.monotonic()
        hits = reader.search("zebra crossing", user_id="u")
        assert time.monotonic() - t0 < 1.0
        assert hits and "zebra" in hits[0].episode.text


def test_the_database_refuses_another_tenants_rows() -> None:
    """Schema per tenant, each owned by a role of its own: a deliberately
    wrong query naming the other tenant's table is refused by PostgreSQL."""
    from phasemem.errors import StoreError
    from tests.conftest import fresh_pg_url

    a_url, b_url = fresh_pg_url(isolate="1"), fresh_pg_url(isolate="1")
    with Memory(a_url, embedder="hash-test", extractor=None) as a, \
            Memory(b_url, embedder="hash-test", extractor=None) as b:  # fmt: skip
        a.add("tenant a's secret", user_id="u")
        b.add("tenant b's secret", user_id="u")
        other = b.store.schema  # type: ignore[attr-defined]
        with pytest.raises(StoreError, match="permission denied"):
            a.store._read(f'SELECT text FROM "{other}".episodes')  # type: ignore[attr-defined]
        with pytest.raises(StoreError, match="permission denied"):
            a.store._read(f'SELECT before, after FROM "{other}".events')  # type: ignore[attr-defined]
        # the unqualified table is this tenant's own, whatever the query forgets to filter
        texts = [r[0] for r in a.store._read("SELECT text FROM episodes")]  # type: ignore[attr-defined]
        assert texts == ["tenant a's secret"]
        assert [h.episode.text for h in a.search("secret", user_id="u")] == ["tenant a's secret"]


def test_dump_moves_losslessly_between_sqlite_and_postgres(tmp_path, pg_url: str) -> None:
    """SQLite -> PostgreSQL -> SQLite gives the same dump, byte for byte, and
    importing the same dump twice adds nothing."""
    with Memory(str(tmp_path / "a.db"), embedder="hash-test", extractor=None) as m:
        m.add([{"role": "user", "name": "Maya", "content": "I live in Porto", "occurred_at": "2020-01-05"},
               {"role": "assistant", "content": "Nice city", "metadata": {"k": 1, "s": "x"}}],
              user_id="maya", session_id="s1")  # fmt: skip
        m.pin("Answer in Portuguese", user_id="maya")
        gone = m.add("to be deleted", user_id="maya")
        m.delete(gone[0].id, user_id="maya")
        m.export(tmp_path / "first.jsonl")
    with Memory(pg_url, embedder="hash-test", extractor=None) as p:
        assert p.import_(tmp_path / "first.jsonl") == 2
        p.export(tmp_path / "mid.jsonl")
        assert p.import_(tmp_path / "first.jsonl") == 0
        p.export(tmp_path / "mid2.jsonl")
    with Memory(str(tmp_path / "b.db"), embedder="hash-test", extractor=None) as back:
        back.import_(tmp_path / "mid.jsonl")
        back.export(tmp_path / "last.jsonl")
    first = (tmp_path / "first.jsonl").read_bytes()
    assert first == (tmp_path / "mid.jsonl").read_bytes() == (tmp_path / "mid2.jsonl").read_bytes()
    assert first == (tmp_path / "last.jsonl").read_bytes()


def test_forget_leaves_no_live_byte_of_the_user(pg_url: str) -> None:
    with Memory(pg_url, embedder="hash-test", extractor=None) as m:
        m.add("my passport number is XK-99812377", user_id="gone")
        m.pin("always mention the passport XK-99812377", user_id="gone")
        m.add("someone else entirely", user_id="stays")
        assert m.store.residue(["XK-99812377"]) == ["XK-99812377"]
        report = m.forget(user_id="gone")
        assert report["verified"] and report["episodes"] == 1
        assert m.store.residue(["XK-99812377"]) == []
        assert m.store.count() == 1


def test_metadata_filters_agree_with_matches(pg_url: str) -> None:
    """filter_where_pg means what EpisodeFilter.matches means (True == 1, a
    string only equals a JSON string, None matches a missing key)."""
    from phasemem.scope import EpisodeFilter

    metas = [{"k": 1}, {"k": True}, {"k": "1"}, {"k": 1.0}, {"k": None}, {}, {"k": [1]},
             {"k": {"a": 1}}, {"k": 0}, {"k": False}, {"k": 2.5}]  # fmt: skip
    with Memory(pg_url, embedder="hash-test", extractor=None) as m:
        for i, md in enumerate(metas):
            m.add(f"row {i}", user_id="u", metadata=md)
        eps = m.store.episodes(EpisodeFilter("u"), 100, 0)
        for want in (1, True, "1", 1.0, None, 0, False, 2.5, "x"):
            flt = EpisodeFilter("u", metadata={"k": want})
            got = {e.id for e in m.store.episodes(flt, 100, 0)}
            assert got == {e.id for e in eps if flt.matches(e)}, want


def test_migrate_command_both_ways(tmp_path, pg_url: str) -> None:
    from click.testing import CliRunner

    from phasemem.cli import cli

    src = tmp_path / "src.db"
    with Memory(str(src), embedder="hash-test", extractor=None) as m:
        for i in range(30):
            m.add(f"memory number {i}", user_id=f"u{i % 3}")
        m.export(tmp_path / "a.jsonl")
    run = CliRunner().invoke
    r = run(cli, ["--embedder", "hash-test", "migrate", "--from", str(src), "--to", pg_url])
    assert r.exit_code == 0, r.output
    assert "30 memories added" in r.output
    back = tmp_path / "back.db"
    r = run(cli, ["--embedder", "hash-test", "migrate", "--from", pg_url, "--to", str(back)])
    assert r.exit_code == 0, r.output
    with Memory(str(back), embedder="hash-test", extractor=None) as m:
        m.export(tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def _dense_store(**opts: str) -> PostgresStore:
    from tests.conftest import fresh_pg_url, pgvector_ok

    if not pgvector_ok():
        pytest.skip("pgvector's code does not run on this CPU (dense=mirror only)")
    return PostgresStore(fresh_pg_url(**opts), embedder_name="contract-test", dim=16)


def test_vector_type_follows_the_pgvector_release() -> None:
    store = _dense_store()
    try:
        has_half = store.pgvector >= HALFVEC_SINCE
        assert store.vtype == ("halfvec" if has_half else "vector")
        assert store.health()["vector_type"] == store.vtype
    finally:
        store.close()
    if not has_half:  # asked for explicitly where it is missing: refused, never downgraded
        with pytest.raises(InvalidInputError, match="halfvec needs pgvector"):
            _dense_store(vtype="halfvec")


@pytest.mark.parametrize("exact_scope", [20_000, 0])  # exact scan; HNSW with ef_search
def test_dense_in_the_database_ranks_as_the_mirror_does(
    monkeypatch: pytest.MonkeyPatch, exact_scope: int
) -> None:
    """Same top-k and scores as the in-process index over the same int8 codes
    (HNSW at 120 rows and ef_search >= 100 visits them all)."""
    import phasemem.store.postgres as pg
    from phasemem.mirror import Mirror
    from phasemem.store.base import NewEpisode

    monkeypatch.setattr(pg, "EXACT_SCOPE", exact_scope)
    store = _dense_store()
    try:
        assert store.dense_in_store()
        rng = np.random.default_rng(7)
        vecs = rng.standard_normal((120, 16)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        items = [
            NewEpisode(
                id=f"{i:032x}",
                text=f"turn {i}",
                user_id="u" if i % 3 else "v",
                agent_id=None,
                session_id=None,
                role="user",
                speaker=None,
                occurred_at=1e9 + i,
                recorded_at=1e9 + i,
                updated_at=None,
                source=None,
                metadata={},
                content_hash=f"h{i}",
                vector=vecs[i],
            )
            for i in range(120)
        ]
        store.add_episodes(items, actor=None)
        if exact_scope == 0:  # the index a search of a big scope would have built
            assert store.build_dense_index() and store._hnsw_valid_now()
        mirror = Mirror(store, 16)
        mirror.sync()
        q = vecs[5] + 0.3 * rng.standard_normal(16).astype(np.float32)
        flt = EpisodeFilter(user_id="u")
        got = store.search_vectors(q, flt, 10)
        want = mirror.vectors.search(q, flt, 10)
        assert [s for s, _ in got] == [s for s, _ in want]
        tol = 2e-3 if store.vtype == "halfvec" else 1e-5
        assert np.allclose([v for _, v in got], [v for _, v in want], atol=tol)
    finally:
        store.close()


def test_bm25_scores_are_sqlites_through_adds_updates_and_deletes(tmp_path) -> None:
    """The same writes into SQLite (FTS5) and PostgreSQL (postings and the
    trigger-kept statistics) give the same BM25 scores, before and after an
    update and a delete change the document frequencies and lengths."""

    from phasemem.store import open_store
    from tests.conftest import fresh_pg_url

    texts = ["Caroline went hiking near Lisbon", "Hiking boots and hiking poles",
             "Melanie painted a sunrise over the lake", "The lake was cold; Lisbon was warm",
             "Café résumé naïve", "nothing relevant here at all"]  # fmt: skip
    stores = []
    for path in (str(tmp_path / "s.db"), fresh_pg_url()):
        with Memory(path, embedder="hash-test", extractor=None) as m:
            ids = [m.add({"role": "user", "content": t, "name": "Caroline" if i < 2 else None},
                         user_id="u" if i % 2 else "w", occurred_at=1e9 + i)[0].id
                   for i, t in enumerate(texts)]  # fmt: skip
            m.update(ids[1], "Hiking boots, no poles", user_id="u")
            m.delete(ids[3], user_id="u")
        stores.append(open_store(path, embedder_name=m.embedder.name, dim=m.embedder.dim))
    try:

        def scores(s: Any, words: list[str], flt: EpisodeFilter | None = None) -> dict[str, float]:
            ids_of = {r[0]: r[2] for r in s.lexical_rows()}  # by text: ids differ
            return {ids_of[seq]: v for seq, v in s.search_text(words, flt, 10)}

        for words in (["hiking"], ["lisbon", "lake"], ["caroline", "hiking"], ["cafe", "resume"],
                      ["poles"], ["warm"], ["col*star"]):  # fmt: skip
            sq, pg = scores(stores[0], words), scores(stores[1], words)
            assert sq.keys() == pg.keys(), words
            for k in sq:
                assert abs(sq[k] - pg[k]) < 1e-5 * max(1.0, abs(sq[k])), (words, sq, pg)
        flt = EpisodeFilter(user_id="u")
        assert scores(stores[0], ["hiking"], flt) == pytest.approx(
            scores(stores[1], ["hiking"], flt)
        )
        assert stores[1].term_counts(["hiking", "warm"]) == stores[0].term_counts(
            ["hiking", "warm"]
        )
    finally:
        for s in stores:
            s.close()


def _episodes(vecs: np.ndarray, start: int = 0) -> list[Any]:
    from phasemem.store.base import NewEpisode

    return [
        NewEpisode(id=f"{start + i:032x}", text=f"turn {start + i}", user_id="u", agent_id=None,
                   session_id=None, role="user", speaker=None, occurred_at=1e9 + i,
                   recorded_at=1e9 + i, updated_at=None, source=None, metadata={},
                   content_hash=f"h{start + i}", vector=v)
        for i, v in enumerate(vecs)
    ]  # fmt: skip


def test_the_hnsw_index_is_built_by_the_first_search_that_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bulk load pays no HNSW inserts: the index does not exist until a
    search of a scope too big to score exactly starts its build, in the
    background; that search and the ones until the build ends are exact, and
    rows written after it are found through the index."""
    import phasemem.store.postgres as pg

    monkeypatch.setattr(pg, "EXACT_SCOPE", 50)
    monkeypatch.setattr(pg, "_HNSW_RECHECK_S", 0.0)
    store = _dense_store()
    try:
        rng = np.random.default_rng(3)
        vecs = rng.standard_normal((200, 16)).astype(np.float32)
        store.add_episodes(_episodes(vecs), actor=None)
        assert store._hnsw_valid_now() is None  # no index after the load
        flt = EpisodeFilter(user_id="u")
        exact = [s for s, _ in store.search_vectors(vecs[7], flt, 10)]
        assert exact[0] == 1 + 7  # seqs start at 1
        assert store._hnsw_thread is not None
        store._hnsw_thread.join(60)
        assert store._hnsw_valid_now() is True
        # the same answer through the index (ef_search covers all 200 rows)
        assert [s for s, _ in store.search_vectors(vecs[7], flt, 10)] == exact
        late = rng.standard_normal((1, 16)).astype(np.float32)
        store.add_episodes(_episodes(late, start=500), actor=None)
        assert store.search_vectors(late[0], flt, 1)[0][0] == 201
        assert store.build_dense_index()  # already there: nothing to do, and says so
    finally:
        store.close()
