"""The in-memory BM25 index must give FTS5's own bm25 scores, row for row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem import Memory
from phasemem.mirror.lexical import LexicalIndex
from phasemem.store.schema import BM25_WEIGHTS, FTS_TOKENIZE, MIGRATIONS
from phasemem.store.sqlite import fts_or as or_match

# stems that collide (run/running/runs), diacritics (cafe/café), numbers, mixed case
WORDS = ["run", "running", "runs", "Runner", "café", "cafe", "Zoë", "zoe", "lisbon", "Kyoto",
         "hiking", "hike", "42", "note", "the", "a", "sister", "photos", "rain", "rained"]  # fmt: skip
SPEAKERS = [None, "Maya", "Ravi", "Zoë"]


class _Fts:
    """The store's FTS5 table shape, standalone: the reference."""

    def __init__(self) -> None:
        self.c = sqlite3.connect(":memory:")
        self.c.execute(
            f"CREATE VIRTUAL TABLE f USING fts5(text, speaker, tokenize='{FTS_TOKENIZE}')"
        )

    def put(self, seq: int, text: str, speaker: str | None) -> None:
        self.c.execute("DELETE FROM f WHERE rowid = ?", (seq,))
        self.c.execute(
            "INSERT INTO f (rowid, text, speaker) VALUES (?, ?, ?)", (seq, text, speaker)
        )

    def drop(self, seq: int) -> None:
        self.c.execute("DELETE FROM f WHERE rowid = ?", (seq,))

    def scores(self, words: list[str]) -> dict[int, float]:
        w = ", ".join(str(x) for x in BM25_WEIGHTS)
        rows = self.c.execute(
            f"SELECT rowid, bm25(f, {w}) FROM f WHERE f MATCH ?", (or_match(words),)
        ).fetchall()
        return {r[0]: -r[1] for r in rows}

    def count(self, word: str) -> int:
        return self.c.execute(
            "SELECT COUNT(*) FROM f WHERE f MATCH ?", (or_match([word]),)
        ).fetchone()[0]


