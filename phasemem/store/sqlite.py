"""SQLite store: the embedded default.

Why these settings: WAL lets readers run while one process writes;
``busy_timeout`` plus ``BEGIN IMMEDIATE`` (take the write lock up front, with
a retry loop on top) means concurrent writers queue instead of failing with
"database is locked"; ``synchronous=NORMAL`` in WAL mode never loses a
committed transaction when a process is killed (only on power loss), which is
the durability an embedded agent memory needs at a fraction of FULL's cost.
One connection per ``SQLiteStore``, guarded by a lock, so a store can be
shared by a threaded server.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.embed.quant import from_blob, quantize, to_blob
from phasemem.errors import InvalidInputError, NotFoundError, SchemaVersionError, StoreError
from phasemem.facts.model import Fact, NewFact
from phasemem.facts.resolve import relation_variants
from phasemem.models import (
    EPISODE_FIELDS,
    EPISODE_STORED_EXTRA,
    AddResult,
    Episode,
    HistoryEvent,
    Pin,
)
from phasemem.scope import EpisodeFilter
from phasemem.store import sqlite_erase as erase
from phasemem.store import trust_read, trust_sql
from phasemem.store.base import (
    ERASE_OP,
    MIN_ID_PREFIX,
    LexRow,
    NewEpisode,
    VectorRows,
    feed_changes,
)
from phasemem.store.bytescan import find_any
from phasemem.store.facts_sql import (
    FACT_COLS,
    FACT_FROM,
    apply_fact,
    confirm_fact,
    episodes_of,
    fact_from_row,
    observe_transition,
    refresh_alpha,
    reject_fact,
    resolve_entity,
)
from phasemem.store.schema import BM25_WEIGHTS, MIGRATIONS, SCHEMA_VERSION
from phasemem.store.sql import filter_where
from phasemem.store.sqlconn import SqlConn
from phasemem.store.sqlite_dump import ImportState
from phasemem.store.sqlite_dump import export_rows as dump_rows
from phasemem.store.sqlite_dump import import_rows as dump_import
from phasemem.trust.policy import TrustPolicy

_BM25 = ", ".join(str(w) for w in BM25_WEIGHTS)

_EP_COLS = ", ".join(("seq", *EPISODE_FIELDS))
_INSERT_EPISODE = (
    f"INSERT INTO episodes ({', '.join((*EPISODE_FIELDS, *EPISODE_STORED_EXTRA))}) VALUES"
    f" ({', '.join('?' * (len(EPISODE_FIELDS) + len(EPISODE_STORED_EXTRA)))}) ON CONFLICT DO NOTHING"
)
_LOCK_WAIT_S = 60.0
#: rows per transaction when deleting many: other writers wait at most one chunk
_ERASE_CHUNK = 500
#: a bulk erase sizes its transactions to about this long (other writers wait that long)
_ERASE_TXN_S = 0.3
#: a run of back-to-back transactions pauses after this long (see :class:`_Turns`)
_HOLD_S = 0.3
#: longer than SQLite's busy handler sleeps between two tries for a lock (100 ms at most)
_PAUSE_S = 0.11
#: WAL pages (4 KB) a bulk erase lets accumulate before it checkpoints (default 1,000)
_BULK_CHECKPOINT_PAGES = 8000
_HEX = frozenset("0123456789abcdefABCDEF")
_ID_CHARS = _HEX | {"-"}  # what a prefix of a UUID may hold


def _episode(row: sqlite3.Row | tuple[Any, ...]) -> Episode:
    """An episode from a ``SELECT {_EP_COLS}`` row (metadata is stored as JSON)."""
    values = dict(zip(EPISODE_FIELDS, row[1:], strict=True))
    values["metadata"] = json.loads(values["metadata"])
    if values["quarantine"] is not None:
        values["quarantine"] = json.loads(values["quarantine"])
    return Episode(**values)


def _stored(
    ep: Episode, blob: bytes | None, scale: float | None, time_mentions: int
) -> tuple[Any, ...]:
    """The values of ``_INSERT_EPISODE`` for one episode."""
    rec = ep.record()
    rec["metadata"] = json.dumps(rec["metadata"])
    if rec["quarantine"] is not None:
        rec["quarantine"] = json.dumps(rec["quarantine"])
    return (*rec.values(), blob, scale, time_mentions)


def _snapshot(ep: Episode) -> dict[str, Any]:
    """What the event log keeps of an episode (enough for history())."""
    return {"text": ep.text, "speaker": ep.speaker, "role": ep.role, "hash": ep.content_hash}


class _Turns:
    """Gives other writers a turn during a run of back-to-back transactions.

    SQLite has no queue for its write lock: a writer that finds it taken sleeps
    and tries again, up to 100 ms between tries, so the instants between two of
    a bulk erase's transactions go by unseen and it waits for the whole run (an
    add waited through all of a forget's, 0.6-1.0 s under load, measured). After
    :data:`_HOLD_S` of transactions a pause longer than those sleeps lets it in.

    The pause copies the WAL into the file (a passive checkpoint takes no write
    lock): else the waiting writer's own commit, finding thousands of frames
    past its autocheckpoint mark, copied them and its add took 0.35 s more."""

    def __init__(self, idle: Callable[[], None] | None = None) -> None:
        self._idle = idle
        self._since = time.monotonic()

    def take(self) -> None:
        """Call between two transactions of the run."""
        now = time.monotonic()
        if now - self._since > _HOLD_S:
            if self._idle is not None:
                self._idle()
            time.sleep(max(0.0, _PAUSE_S - (time.monotonic() - now)))
            self._since = time.monotonic()


class SQLiteStore:
    def __init__(self, path: str | Path, *, embedder_name: str, dim: int) -> None:
        self.path = str(path)
        self.dim = dim
        if self.path != ":memory:":
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.is_dir():
                raise StoreError(f"directory does not exist: {parent}", path=self.path)
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=_LOCK_WAIT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}", path=self.path) from exc
        self._lock = threading.RLock()
        #: the trust policy fact decisions use (Memory sets it; None: no trust)
        self.trust_policy: TrustPolicy | None = TrustPolicy()
        self._df_cache: dict[str, int] = {}
        self._df_version = -1
        c = self._conn
        try:
            c.execute(f"PRAGMA busy_timeout = {int(_LOCK_WAIT_S * 1000)}")
            if self.path != ":memory:":
                self._retry(lambda: c.execute("PRAGMA journal_mode = WAL"))
            c.execute("PRAGMA synchronous = NORMAL")
            c.execute("PRAGMA foreign_keys = ON")
            c.execute("PRAGMA temp_store = MEMORY")
            # freed space is zeroed as it is freed: deleted text does not linger
            # in free pages (erasure needs no VACUUM, which would rewrite the file)
            c.execute("PRAGMA secure_delete = ON")
            self._migrate()
            self._check_embedder(embedder_name, dim)
        except sqlite3.DatabaseError as exc:
            c.close()
            raise StoreError(
                f"not a usable phasemem database {self.path}: {exc}", path=self.path
            ) from exc

    # -- plumbing -----------------------------------------------------------
    @staticmethod
    def _retry(fn, deadline_s: float = _LOCK_WAIT_S):
        """Run ``fn``; retry while SQLite reports a lock (busy_timeout covers
        most cases, but BEGIN IMMEDIATE and WAL switches can still race)."""
        end = time.monotonic() + deadline_s
        delay = 0.005
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                msg = str(exc).lower()
                if ("locked" not in msg and "busy" not in msg) or time.monotonic() > end:
                    raise StoreError(f"database error: {exc}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            c = self._conn
            self._retry(lambda: c.execute("BEGIN IMMEDIATE"))
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            else:
                self._retry(lambda: c.execute("COMMIT"))
                self._df_cache.clear()

    @contextmanager
    def _deferred_checkpoints(self) -> Iterator[None]:
        """Fewer automatic WAL checkpoints from this connection while a bulk erase runs.

        Why: SQLite checkpoints when a commit leaves more than 1,000 pages in the
        WAL, and an erase of 10,000 memories commits ~15 transactions of several
        thousand pages each, each paying a checkpoint with its fsyncs (0.9 of a
        2.9 s ``forget``, measured). Not none at all: then the closing TRUNCATE
        checkpoint of a WAL of the whole erase blocked a concurrent writer for
        1.8-2.2 s (measured; the target is < 1 s). At most
        :data:`_BULK_CHECKPOINT_PAGES` between checkpoints kept it under 0.7 s."""
        with self._lock:
            before = self._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
            self._conn.execute(f"PRAGMA wal_autocheckpoint = {_BULK_CHECKPOINT_PAGES}")
        try:
            yield
        finally:
            with self._lock:
                self._conn.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._retry(lambda: self._conn.execute(sql, params).fetchall())

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path} has schema v{version}; this phasemem knows up to v{SCHEMA_VERSION}: upgrade phasemem",
                path=self.path,
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._write() as c:
                # Another process may have migrated while we waited for the lock.
                if c.execute("PRAGMA user_version").fetchone()[0] >= target:
                    continue
                for stmt in _split_sql(MIGRATIONS[target - 1]):
                    c.execute(stmt)
                c.execute(f"PRAGMA user_version = {target}")

    def _check_embedder(self, name: str, dim: int) -> None:
        with self._write() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
            if row is None:
                c.execute(
                    "INSERT INTO meta VALUES ('embedder', ?)",
                    (json.dumps({"name": name, "dim": dim}),),
                )
                return
        stored = json.loads(row[0])
        if stored["name"] != name or stored["dim"] != dim:
            from phasemem.errors import EmbeddingError

            raise EmbeddingError(
                f"{self.path} was built with embedder {stored['name']} ({stored['dim']}-d); "
                f"it cannot be searched with {name} ({dim}-d)",
                stored=stored["name"], requested=name,
            )  # fmt: skip

    def _log(self, c: SqlConn, op: str, target: str | None, user: str | None,
             actor: str | None, before: dict[str, Any] | None, after: dict[str, Any] | None,
             at: float | None = None) -> None:  # fmt: skip
        c.execute(
            "INSERT INTO events (op, target_id, user_id, at, actor, before, after) VALUES (?,?,?,?,?,?,?)",
            (op, target, user, at if at is not None else time.time(), actor,
             json.dumps(before) if before is not None else None,
             json.dumps(after) if after is not None else None),
        )  # fmt: skip

    # -- writes ---------------------------------------------------------------
    def add_episodes(
        self,
        items: Sequence[NewEpisode],
        *,
        actor: str | None,
        facts: Sequence[Sequence[NewFact]] | None = None,
    ) -> list[AddResult]:
        vectors = [it.vector for it in items]
        if any(v is not None for v in vectors):
            codes, scales = quantize(np.stack([v for v in vectors if v is not None]))
        results: list[AddResult] = []
        vi = 0
        with self._write() as c:
            for it in items:
                blob, scale = None, None
                if it.vector is not None:
                    blob, scale = to_blob(codes[vi]), float(scales[vi])
                    vi += 1
                cur = c.execute(_INSERT_EPISODE, _stored(it, blob, scale, it.time_mentions))
                if cur.rowcount == 1:
                    self._log(c, "ADD", it.id, it.user_id, actor, None,
                              {"text": it.text, "speaker": it.speaker, "role": it.role, "hash": it.content_hash},
                              at=it.recorded_at)  # fmt: skip
                    ops = tuple(
                        apply_fact(
                            c,
                            self._log,
                            it.user_id,
                            it.id,
                            nf,
                            actor=actor,
                            now=it.recorded_at,
                            observe=self._observe,
                            source=it.source_label,
                            policy=self.trust_policy,
                        )  # fmt: skip
                        for nf in (facts[len(results)] if facts else ())
                    )
                    results.append(AddResult(it.id, "ADD", it.text, ops))
                else:
                    existing = c.execute(
                        "SELECT id FROM episodes WHERE user_id = ? AND IFNULL(agent_id,'') = IFNULL(?, '')"
                        " AND IFNULL(session_id,'') = IFNULL(?, '') AND content_hash = ?",
                        (it.user_id, it.agent_id, it.session_id, it.content_hash),
                    ).fetchone()
                    results.append(AddResult(existing[0] if existing else it.id, "NOOP", it.text))
        return results

    def update_text(self, episode_id: str, text: str, content_hash: str, vector: np.ndarray | None,
                    *, user_id: str | None, actor: str | None, time_mentions: int = 0,
                    facts: Sequence[NewFact] | None = None,
                    quarantine: dict[str, Any] | None = None) -> Episode:  # fmt: skip
        with self._write() as c:
            old = self._get_in(c, episode_id, user_id)
            blob, scale = None, None
            if vector is not None:
                codes, scales = quantize(vector[None, :])
                blob, scale = to_blob(codes[0]), float(scales[0])
            now = time.time()
            try:
                c.execute(
                    "UPDATE episodes SET text = ?, content_hash = ?, vector = ?, vscale = ?, updated_at = ?,"
                    " time_mentions = ?, quarantine = ? WHERE id = ?",
                    (
                        text,
                        content_hash,
                        blob,
                        scale,
                        now,
                        time_mentions,
                        json.dumps(quarantine) if quarantine is not None else None,
                        episode_id,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                from phasemem.errors import InvalidInputError

                raise InvalidInputError(
                    "an identical memory already exists in this scope", id=episode_id
                ) from exc
            new = self._get_in(c, episode_id, user_id)
            self._log(
                c, "UPDATE", episode_id, old.user_id, actor, _snapshot(old), _snapshot(new), at=now
            )
            if facts is not None:  # the facts follow the text
                erase.drop_orphans(c, [episode_id], actor=actor, log=self._log, purge=False)
                for nf in facts:
                    apply_fact(c, self._log, old.user_id, episode_id, nf, actor=actor, now=now,
                               observe=self._observe, source=old.source_label,
                               policy=self.trust_policy)  # fmt: skip
        return new

    def delete(
        self, episode_id: str, *, user_id: str | None, actor: str | None, purge: bool = False
    ) -> Episode:
        """Remove an episode and what only it supported (:mod:`.sqlite_erase`).
        ``purge``: also empty every log payload about it and compact, so no
        byte of its text is left in the files."""
        with self._write() as c:
            old = self._get_in(c, episode_id, user_id)
            c.execute("DELETE FROM episodes WHERE id = ?", (episode_id,))
            facts = erase.drop_orphans(c, [episode_id], actor=actor, log=self._log, purge=purge)
            if purge:
                erase.scrub_events(c, [episode_id, *facts])
            self._log(c, "DELETE", episode_id, old.user_id, actor,
                      None if purge else _snapshot(old), {"purged": True} if purge else None)  # fmt: skip
        if purge:
            self.compact()
        return old

    def delete_scope(
        self, flt: EpisodeFilter, *, actor: str | None, purge: bool = False, pins: bool = False
    ) -> int:
        """Delete every episode ``flt`` allows (``pins``: the user's pins too), in
        transactions of a few hundred rows so other writers never wait long."""
        where, params = filter_where(flt, "e")
        n = 0
        turns = self._turns()
        while True:
            turns.take()
            with self._write() as c:
                rows = c.execute(f"SELECT {_EP_COLS} FROM episodes e WHERE {where}"
                                 " ORDER BY e.occurred_at, e.seq LIMIT ?",
                                 [*params, _ERASE_CHUNK]).fetchall()  # fmt: skip
                for row in rows:
                    ep = _episode(row)
                    c.execute("DELETE FROM episodes WHERE seq = ?", (row[0],))
                    self._log(c, "DELETE", ep.id, ep.user_id, actor,
                              None if purge else _snapshot(ep), None)  # fmt: skip
                ids = [r[1] for r in rows]
                facts = erase.drop_orphans(c, ids, actor=actor, log=self._log, purge=purge)
                if purge:
                    erase.scrub_events(c, [*ids, *facts])
            n += len(rows)
            if len(rows) < _ERASE_CHUNK:
                break
        if pins:
            with self._write() as c:
                for pid, text in c.execute("SELECT id, text FROM pins WHERE user_id = ? ORDER BY id",
                                           (flt.user_id,)).fetchall():  # fmt: skip
                    c.execute("DELETE FROM pins WHERE id = ?", (pid,))
                    self._log(c, "UNPIN", pid, flt.user_id, actor,
                              None if purge else {"text": text}, None)  # fmt: skip
                    if purge:
                        erase.scrub_events(c, [pid])
        if purge:
            self.compact(turns)
        return n

    def compact(self, turns: _Turns | None = None) -> dict[str, Any]:
        """Leave no freed bytes behind: merge the full-text index in bounded steps
        (each its own short transaction) and checkpoint the WAL into the file,
        then truncate it. With ``secure_delete`` on, freed space is already zero.
        ``turns``: of the bulk erase this ends, so other writers get a turn."""
        turns = turns or self._turns()
        steps = 0
        if self.path == ":memory:":
            return {"fts_merge_steps": 0, "checkpointed": True}
        # The segments that held the erased words exist now: merging twice the
        # index's current pages rewrites all of them. Without this bound a writer
        # adding rows meanwhile keeps the full merge going (each add is a new
        # segment to fold into the big one): 336 steps, 50 s, in one measurement.
        pages = self._read("SELECT count(*) FROM episodes_fts_data")[0][0]
        budget = 2 * int(pages) // erase.MERGE_PAGES + 4
        with self._deferred_checkpoints():  # the checkpoint below writes them once
            while True:
                turns.take()
                with self._write() as c:
                    more = erase.merge_fulltext_step(c)
                    now = erase.fulltext_segments(c) if more else None
                steps += 1
                # A step's negative merge takes every segment there is (or goes on
                # with a merge of all of them): when none is under way after it, all
                # that existed (the deleted rows' words) is merged into one segment.
                # Segments written since hold only rows added since; folding them in
                # too would rewrite the whole index again for each.
                if not more or steps >= budget or (now is not None and not now[1]):
                    break
        return {"fts_merge_steps": steps, "checkpointed": self.checkpoint()}

    def _turns(self) -> _Turns:
        """Turns for a bulk erase: its pauses checkpoint what it wrote so far."""
        if self.path == ":memory:":
            return _Turns()

        def passive() -> None:
            with self._lock:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

        return _Turns(passive)

    def checkpoint(self, attempts: int = 50) -> bool:
        """``wal_checkpoint(TRUNCATE)``, retried while readers hold old snapshots;
        True once every frame is in the file and the WAL is empty."""
        if self.path == ":memory:":
            return True
        with self._lock:
            # most frames first, without blocking writers: TRUNCATE (which does,
            # until it is done) is then left with what came after
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        for i in range(attempts):
            with self._lock:
                busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(min(0.01 * (i + 1), 0.2))
        return False

    # -- reads ---------------------------------------------------------------
    #: kind -> (table, id column, noun and not-found message of the error)
    _ID_KINDS = {
        "memory": ("episodes", "id", "memory", "no memory with id {!r}"),
        "pin": ("pins", "id", "pin", "no pin with id {!r}"),
        "event": ("events", "target_id", "id with history", "no history for id {!r}"),
    }

    def resolve_id(
        self, id_or_prefix: str, user_id: str | None = None, *, kind: str = "memory"
    ) -> str:
        """Exact id first, else a unique prefix, found with a range scan of the
        id index (``id >= p AND id < p'``: LIKE would scan the table, and would
        treat ``_`` and ``%`` in an imported id as wildcards)."""
        table, col, noun, missing = self._ID_KINDS[kind]
        if not isinstance(id_or_prefix, str) or not id_or_prefix:
            raise NotFoundError(missing.format(id_or_prefix), id=str(id_or_prefix))
        # unary + keeps the planner on the id index (a user's index would scan the user)
        scope, args = ("", []) if user_id is None else (" AND +user_id = ?", [user_id])
        if self._read(
            f"SELECT 1 FROM {table} WHERE {col} = ?{scope} LIMIT 1", [id_or_prefix, *args]
        ):
            return id_or_prefix
        hexdigits = sum(c in _HEX for c in id_or_prefix)
        if hexdigits < MIN_ID_PREFIX or not set(id_or_prefix) <= _ID_CHARS:
            raise NotFoundError(missing.format(id_or_prefix), id=id_or_prefix)
        found: list[str] = []
        # phasemem's ids are lowercase UUIDs; an imported id may be in any case
        for prefix in dict.fromkeys((id_or_prefix, id_or_prefix.lower())):
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            found = [r[0] for r in self._read(
                f"SELECT DISTINCT {col} FROM {table} WHERE {col} >= ? AND {col} < ?{scope} LIMIT 101",
                [prefix, upper, *args])]  # fmt: skip
            if found:
                break
        if not found:
            raise NotFoundError(missing.format(id_or_prefix), id=id_or_prefix)
        if len(found) > 1:
            n = "more than 100" if len(found) > 100 else str(len(found))
            raise InvalidInputError(
                f"id prefix {id_or_prefix!r} matches {n} {noun} ids; give more characters",
                field="id", id=id_or_prefix, candidates=len(found),
            )  # fmt: skip
        return found[0]

    def _get_in(self, c: sqlite3.Connection, episode_id: str, user_id: str | None) -> Episode:
        row = c.execute(f"SELECT {_EP_COLS} FROM episodes WHERE id = ?", (episode_id,)).fetchone()
        ep = _episode(row) if row is not None else None
        if ep is None or (user_id is not None and ep.user_id != user_id):
            raise NotFoundError(f"no memory with id {episode_id!r}", id=episode_id)
        return ep

    def get(self, episode_id: str, user_id: str | None = None) -> Episode:
        with self._lock:
            return self._get_in(self._conn, episode_id, user_id)

    def by_seq(self, seqs: Sequence[int]) -> dict[int, Episode]:
        out: dict[int, Episode] = {}
        seqs = list(seqs)
        for i in range(0, len(seqs), 500):
            chunk = seqs[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._read(f"SELECT {_EP_COLS} FROM episodes WHERE seq IN ({marks})", chunk):
                out[row[0]] = _episode(row)
        return out

    def episodes(self, flt: EpisodeFilter, limit: int, offset: int) -> list[Episode]:
        where, params = filter_where(flt, "e")
        rows = self._read(
            f"SELECT {_EP_COLS} FROM episodes e WHERE {where} ORDER BY occurred_at, seq LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_episode(r) for r in rows]

    def count(self, flt: EpisodeFilter | None = None) -> int:
        if flt is None:
            return self._read("SELECT COUNT(*) FROM episodes")[0][0]
        where, params = filter_where(flt, "e")
        return self._read(f"SELECT COUNT(*) FROM episodes e WHERE {where}", params)[0][0]

    def history(self, episode_id: str, user_id: str | None = None) -> list[HistoryEvent]:
        rows = self._read(
            "SELECT id, op, target_id, user_id, at, actor, before, after FROM events"
            " WHERE target_id = ? ORDER BY id",
            (episode_id,),
        )
        if not rows or (user_id is not None and rows[0][3] != user_id):
            raise NotFoundError(f"no history for id {episode_id!r}", id=episode_id)
        return [
            HistoryEvent(r[0], r[1], r[2], r[3], r[4], r[5],
                         json.loads(r[6]) if r[6] else None, json.loads(r[7]) if r[7] else None)
            for r in rows
        ]  # fmt: skip

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """Documents matching each term (all users), cached until a write."""
        dv = self.version()
        if dv != self._df_version:
            self._df_cache.clear()
            self._df_version = dv
        out: dict[str, int] = {}
        for t in terms:
            if t not in self._df_cache:
                self._df_cache[t] = self._read(
                    "SELECT COUNT(*) FROM episodes_fts WHERE episodes_fts MATCH ?", (fts_or([t]),)
                )[0][0]
            out[t] = self._df_cache[t]
        return out

    def lexical_rows(self, after_seq: int = 0, limit: int | None = None) -> list[LexRow]:
        """``(seq, id, text, speaker)`` of the episodes after ``after_seq``, by seq
        (at most ``limit``): what the in-memory BM25 index tokenizes."""
        return [
            tuple(r)
            for r in self._read(
                "SELECT seq, id, text, speaker FROM episodes WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, -1 if limit is None else limit),
            )
        ]

    def lexical_row(self, episode_id: str) -> LexRow | None:
        rows = self._read("SELECT seq, id, text, speaker FROM episodes WHERE id = ?", (episode_id,))
        return tuple(rows[0]) if rows else None

    def search_text(
        self, terms: Sequence[str], flt: EpisodeFilter | None, limit: int
    ) -> list[tuple[int, float]]:
        """FTS5's BM25 (higher is better) for an OR of ``terms``, each quoted as a
        phrase so no word of a query is read as FTS5 syntax. Without ``flt`` the
        index alone is read: joining the episodes table doubles the cost on
        large stores, and a caller with an in-memory scope mask filters faster."""
        match = fts_or(terms)
        if match is None:
            return []
        if flt is None:
            rows = self._read(
                f"SELECT rowid, bm25(episodes_fts, {_BM25}) AS s FROM episodes_fts"
                " WHERE episodes_fts MATCH ? ORDER BY s LIMIT ?",
                (match, limit),
            )
        else:
            where, params = filter_where(flt, "e")
            rows = self._read(
                f"SELECT f.rowid, bm25(episodes_fts, {_BM25}) AS s FROM episodes_fts f"
                f" JOIN episodes e ON e.seq = f.rowid WHERE episodes_fts MATCH ? AND {where}"
                " ORDER BY s LIMIT ?",
                [match, *params, limit],
            )
        return [(r[0], -r[1]) for r in rows]

    def speakers(self, user_id: str) -> list[str]:
        rows = self._read(
            "SELECT DISTINCT speaker FROM episodes WHERE user_id = ? AND speaker IS NOT NULL",
            (user_id,),
        )
        return [r[0] for r in rows]

    def speakers_of(self, seqs: Sequence[int], names: Sequence[str]) -> list[int]:
        if not seqs or not names:
            return []
        out: list[int] = []
        for i in range(0, len(seqs), 500):
            chunk = list(seqs[i : i + 500])
            rows = self._read(
                f"SELECT seq FROM episodes WHERE seq IN ({','.join('?' * len(chunk))})"
                f" AND speaker IN ({','.join('?' * len(names))})",
                [*chunk, *names],
            )
            out.extend(r[0] for r in rows)
        return out

    def previous_turn(
        self, user_id: str, session_id: str, before: float
    ) -> tuple[str | None, str] | None:
        """(speaker, text) of the last turn before ``before`` in a session."""
        rows = self._read(
            "SELECT speaker, text FROM episodes WHERE user_id = ? AND session_id = ? AND occurred_at < ?"
            " ORDER BY occurred_at DESC, seq DESC LIMIT 1",
            (user_id, session_id, before),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def vector_rows(self, after_seq: int = 0) -> VectorRows:
        rows = self._read(
            "SELECT seq, vector, vscale, user_id, agent_id, session_id, occurred_at, id, time_mentions,"
            " speaker, role, source FROM episodes"
            " WHERE seq > ? AND vector IS NOT NULL ORDER BY seq",
            (after_seq,),
        )
        n = len(rows)
        codes = np.empty((n, self.dim), dtype=np.int8)
        for i, r in enumerate(rows):
            codes[i] = from_blob(r[1], self.dim)
        return VectorRows(
            seqs=np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
            ids=[r[7] for r in rows],
            codes=codes,
            scales=np.fromiter((r[2] for r in rows), dtype=np.float32, count=n),
            user_ids=[r[3] for r in rows], agent_ids=[r[4] for r in rows],
            session_ids=[r[5] for r in rows],
            occurred=np.fromiter((r[6] for r in rows), dtype=np.float64, count=n),
            time_mentions=np.fromiter((r[8] for r in rows), dtype=np.int16, count=n),
            speakers=[r[9] for r in rows],
            roles=[r[10] for r in rows],
            sources=[r[11] for r in rows],
        )  # fmt: skip

    def vector_of(self, episode_id: str) -> tuple[np.ndarray, float] | None:
        row = self._read("SELECT vector, vscale FROM episodes WHERE id = ?", (episode_id,))
        if not row or row[0][0] is None:
            return None
        return from_blob(row[0][0], self.dim), float(row[0][1])

    def changes_since(self, event_id: int) -> tuple[int, list[tuple[str, str]]]:
        # the head first, then the changes up to it: an event committed between
        # the two reads is read next time, not skipped
        last = self._read("SELECT IFNULL(MAX(id), 0) FROM events")[0][0]
        rows = self._read(
            "SELECT op, target_id, after FROM events WHERE id > ? AND id <= ?"
            " AND op IN ('UPDATE', 'DELETE', ?) ORDER BY id",
            (event_id, last, ERASE_OP),
        )
        return last, feed_changes(rows)

    def head(self) -> int:
        return self._read("SELECT IFNULL(MAX(id), 0) FROM events")[0][0]

    def version(self) -> int:
        """SQLite's ``data_version``: changes when another connection commits."""
        return self._read("PRAGMA data_version")[0][0]

    # -- export / import -------------------------------------------------------
    def export_rows(self, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The dump's rows (:mod:`phasemem.store.dump`), from one snapshot.

        A file is read on a connection of its own in one read transaction, so
        a slow reader (a client streaming ``/v1/export``) never holds the
        store's lock, and commits made meanwhile are not half in the dump. An
        in-memory store has no second connection: its (small) dump is read
        whole under the lock."""
        if self.path == ":memory:":
            with self._lock:
                rows = list(dump_rows(self._conn, user_id))
            yield from rows
            return
        try:
            conn = sqlite3.connect(
                Path(self.path).expanduser().resolve().as_uri() + "?mode=ro",
                uri=True, timeout=_LOCK_WAIT_S, check_same_thread=False,
            )  # fmt: skip
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read {self.path} for export: {exc}", path=self.path) from exc
        try:
            conn.execute("BEGIN")
            yield from dump_rows(conn, user_id)
        finally:
            conn.close()

    def import_rows(
        self, rows: Sequence[dict[str, Any]], *, actor: str | None, state: ImportState | None = None
    ) -> int:
        """Write validated dump rows in one transaction; returns episodes added.
        ``state`` carries entity ids and relation priors from batch to batch."""
        state = state if state is not None else ImportState()
        before = state.episodes
        with self._write() as c:
            dump_import(c, rows, state, dim=self.dim, log=self._log)
            for rid in state.touched:
                self._refresh_alpha(c, rid)
            state.touched.clear()
        return state.episodes - before

    # -- facts -----------------------------------------------------------------

    def _observe(self, c: SqlConn, rid: int, user_id: str, delta_days: float,
                 changed: bool) -> None:  # fmt: skip
        observe_transition(c, rid, user_id, delta_days, changed)

    def _refresh_alpha(self, c: SqlConn, rid: int) -> None:
        refresh_alpha(c, rid)

    def facts(
        self,
        user_id: str,
        *,
        subject: str | None = None,
        relation: str | None = None,
        as_of: float | None = None,
        include_expired: bool = False,
        entity: str | None = None,
        include_contested: bool = False,
        source: str | None = None,
    ) -> list[Fact]:
        """Facts of a user: current ones (default), those true at ``as_of``,
        or every version (``include_expired``); optionally one subject,
        relation, or any fact touching ``entity``. Contested claims (a weaker
        source's, waiting for consensus) only with ``include_contested``;
        rejected ones only with ``include_expired``. ``source``: facts that
        source asserted or supports ("web:example.com", or a kind: "web")."""
        parts: list[str] = ["f.user_id = ?"]
        params: list[Any] = [user_id]
        more, more_params = trust_read.fact_filters(include_contested, include_expired, source)
        parts += more
        params += more_params
        with self._lock:
            for name, col in ((subject, "f.subject_id"), (entity, None)):
                if name is None:
                    continue
                eid = resolve_entity(self._conn, user_id, name, "PERSON", create=False)
                if eid is None:
                    return []
                if col:
                    parts.append(f"{col} = ?")
                    params.append(eid)
                else:
                    parts.append("(f.subject_id = ? OR f.object_id = ?)")
                    params += [eid, eid]
        if relation is not None:
            forms = relation_variants(relation)
            parts.append(f"r.text IN ({','.join('?' * len(forms))})")
            params.extend(forms)
        if as_of is not None:
            parts.append("f.valid_at <= ? AND (f.invalid_at IS NULL OR f.invalid_at > ?)")
            params += [as_of, as_of]
        elif not include_expired:
            parts.append(
                "(f.status = 'contested' OR f.expired_at IS NULL) AND f.expired_at IS NULL"
                " AND (f.invalid_at IS NULL OR f.invalid_at > ?)"
            )
            params.append(time.time())
        rows = self._read(f"SELECT {FACT_COLS} FROM {FACT_FROM} WHERE {' AND '.join(parts)} ORDER BY f.valid_at, f.rowid",
                          params)  # fmt: skip
        with self._lock:
            eps = episodes_of(self._conn, [r[0] for r in rows])
        return [fact_from_row(r, eps.get(r[0], ())) for r in rows]

    def fact_vectors(self, user_id: str) -> tuple[list[Fact], np.ndarray, np.ndarray]:
        """Every fact of a user (all versions) with its int8 vector and scale."""
        rows = self._read(f"SELECT {FACT_COLS}, f.vector, f.vscale FROM {FACT_FROM} WHERE f.user_id = ?"
                          " AND f.vector IS NOT NULL AND f.status = 'accepted' ORDER BY f.rowid",
                          (user_id,))  # fmt: skip
        with self._lock:
            eps = episodes_of(self._conn, [r[0] for r in rows])
        codes = np.empty((len(rows), self.dim), dtype=np.int8)
        for i, r in enumerate(rows):
            codes[i] = from_blob(r[14], self.dim)
        scales = np.array([r[15] for r in rows], dtype=np.float32)
        return [fact_from_row(r, eps.get(r[0], ())) for r in rows], codes, scales

    # -- trust (shared SQL: phasemem.store.trust_sql, phasemem.store.trust_read) ---
    def source_trust(self, user_id: str, label: str) -> tuple[float, float]:
        """A source's Beta posterior for a user (its prior when never updated)."""
        with self._lock:
            return trust_sql.posterior(
                self._conn, user_id, label, self.trust_policy or TrustPolicy()
            )

    def trust_table(self, user_id: str) -> dict[str, tuple[float, float]]:
        """Every stored posterior of a user."""
        with self._lock:
            return trust_sql.table(self._conn, user_id)

    def trust_events(self, user_id: str, label: str) -> list[HistoryEvent]:
        """The log of a source's trust changes, oldest first."""
        with self._lock:
            return trust_read.events(self._conn, user_id, label)

    def fact(self, fact_id: str, user_id: str) -> Fact:
        with self._lock:
            return trust_read.fact_by_id(self._conn, fact_id, user_id)

    def judge_fact(self, fact_id: str, user_id: str, verdict: str, *, actor: str | None) -> Fact:
        """The user's verdict on a fact: ``confirm`` (it becomes current, its
        sources gain trust) or ``reject`` (kept as a lesson, its sources lose
        trust, a replaced version comes back)."""
        self.fact(fact_id, user_id)  # NotFoundError before writing
        policy = self.trust_policy or TrustPolicy()
        with self._write() as c:
            judge = confirm_fact if verdict == "confirm" else reject_fact
            judge(c, self._log, user_id, fact_id, policy, actor=actor, now=time.time())
        return self.fact(fact_id, user_id)

    def fact_standing(self, user_id: str, episode_ids: Sequence[str]) -> dict[str, list[Fact]]:
        """Episode id -> the facts it supports (every status and version)."""
        with self._lock:
            return trust_read.standing(self._conn, user_id, episode_ids)

    def disputed_slots(self, user_id: str) -> dict[str, tuple[str, list[str], list[str]]]:
        """Slots where a source was overruled (:func:`trust_read.disputed`)."""
        with self._lock:
            return trust_read.disputed(self._conn, user_id)

    def relation_stats(self) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT text, alpha_prior, alpha, n_obs, n_changes FROM relations ORDER BY text"
        )
        return [
            dict(
                zip(("relation", "alpha_prior", "alpha", "observations", "changes"), r, strict=True)
            )
            for r in rows
        ]

    # -- pins ------------------------------------------------------------------
    def add_pin(self, pin: Pin, *, actor: str | None) -> Pin:
        with self._write() as c:
            c.execute(
                "INSERT INTO pins VALUES (?,?,?,?)", (pin.id, pin.user_id, pin.text, pin.created_at)
            )
            self._log(
                c, "PIN", pin.id, pin.user_id, actor, None, {"text": pin.text}, at=pin.created_at
            )
        return pin

    def remove_pin(self, pin_id: str, *, user_id: str, actor: str | None) -> Pin:
        with self._write() as c:
            row = c.execute("SELECT id, user_id, text, created_at FROM pins WHERE id = ? AND user_id = ?",
                            (pin_id, user_id)).fetchone()  # fmt: skip
            if row is None:
                raise NotFoundError(f"no pin with id {pin_id!r}", id=pin_id)
            c.execute("DELETE FROM pins WHERE id = ?", (pin_id,))
            self._log(c, "UNPIN", pin_id, user_id, actor, {"text": row[2]}, None)
        return Pin(*row)

    def pins(self, user_id: str) -> list[Pin]:
        rows = self._read("SELECT id, user_id, text, created_at FROM pins WHERE user_id = ? ORDER BY created_at, id",
                          (user_id,))  # fmt: skip
        return [Pin(*r) for r in rows]

    # -- erasure -----------------------------------------------------------------
    def forget_user(self, user_id: str, *, actor: str | None) -> dict[str, Any]:
        """Remove every trace of a user (:mod:`.sqlite_erase`): episodes (so their
        FTS rows and vectors), facts, entities, aliases, pins, relation
        observations and the relations only they used, and the payload, user id
        and actor of every event of theirs. Short transactions throughout, so
        other writers never wait long; a crash part-way leaves a consistent
        store and running ``forget`` again finishes the job. Returns counts and
        the erased texts (``"texts"``); the caller verifies the bytes."""
        turns = self._turns()
        with self._deferred_checkpoints():
            texts, graph, n_ev = self._erase_user(user_id, actor, turns)
        compacted = self.compact(turns)
        return {"episodes": graph["episodes"], "facts": graph["facts"], "pins": graph["pins"],
                "relations_removed": graph["relations_removed"], "events_scrubbed": n_ev,
                "checkpointed": compacted["checkpointed"], "texts": texts}  # fmt: skip

    def _erase_user(
        self, user_id: str, actor: str | None, turns: _Turns
    ) -> tuple[list[str], dict[str, int], int]:
        """The row deletions of :meth:`forget_user`, in short transactions; the
        texts are read in the transaction that deletes them, so a memory added
        while the erase runs is erased and verified alike."""
        texts: list[str] = []
        n_ep = 0
        chunk = _ERASE_CHUNK
        while True:
            turns.take()
            began = time.monotonic()
            with self._write() as w:
                rows = w.execute(
                    "SELECT id, text FROM episodes WHERE user_id = ? ORDER BY occurred_at, seq LIMIT ?",
                    (user_id, chunk)).fetchall()  # fmt: skip
                if rows:
                    ids = [r[0] for r in rows]
                    w.execute(f"DELETE FROM episodes WHERE id IN ({','.join('?' * len(ids))})", ids)
                    erase.log_erased(w, ids)
            texts.extend(r[1] for r in rows)
            n_ep += len(rows)
            if len(rows) < chunk:
                break
            chunk = _next_chunk(chunk, time.monotonic() - began)
        turns.take()
        with self._write() as w:
            texts.extend(erase.user_pin_texts(w, user_id))
            graph = erase.drop_user_graph(w, user_id, self._refresh_alpha)
        n_ev = 0
        chunk = _ERASE_CHUNK * 4
        while True:
            turns.take()
            began = time.monotonic()
            with self._write() as w:
                k = erase.scrub_user_events(w, user_id, chunk)
                if k < chunk:  # the last one: the log says a user was forgotten, not who
                    self._log(w, "FORGET", None, None, actor, None,
                              {"episodes": n_ep, "facts": graph["facts"]})  # fmt: skip
            n_ev += k
            if k < chunk:
                break
            chunk = _next_chunk(chunk, time.monotonic() - began)
        return texts, {**graph, "episodes": n_ep}, n_ev

    def residue(self, needles: Sequence[str]) -> list[str]:
        """Which of ``needles`` (8 bytes or more) still occur as bytes in the
        database file or its WAL: one pass over the files whatever their number."""
        encoded = [n.encode("utf-8") for n in needles]
        if self.path == ":memory:":  # the database's image: its pages hold all there is
            with self._lock:
                image = self._conn.serialize()
            found = find_any((image,), encoded)
        else:
            found = find_any((self.path, self.path + "-wal"), encoded)
        return [needles[i] for i in sorted(found)]

    # -- meta / health ---------------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        row = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0][0] if row else None

    def meta_set(self, key: str, value: str) -> None:
        with self._write() as c:
            c.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      (key, value))  # fmt: skip

    def health(self) -> dict[str, Any]:
        integrity = self._read("PRAGMA integrity_check")[0][0]
        fts_ok = True
        try:
            self._read("INSERT INTO episodes_fts(episodes_fts, rank) VALUES ('integrity-check', 1)")
        except StoreError:
            fts_ok = False
        size = Path(self.path).stat().st_size if self.path != ":memory:" else 0
        return {
            "path": self.path,
            "schema_version": self._read("PRAGMA user_version")[0][0],
            "journal_mode": self._read("PRAGMA journal_mode")[0][0],
            "integrity": integrity,
            "fts_integrity": "ok" if fts_ok else "failed",
            "episodes": self.count(),
            "events": self.head(),
            "bytes": size,
            "sqlite_version": sqlite3.sqlite_version,
        }

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _next_chunk(rows: int, seconds: float) -> int:
    """Rows for the next transaction of a bulk erase: as many as fit in about
    :data:`_ERASE_TXN_S` at the rate just seen. Each deleted row dirties a page
    of its own in a large store, so the cost per row depends on the disk; a
    fixed chunk is either slow (many small commits: 500 rows cost 0.09 s of
    commit each here) or blocks other writers too long on a slow disk."""
    rate = rows / max(seconds, 1e-3)
    return int(min(max(rate * _ERASE_TXN_S, _ERASE_CHUNK), 20 * _ERASE_CHUNK))


def fts_or(terms: Sequence[str]) -> str | None:
    """An FTS5 MATCH expression ORing ``terms``, each a quoted phrase."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) or None


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; triggers contain ';' inside BEGIN..END."""
    stmts: list[str] = []
    buf: list[str] = []
    for line in script.strip().splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            stmts.append(joined)
            buf = []
    if "\n".join(buf).strip():
        stmts.append("\n".join(buf))
    return stmts