docs = st.lists(
    st.tuples(st.lists(st.sampled_from(WORDS), min_size=0, max_size=12), st.sampled_from(SPEAKERS)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(
    docs,
    st.lists(
        st.tuples(st.integers(0, 29), st.booleans(), st.lists(st.sampled_from(WORDS), max_size=6))
    ),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=5, unique=True),
)
def test_scores_equal_fts5_through_adds_updates_and_deletes(
    corpus: list[tuple[list[str], str | None]],
    edits: list[tuple[int, bool, list[str]]],
    query: list[str],
) -> None:
    ref, idx = _Fts(), LexicalIndex()
    rows = [(i + 1, f"id{i + 1}", " ".join(ws), sp) for i, (ws, sp) in enumerate(corpus)]
    for seq, _, text, sp in rows:
        ref.put(seq, text, sp)
    half = len(rows) // 2  # two batches, as a sync after another process's write brings them
    idx.add(rows[:half])
    idx.add(rows[half:])
    gone: set[int] = set()
    for which, delete, ws in edits:
        seq = which % len(rows) + 1
        if seq in gone:
            continue
        if delete:
            ref.drop(seq)
            idx.remove(f"id{seq}")
            gone.add(seq)
        else:
            text, sp = " ".join(ws), rows[seq - 1][3]
            ref.put(seq, text, sp)
            idx.update(f"id{seq}", (seq, f"id{seq}", text, sp))
    want = ref.scores(query)
    got = idx.scores(query)
    assert got is not None
    have = dict(zip(got[0].tolist(), got[1].tolist(), strict=True))
    assert have.keys() == want.keys()
    for seq, s in want.items():
        assert have[seq] == pytest.approx(s, rel=1e-9, abs=1e-12)
    assert idx.doc_counts(query) == {w: ref.count(w) for w in query}
    # top-k: best first, ties by the older seq, the same rows as FTS5's ranking
    top = idx.search(query, 5)
    assert top is not None
    expect = sorted(want.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [s for s, _ in top] == [s for s, _ in expect]


def test_words_that_are_not_one_token_go_to_fts5() -> None:
    idx = LexicalIndex()
    idx.add([(1, "a", "e-mail me at home", None)])
    assert idx.scores(["e-mail"]) is None  # a phrase of two tokens for FTS5
    assert idx.scores(["..."]) is None  # no token at all
    assert idx.search(["home", "e-mail"], 3) is None
    assert idx.doc_counts(["home"]) == {"home": 1}


def test_scope_filter_is_applied_before_the_top_k() -> None:
    idx = LexicalIndex()
    idx.add([(i, f"id{i}", "lisbon " * (1 + i % 3), None) for i in range(1, 21)])
    top = idx.search(["lisbon"], 3, allowed=lambda seqs: seqs % 2 == 0)
    assert top is not None and len(top) == 3
    assert all(s % 2 == 0 for s, _ in top)


def test_schema_and_index_agree_on_tokenizer_and_weights() -> None:
    assert f"tokenize = '{FTS_TOKENIZE}'" in MIGRATIONS[0]
    assert BM25_WEIGHTS == (1.0, 0.5)


def _hits(m: Memory, q: str, **kw: object) -> list[tuple[str, float]]:
    return [(h.episode.id, round(h.score, 9)) for h in m.search(q, user_id="u", **kw).hits]


def test_memory_with_lexical_index_ranks_like_fts5(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    texts = [
        "I went running in Lisbon with my sister",
        "Zoë runs a café in Kyoto",
        "We hiked near Kyoto and it rained",
        "The cafe in Lisbon closed",
        "Maya took photos of the rain",
        "Ravi is a runner; he ran the Lisbon half marathon",
    ] * 3
    writer = Memory(db, embedder="hash-test", extractor=None)
    ids = [r.id for r in writer.add([{"role": "user", "content": f"{t} ({i})"} for i, t in enumerate(texts)], user_id="u")]  # fmt: skip
    writer.add("Lisbon running club for someone else", user_id="other")
    fast = Memory(db, embedder="hash-test", extractor=None, lexical_index=True)
    plain = Memory(db, embedder="hash-test", extractor=None)
    queries = [
        "running in Lisbon",
        "café Kyoto",
        "who took photos of the rain?",
        "Zoë",
        "e-mail Lisbon",
    ]
    try:
        assert fast.wait_for_lexical_index(60)
        assert fast.mirror.lexical is not None and len(fast.mirror.lexical) == len(texts) + 1
        assert not plain.wait_for_lexical_index(0)  # not asked for: FTS5 only
        for q in queries:
            assert _hits(fast, q) == _hits(plain, q)
            assert _hits(fast, q, limit=3) == _hits(plain, q, limit=3)
        # another handle writes: the index follows through the event log
        writer.update(ids[0], "I went swimming in Porto")
        writer.delete(ids[1])
        writer.add("Porto swimming again", user_id="u")
        for q in ["swimming Porto", "running in Lisbon", "café Kyoto"]:
            assert _hits(fast, q) == _hits(plain, q)
        assert ids[1] not in {i for i, _ in _hits(fast, "Zoë runs a café in Kyoto")}
        # and its own writes too
        fast.delete(ids[2])
        assert ids[2] not in {i for i, _ in _hits(fast, "hiked near Kyoto rained")}
        assert _hits(fast, "hiked near Kyoto rained") == _hits(plain, "hiked near Kyoto rained")
    finally:
        for m in (writer, fast, plain):
            m.close()


def test_tokenizer_scratch_table_is_rebuilt_after_large_batches() -> None:
    from phasemem.mirror.lexical import Fts5Tokenizer

    tk = Fts5Tokenizer()
    rows = [(i + 1, f"hiking near Lisbon {i}", None) for i in range(Fts5Tokenizer.RESET_AFTER + 1)]
    assert len(tk.documents(rows)) == 4 * len(rows)  # (token, row) pairs: hike, near, lisbon, N
    assert tk._used == 0  # rebuilt: deleted rows no longer slow every later scan
    assert tk.words(["Running", "café", "e-mail"]) == [["run"], ["cafe"], ["e", "mail"]]
    tk.close()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=60), st.integers(1, 8), st.integers(0, 6))
def test_scoped_top_k_equals_filtering_everything_first(
    reps: list[int], k: int, modulus: int
) -> None:
    """The head-first scope check must give the same rows as checking every row."""
    idx = LexicalIndex()
    idx.add(
        [(i + 1, f"id{i + 1}", "lisbon " * r + "x " * (i % 5), None) for i, r in enumerate(reps)]
    )
    keep = (lambda seqs: seqs % (modulus + 1) == 0) if modulus else (lambda seqs: seqs > 0)
    got = idx.search(["lisbon"], k, allowed=keep)
    scored = idx.scores(["lisbon"])
    assert got is not None and scored is not None
    rows = [(int(s), float(v)) for s, v in zip(*scored, strict=True) if keep(np.array([s]))[0]]
    assert got == sorted(rows, key=lambda r: (-r[1], r[0]))[:k]


def test_concurrent_searches_while_rows_arrive_and_leave() -> None:
    import random
    import threading

    idx, ref = LexicalIndex(), _Fts()
    rng = random.Random(5)
    errors: list[BaseException] = []
    done = threading.Event()

    def reader(seed: int) -> None:
        r = random.Random(seed)
        try:
            while not done.is_set():
                words = r.sample(WORDS, 3)
                idx.search(words, 5, allowed=lambda seqs: seqs % 2 == 0)
                idx.doc_counts(words)
        except BaseException as exc:  # noqa: BLE001 - any failure fails the test
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    seq = 0
    for _ in range(60):
        batch = []
        for _ in range(rng.randint(1, 20)):
            seq += 1
            text = " ".join(rng.choices(WORDS, k=rng.randint(1, 10)))
            batch.append((seq, f"id{seq}", text, rng.choice(SPEAKERS)))
            ref.put(seq, text, batch[-1][3])
        idx.add(batch)
        gone = rng.randint(1, seq)
        idx.remove(f"id{gone}")
        ref.drop(gone)
    done.set()
    for t in threads:
        t.join()
    assert not errors
    for words in (["run", "lisbon"], ["café", "zoe", "rain"], ["42"]):
        got = idx.scores(words)
        assert got is not None
        want = ref.scores(words)
        assert dict(zip(got[0].tolist(), got[1].tolist(), strict=True)) == pytest.approx(want)


def test_index_built_in_the_background_catches_up_with_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Searches use FTS5 while the index builds; rows added, edited and deleted
    during the build are in it once it is attached."""
    import threading

    db = str(tmp_path / "m.db")
    writer = Memory(db, embedder="hash-test", extractor=None)
    ids = [
        r.id
        for r in writer.add(
            [{"role": "user", "content": f"hiking near Lisbon day {i}"} for i in range(30)],
            user_id="u",
        )
    ]
    gate, started = threading.Event(), threading.Event()
    real_add = LexicalIndex.add

    def slow_add(self: LexicalIndex, rows: list) -> None:  # type: ignore[type-arg]
        started.set()
        gate.wait(30)
        real_add(self, rows)

    monkeypatch.setattr(LexicalIndex, "add", slow_add)
    monkeypatch.setattr("phasemem.mirror.mirror.LEXICAL_CHUNK", 10)
    fast = Memory(db, embedder="hash-test", extractor=None, lexical_index=True)
    plain = Memory(db, embedder="hash-test", extractor=None)
    try:
        assert started.wait(30) and fast.mirror.lexical is None
        assert _hits(fast, "Lisbon hiking") == _hits(plain, "Lisbon hiking")  # FTS5 meanwhile
        writer.delete(ids[0])
        writer.update(ids[1], "swimming in Porto")
        writer.add("hiking near Porto at dawn", user_id="u")
        gate.set()
        assert fast.wait_for_lexical_index(30)
        monkeypatch.setattr(LexicalIndex, "add", real_add)
        for q in ("Lisbon hiking", "swimming Porto", "Porto dawn"):
            assert _hits(fast, q) == _hits(plain, q)
        assert ids[0] not in {i for i, _ in _hits(fast, "hiking near Lisbon day 0")}
    finally:
        gate.set()
        for m in (writer, fast, plain):
            m.close()


def test_close_during_the_build_stops_it(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    with Memory(db, embedder="hash-test", extractor=None) as m:
        m.add(
            [{"role": "user", "content": f"note {i} about Kyoto"} for i in range(50)], user_id="u"
        )
    fast = Memory(db, embedder="hash-test", extractor=None, lexical_index=True)
    fast.close()  # joins the builder; no error from a closed store
    assert not fast.lexical_building
