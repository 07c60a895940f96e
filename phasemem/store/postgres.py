"""PostgreSQL + pgvector store: one database shared by many processes and hosts.

Why it is built this way:

* **Writes are serialised per schema** (``pg_advisory_xact_lock`` taken first in
  every write transaction), as SQLite's ``BEGIN IMMEDIATE`` serialises them.
  The mirror of every process reads new rows by sequence number and the log by
  event id; with writers serialised, ids are handed out in commit order, so a
  reader that has seen id ``n`` can never later see a smaller one commit. The
  fact decisions (a slot's versions read, then changed) need the same order.
* **Nothing per process that others cannot see**: ``write_version`` is bumped in
  the same transaction as the data; :meth:`version` reads it (one indexed row),
  so a search in any process sees a write committed anywhere before it starts.
  The in-process mirror is a cache of the database keyed on that number.
* **Tenants are schemas** (``?schema=`` in the URL), each owned by a role of its
  own when the store is opened with ``isolate`` (``SET ROLE`` on every pooled
  connection): a query that names another tenant's table is refused by the
  database (*permission denied*), not by phasemem's code.
* **Dense search in the database**: ``emb`` holds the int8 code times its scale
  (set by a trigger whoever writes the row) under an HNSW index;
  :meth:`search_vectors` scores by inner product, as the in-memory index does.
* The fact, dump and erasure SQL is SQLite's own (:mod:`.pg_dialect`), so both
  backends decide, export and erase the same way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from phasemem.embed.quant import from_blob, quantize, to_blob
from phasemem.errors import (
    EmbeddingError,
    InvalidInputError,
    NotFoundError,
    SchemaVersionError,
    StoreError,
)
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
from phasemem.store.dump import ImportState
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
from phasemem.store.fts5_tokens import K1, B, Fts5Tokenizer
from phasemem.store.pg_dialect import Conn
from phasemem.store.pg_schema import (
    DENSE_DDL,
    EPISODE_COLUMN_TYPES,
    HNSW_DDL,
    MIGRATIONS,
    SCHEMA_VERSION,
    VECTOR_TYPES,
)
from phasemem.store.sql import filter_where_pg
from phasemem.store.sqlite_dump import export_rows as dump_rows
from phasemem.store.sqlite_dump import import_rows as dump_import
from phasemem.trust.policy import TrustPolicy

_EP_COLS = ", ".join(("seq", *EPISODE_FIELDS))
_INSERT_COLS = (*EPISODE_FIELDS, *EPISODE_STORED_EXTRA, "dlen")
_INSERT_EPISODE = (
    f"INSERT INTO episodes ({', '.join(_INSERT_COLS)}) VALUES"
    f" ({', '.join('?' * len(_INSERT_COLS))}) ON CONFLICT DO NOTHING RETURNING seq"
)


def _sql_type(column: str) -> str:
    """The bare type of an episode column (``DOUBLE PRECISION NOT NULL`` -> ``double precision``)."""
    decl = EPISODE_COLUMN_TYPES.get(column, "INTEGER")  # dlen: the v3 column
    for cut in (" NOT NULL", " UNIQUE", " DEFAULT"):
        decl = decl.split(cut)[0]
    return decl.lower()


#: one INSERT for a batch: a typed array per column, unnested in batch order
#: (metadata travels as text and becomes jsonb in the select list)
_INSERT_BATCH = (
    f"INSERT INTO episodes ({', '.join(_INSERT_COLS)}) SELECT"
    f" {', '.join(f'u.{c}::jsonb' if _sql_type(c) == 'jsonb' else f'u.{c}' for c in _INSERT_COLS)}"
    " FROM unnest("
    + ", ".join(f"?::{'text' if _sql_type(c) == 'jsonb' else _sql_type(c)}[]" for c in _INSERT_COLS)
    + f", ?::integer[]) AS u({', '.join(_INSERT_COLS)}, ord) ORDER BY u.ord"
    " ON CONFLICT DO NOTHING RETURNING seq, id"
)
_ERASE_CHUNK = 500
_HEX = frozenset("0123456789abcdefABCDEF")
_ID_CHARS = _HEX | {"-"}
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,47}$")
#: URL query options phasemem reads itself (the rest go to libpq)
_OWN_OPTIONS = ("schema", "isolate", "pool", "vtype", "dense", "keys_schema")
#: pgvector release that brought ``halfvec``
HALFVEC_SINCE = (0, 7)
#: a dense search over at most this many rows is exact, not HNSW (a few ms)
EXACT_SCOPE = 20_000
#: memory for building the HNSW index (pgvector builds slowly past it)
HNSW_BUILD_MEMORY = "512MB"
#: how often a process without a valid HNSW index looks for one (seconds)
_HNSW_RECHECK_S = 5.0
_log = logging.getLogger(__name__)


def parse_url(url: str) -> tuple[str, dict[str, str]]:
    """``(conninfo, options)``: the URL without phasemem's own query options
    (``schema``, ``isolate``, ``pool``, ``vtype``), and those options."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme in ("postgres", "pgsql"):
        scheme = "postgresql"
    query = parse_qsl(parts.query, keep_blank_values=True)
    own = {k: v for k, v in query if k in _OWN_OPTIONS}
    rest = [(k, v) for k, v in query if k not in _OWN_OPTIONS]
    conninfo = urlunsplit((scheme, parts.netloc, parts.path, urlencode(rest), parts.fragment))
    return conninfo, own


def redact(url: str) -> str:
    """The URL without its password (for messages and ``path``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _episode(row: Sequence[Any]) -> Episode:
    values = dict(zip(EPISODE_FIELDS, row[1:], strict=True))
    values["metadata"] = json.loads(values["metadata"])
    if values["quarantine"] is not None:
        values["quarantine"] = json.loads(values["quarantine"])
    return Episode(**values)


def _snapshot(ep: Episode) -> dict[str, Any]:
    return {"text": ep.text, "speaker": ep.speaker, "role": ep.role, "hash": ep.content_hash}


def _version(text: str) -> tuple[int, ...]:
    """``"0.8.2"`` -> ``(0, 8, 2)`` (a non-numeric part ends the tuple)."""
    out: list[int] = []
    for part in text.split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out)


def _lock_key(schema: str) -> int:
    """A stable 63-bit advisory lock key for a schema's writers."""
    return int.from_bytes(uuid.uuid5(uuid.NAMESPACE_URL, "phasemem:" + schema).bytes[:8]) >> 1


def _noop(c: Any, it: NewEpisode) -> AddResult:
    """The NOOP of an episode whose content is already in its scope, naming the kept row."""
    existing = c.execute(
        "SELECT id FROM episodes WHERE user_id = ? AND COALESCE(agent_id,'') ="
        " COALESCE(?, '') AND COALESCE(session_id,'') = COALESCE(?, '')"
        " AND content_hash = ?",
        (it.user_id, it.agent_id, it.session_id, it.content_hash),
    ).fetchone()
    return AddResult(existing[0] if existing else it.id, "NOOP", it.text)


class PostgresStore:
    """A :class:`~phasemem.store.base.Store` on PostgreSQL (psycopg 3, a pool).

    ``url``: ``postgresql://user:pass@host:5432/db?schema=phasemem``; options
    ``isolate=1`` (the schema belongs to a role of its own, see the module
    docstring), ``pool=N`` (most connections, default 8), ``vtype`` (``halfvec``,
    the default where pgvector has it, or ``vector``; fixed when the dense index
    is created), ``dense``
    (``db``: vectors searched by an HNSW index in the database, the default;
    ``mirror``: only by the in-process index, no pgvector operator runs)."""

    def __init__(self, url: str, *, embedder_name: str, dim: int) -> None:
        #: the trust policy fact decisions use (Memory sets it; None: no trust)
        self.trust_policy: TrustPolicy | None = TrustPolicy()
        try:
            import psycopg
            from psycopg.types.string import TextLoader
            from psycopg_pool import ConnectionPool
        except ImportError as exc:  # pragma: no cover - the extra is missing
            raise StoreError(
                "PostgreSQL needs psycopg: pip install 'phasemem[postgres]'", path=redact(url)
            ) from exc
        self.path = redact(url)
        self.dim = dim
        conninfo, opts = parse_url(url)
        self.schema = opts.get("schema") or "phasemem"
        if not _SCHEMA_RE.match(self.schema):
            raise InvalidInputError(
                "schema must be lower-case letters, digits and _ (at most 48)",
                field="db", schema=self.schema,
            )  # fmt: skip
        self.vtype = opts.get("vtype") or ""
        if self.vtype and self.vtype not in VECTOR_TYPES:
            raise InvalidInputError(f"vtype must be one of {VECTOR_TYPES}", field="db")
        self.dense = opts.get("dense") or "db"
        if self.dense not in ("db", "mirror"):
            raise InvalidInputError("dense must be db or mirror", field="db")
        self.role = f"pm_{self.schema}" if opts.get("isolate") in ("1", "true", "yes") else None
        self.pgvector: tuple[int, ...] = (0,)
        self._key = _lock_key(self.schema)
        self._conninfo = conninfo
        self._psycopg = psycopg
        self._text_loader = TextLoader
        try:
            self._bootstrap()
            self._pool = ConnectionPool(
                conninfo, min_size=1, max_size=max(1, int(opts.get("pool") or 8)),
                configure=self._configure, kwargs={"autocommit": True}, open=True,
                timeout=30, name=f"phasemem-{self.schema}",
            )  # fmt: skip
            self._pool.wait(timeout=30)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}", path=self.path) from exc
        self._tokenizer = Fts5Tokenizer()
        self._word_tokens: dict[str, list[str]] = {}
        self._lock = threading.RLock()
        #: the HNSW index: True once seen valid; else when last looked for
        self._hnsw_ready = False
        self._hnsw_checked = -_HNSW_RECHECK_S
        self._hnsw_thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._migrate()
        self._check_embedder(embedder_name, dim)

    # -- plumbing -----------------------------------------------------------
    def _bootstrap(self) -> None:
        """Extension, role and schema, once per cluster (under a session lock,
        so concurrent first starts do not race on CREATE)."""
        sch = self.schema
        with self._psycopg.connect(self._conninfo, autocommit=True) as c:
            c.execute("SELECT pg_advisory_lock(%s)", [_lock_key("bootstrap")])
            try:
                c.execute("CREATE EXTENSION IF NOT EXISTS vector")
                row = c.execute(
                    "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
                ).fetchone()
                self.pgvector = _version(row[0]) if row else (0,)
                if self.role is not None:
                    exists = c.execute(
                        "SELECT 1 FROM pg_roles WHERE rolname = %s", [self.role]
                    ).fetchone()
                    if not exists:
                        c.execute(f'CREATE ROLE "{self.role}" NOLOGIN')
                    c.execute(f'GRANT "{self.role}" TO CURRENT_USER')
                    c.execute(f'CREATE SCHEMA IF NOT EXISTS "{sch}" AUTHORIZATION "{self.role}"')
                    c.execute(f'REVOKE ALL ON SCHEMA "{sch}" FROM PUBLIC')
                else:
                    c.execute(f'CREATE SCHEMA IF NOT EXISTS "{sch}"')
            finally:
                c.execute("SELECT pg_advisory_unlock(%s)", [_lock_key("bootstrap")])
        self._choose_vtype()

    def _choose_vtype(self) -> None:
        """``halfvec`` (half the bytes of ``vector``, same recall at int8 codes)
        where pgvector has it (0.7+); ``vector`` on older ones, saying so once.
        Asking for ``halfvec`` where it is missing is an error, not a fallback."""
        has_half = self.pgvector >= HALFVEC_SINCE
        if self.vtype == "halfvec" and not has_half:
            raise InvalidInputError(
                f"vtype=halfvec needs pgvector {'.'.join(map(str, HALFVEC_SINCE))}+; this"
                f" server has {'.'.join(map(str, self.pgvector))}: use vtype=vector",
                field="db",
            )
        if not self.vtype:
            self.vtype = "halfvec" if has_half else "vector"
            if not has_half:
                _log.warning(
                    "pgvector %s has no halfvec (0.7+): dense vectors are stored as vector"
                    " (twice the bytes)", ".".join(map(str, self.pgvector)))  # fmt: skip

    def _configure(self, conn: Any) -> None:
        """Each pooled connection: the tenant's role and schema, jsonb as text
        (the shared SQL reads JSON text, as from SQLite), and filtered HNSW
        scans that keep going until enough rows pass the filter."""
        conn.adapters.register_loader("jsonb", self._text_loader)
        if self.role is not None:
            conn.execute(f'SET ROLE "{self.role}"')
        conn.execute(f'SET search_path TO "{self.schema}", public')
        with contextlib.suppress(self._psycopg.Error):  # pgvector < 0.8: plain HNSW scans
            conn.execute("SET hnsw.iterative_scan = relaxed_order")

    @contextmanager
    def _conn(self) -> Iterator[Conn]:
        try:
            with self._pool.connection() as raw:
                yield Conn(raw)
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}", path=self.path) from exc

    @contextmanager
    def _write(self) -> Iterator[Conn]:
        """One write transaction: the schema's writer lock first, the version
        bump and a NOTIFY last (so other processes' caches see it at commit)."""
        with self._conn() as c, c.raw.transaction():
            c.execute("SELECT pg_advisory_xact_lock(?)", (self._key,))
            yield c
            v = c.execute("UPDATE write_version SET v = v + 1 RETURNING v").fetchone()[0]
            c.execute("SELECT pg_notify(?, ?)", (f"phasemem_{self.schema}", str(v)))

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._conn() as c:
            return c.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._conn() as c:
            c.execute("SELECT pg_advisory_lock(?)", (self._key,))
            try:
                c.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (one BOOLEAN PRIMARY KEY"
                    " DEFAULT TRUE CHECK (one), version INTEGER NOT NULL)"
                )
                row = c.execute("SELECT version FROM schema_version").fetchone()
                version = row[0] if row else 0
                if version > SCHEMA_VERSION:
                    raise SchemaVersionError(
                        f"{self.path} (schema {self.schema}) has schema v{version}; this"
                        f" phasemem knows up to v{SCHEMA_VERSION}: upgrade phasemem",
                        path=self.path,
                    )
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    with c.raw.transaction():
                        c.raw.execute(MIGRATIONS[target - 1].format(dim=self.dim, vtype=self.vtype))
                        c.execute(
                            "INSERT INTO schema_version VALUES (TRUE, ?) ON CONFLICT (one)"
                            " DO UPDATE SET version = excluded.version",
                            (target,),
                        )
                has_emb = c.execute(
                    "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid ="
                    " 'episodes'::regclass AND attname = 'emb' AND NOT attisdropped"
                ).fetchone()
                if has_emb is None and self.dense == "db":
                    with c.raw.transaction():
                        c.raw.execute(DENSE_DDL.format(dim=self.dim, vtype=self.vtype))
                elif has_emb is not None:
                    self.vtype = has_emb[0]
                    self.dense = "db"  # the index exists: keep it used (and in step)
                while c.execute("SELECT 1 FROM episodes WHERE dlen IS NULL LIMIT 1").fetchone():
                    with c.raw.transaction():  # rows of a schema from before v3
                        self._index_pending(c, 2000)
            finally:
                c.execute("SELECT pg_advisory_unlock(?)", (self._key,))

    def text_search_scoped(self) -> bool:
        """Postings are read by (term, user): a scoped search costs the user's
        rows only, so retrieval never tries an unscoped one first."""
        return True

    def dense_in_store(self) -> bool:
        """Whether :meth:`search_vectors` may be used (``dense=db``)."""
        return self.dense == "db"

    def _check_embedder(self, name: str, dim: int) -> None:
        with self._write() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
            if row is None:
                c.execute("INSERT INTO meta VALUES ('embedder', ?)",
                          (json.dumps({"name": name, "dim": dim}),))  # fmt: skip
                return
        stored = json.loads(row[0])
        if stored["name"] != name or stored["dim"] != dim:
            raise EmbeddingError(
                f"{self.path} (schema {self.schema}) was built with embedder {stored['name']}"
                f" ({stored['dim']}-d); it cannot be searched with {name} ({dim}-d)",
                stored=stored["name"], requested=name,
            )  # fmt: skip

    def _log(self, c: Conn, op: str, target: str | None, user: str | None,
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
        """Episodes and their facts in one transaction. Without facts the batch
        goes in as a few statements (:meth:`_add_batch`); with facts each row
        is decided in order, as in SQLite."""
        vectors = [it.vector for it in items]
        blobs: list[tuple[bytes | None, float | None]] = [(None, None)] * len(items)
        if any(v is not None for v in vectors):
            codes, scales = quantize(np.stack([v for v in vectors if v is not None]))
            vi = 0
            for i, v in enumerate(vectors):
                if v is not None:
                    blobs[i] = (to_blob(codes[vi]), float(scales[vi]))
                    vi += 1
        results: list[AddResult] = []
        tokens, lengths = self._tokens_of([(it.text, it.speaker) for it in items])
        if not facts or not any(facts):
            return self._add_batch(items, blobs, tokens, lengths, actor)
        postings: list[tuple[str, int, float, str]] = []
        with self._write() as c:
            for i, it in enumerate(items):
                rec = it.record()
                rec["metadata"] = json.dumps(rec["metadata"])
                if rec["quarantine"] is not None:
                    rec["quarantine"] = json.dumps(rec["quarantine"])
                row = (*rec.values(), *blobs[i], it.time_mentions, lengths[i])
                got = c.execute(_INSERT_EPISODE, row).fetchone()
                added = got is not None
                if added:
                    postings += [(term, int(got[0]), wtf, it.user_id) for term, wtf in tokens[i]]
                    self._log(c, "ADD", it.id, it.user_id, actor, None, _snapshot(it),
                              at=it.recorded_at)  # fmt: skip
                    ops = tuple(
                        apply_fact(c, self._log, it.user_id, it.id, nf, actor=actor,
                                   now=it.recorded_at, observe=self._observe,
                                   source=it.source_label, policy=self.trust_policy)
                        for nf in (facts[i] if facts else ())
                    )  # fmt: skip
                    results.append(AddResult(it.id, "ADD", it.text, ops))
                else:
                    results.append(_noop(c, it))
            self._add_postings(c, postings)
        return results

    def _add_batch(
        self,
        items: Sequence[NewEpisode],
        blobs: Sequence[tuple[bytes | None, float | None]],
        tokens: Sequence[Sequence[tuple[str, float]]],
        lengths: Sequence[int],
        actor: str | None,
    ) -> list[AddResult]:
        """Episodes without facts: the rows, their events and their postings as
        three statements, whatever the batch size (the bulk-ingest path: a row
        at a time cost a round trip each). Rows go in in order, so seqs follow
        the batch; a row whose content is already in its scope, in the table or
        earlier in the batch, is a NOOP naming the kept row."""
        cols: list[list[Any]] = [[] for _ in _INSERT_COLS]
        for i, it in enumerate(items):
            rec = it.record()
            rec["metadata"] = json.dumps(rec["metadata"])
            if rec["quarantine"] is not None:
                rec["quarantine"] = json.dumps(rec["quarantine"])
            for k, v in enumerate((*rec.values(), *blobs[i], it.time_mentions, lengths[i])):
                cols[k].append(v)
        with self._write() as c:
            added = {
                r[1]: int(r[0])
                for r in c.execute(_INSERT_BATCH, [*cols, list(range(len(items)))]).fetchall()
            }
            new = [it for it in items if it.id in added]
            if new:
                c.executemany(
                    "INSERT INTO events (op, target_id, user_id, at, actor, before, after)"
                    " VALUES ('ADD', ?, ?, ?, ?, NULL, ?)",
                    [(it.id, it.user_id, it.recorded_at, actor, json.dumps(_snapshot(it)))
                     for it in new],
                )  # fmt: skip
            self._add_postings(c, [(t, added[it.id], w, it.user_id)
                                   for it, toks in zip(items, tokens, strict=True)
                                   if it.id in added for t, w in toks])  # fmt: skip
            results: list[AddResult] = []
            for it in items:
                if it.id in added:
                    results.append(AddResult(it.id, "ADD", it.text))
                    continue
                results.append(_noop(c, it))
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
            dup = c.execute(
                "SELECT 1 FROM episodes WHERE user_id = ? AND COALESCE(agent_id,'') = COALESCE(?, '')"
                " AND COALESCE(session_id,'') = COALESCE(?, '') AND content_hash = ? AND id <> ?",
                (old.user_id, old.agent_id, old.session_id, content_hash, episode_id),
            ).fetchone()
            if dup:
                raise InvalidInputError(
                    "an identical memory already exists in this scope", id=episode_id
                )
            c.execute(
                "UPDATE episodes SET text = ?, content_hash = ?, vector = ?, vscale = ?,"
                " updated_at = ?, time_mentions = ?, dlen = NULL, quarantine = ? WHERE id = ?",
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
            c.execute("DELETE FROM postings WHERE seq = (SELECT seq FROM episodes WHERE id = ?)",
                      (episode_id,))  # fmt: skip
            self._index_pending(c)
            new = self._get_in(c, episode_id, user_id)
            self._log(c, "UPDATE", episode_id, old.user_id, actor, _snapshot(old),
                      _snapshot(new), at=now)  # fmt: skip
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
        where, params = filter_where_pg(flt, "e")
        n = 0
        while True:
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
            self.compact()
        return n

    def compact(self) -> dict[str, Any]:
        """``VACUUM`` the tables erasure touches: dead row versions (the old text)
        leave the heap and the indexes for reuse. PostgreSQL has no
        ``secure_delete``: freed bytes stay on disk until overwritten, and the
        WAL until it is recycled (docs/erasure.md)."""
        tables = ("episodes", "events", "pins", "facts", "entities", "entity_aliases",
                  "fact_episodes", "relation_observations", "relations")  # fmt: skip
        ok = True
        with self._conn() as c:
            for t in tables:
                try:
                    c.execute(f"VACUUM {t}")
                except self._psycopg.Error:  # not the owner: the autovacuum will do it
                    ok = False
        return {"vacuumed": ok, "checkpointed": ok}

    # -- reads ---------------------------------------------------------------
    _ID_KINDS = {
        "memory": ("episodes", "id", "memory", "no memory with id {!r}"),
        "pin": ("pins", "id", "pin", "no pin with id {!r}"),
        "event": ("events", "target_id", "id with history", "no history for id {!r}"),
    }

    def resolve_id(
        self, id_or_prefix: str, user_id: str | None = None, *, kind: str = "memory"
    ) -> str:
        table, col, noun, missing = self._ID_KINDS[kind]
        if not isinstance(id_or_prefix, str) or not id_or_prefix or "\x00" in id_or_prefix:
            raise NotFoundError(missing.format(id_or_prefix), id=str(id_or_prefix))
        scope, args = ("", []) if user_id is None else (" AND user_id = ?", [user_id])
        if self._read(
            f"SELECT 1 FROM {table} WHERE {col} = ?{scope} LIMIT 1", [id_or_prefix, *args]
        ):
            return id_or_prefix
        hexdigits = sum(ch in _HEX for ch in id_or_prefix)
        if hexdigits < MIN_ID_PREFIX or not set(id_or_prefix) <= _ID_CHARS:
            raise NotFoundError(missing.format(id_or_prefix), id=id_or_prefix)
        found: list[str] = []
        for prefix in dict.fromkeys((id_or_prefix, id_or_prefix.lower())):
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            # COLLATE "C": byte order, as SQLite compares (a locale would not)
            found = [r[0] for r in self._read(
                f'SELECT DISTINCT {col} FROM {table} WHERE {col} >= ? COLLATE "C" AND'
                f' {col} < ? COLLATE "C"{scope} LIMIT 101', [prefix, upper, *args])]  # fmt: skip
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

    def _get_in(self, c: Conn, episode_id: str, user_id: str | None) -> Episode:
        row = c.execute(f"SELECT {_EP_COLS} FROM episodes WHERE id = ?", (episode_id,)).fetchone()
        ep = _episode(row) if row is not None else None
        if ep is None or (user_id is not None and ep.user_id != user_id):
            raise NotFoundError(f"no memory with id {episode_id!r}", id=episode_id)
        return ep

    def get(self, episode_id: str, user_id: str | None = None) -> Episode:
        if not isinstance(episode_id, str) or "\x00" in episode_id:
            raise NotFoundError(f"no memory with id {episode_id!r}", id=str(episode_id))
        with self._conn() as c:
            return self._get_in(c, episode_id, user_id)

    def by_seq(self, seqs: Sequence[int]) -> dict[int, Episode]:
        if not seqs:
            return {}
        rows = self._read(f"SELECT {_EP_COLS} FROM episodes WHERE seq = ANY(?)",
                          [[int(s) for s in seqs]])  # fmt: skip
        return {r[0]: _episode(r) for r in rows}

    def episodes(self, flt: EpisodeFilter, limit: int, offset: int) -> list[Episode]:
        where, params = filter_where_pg(flt, "e")
        rows = self._read(
            f"SELECT {_EP_COLS} FROM episodes e WHERE {where} ORDER BY occurred_at, seq LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_episode(r) for r in rows]

    def count(self, flt: EpisodeFilter | None = None) -> int:
        if flt is None:
            return int(self._read("SELECT COUNT(*) FROM episodes")[0][0])
        where, params = filter_where_pg(flt, "e")
        return int(self._read(f"SELECT COUNT(*) FROM episodes e WHERE {where}", params)[0][0])

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

    # -- BM25 and dense search in the database ------------------------------
    def _tokens_of(
        self, docs: Sequence[tuple[str, str | None]]
    ) -> tuple[list[list[tuple[str, float]]], list[int]]:
        """FTS5's tokens of each ``(text, speaker)``: ``(term, weighted tf)``
        per document, and each document's length in tokens (all columns)."""
        per: list[list[tuple[str, float]]] = [[] for _ in docs]
        lengths = [0] * len(docs)
        for term, doc, wtf, count in self._tokenizer.documents(
            [(i + 1, text, speaker) for i, (text, speaker) in enumerate(docs)]
        ):
            per[doc - 1].append((term, float(wtf)))
            lengths[doc - 1] += int(count)
        return per, lengths

    @staticmethod
    def _add_postings(c: Conn, postings: Sequence[tuple[str, int, float, str]]) -> None:
        """``(term, seq, wtf, user)`` rows in one statement for a batch (the
        document-frequency trigger fires once)."""
        if postings:
            c.execute(
                "INSERT INTO postings (term, seq, wtf, user_id) SELECT * FROM"
                " unnest(?::text[], ?::bigint[], ?::real[], ?::text[])",
                [[p[k] for p in postings] for k in range(4)],
            )

    def _index_pending(self, c: Conn, limit: int | None = None) -> None:
        """Postings and lengths for rows written without them (an import, an
        update, a schema from before v3): the rows whose ``dlen`` is NULL."""
        sql = "SELECT seq, text, speaker, user_id FROM episodes WHERE dlen IS NULL ORDER BY seq"
        rows = c.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
        if not rows:
            return
        tokens, lengths = self._tokens_of([(r[1], r[2]) for r in rows])
        self._add_postings(
            c,
            [
                (t, int(r[0]), w, r[3])
                for r, toks in zip(rows, tokens, strict=True)
                for t, w in toks
            ],
        )
        c.execute(
            "UPDATE episodes e SET dlen = u.n FROM unnest(?::bigint[], ?::integer[]) AS u(seq, n)"
            " WHERE e.seq = u.seq",
            ([int(r[0]) for r in rows], lengths),
        )

    def _word_groups(self, words: Sequence[str]) -> list[list[str]]:
        """FTS5's tokens of each query word (a word FTS5 splits, "col*star", is
        a phrase to it: here all its tokens must occur, in any order, as no
        positions are kept); words without a token drop out."""
        todo = [w for w in words if w not in self._word_tokens]
        if todo:
            if len(self._word_tokens) > 50_000:
                self._word_tokens.clear()
            for w, toks in zip(todo, self._tokenizer.words(todo), strict=True):
                self._word_tokens[w] = sorted(set(toks))
        return [self._word_tokens[w] for w in words if self._word_tokens[w]]

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """Episodes (all users) holding each word, from the ``term_df`` table
        (a many-token word: its rarest token's count, an upper bound)."""
        per = {w: (self._word_groups([w]) or [[]])[0] for w in terms}
        wanted = sorted({t for toks in per.values() for t in toks})
        rows = (
            self._read("SELECT term, df FROM term_df WHERE term = ANY(?)", (wanted,))
            if wanted
            else []
        )
        df = {r[0]: int(r[1]) for r in rows}
        return {w: min((df.get(t, 0) for t in toks), default=0) for w, toks in per.items()}

    def search_text(
        self, terms: Sequence[str], flt: EpisodeFilter | None, limit: int
    ) -> list[tuple[int, float]]:
        """FTS5's BM25 (``k1 = 1.2``, ``b = 0.75``, text 1.0, speaker 0.5, IDF
        floored at 1e-6; higher is better), from the postings and the kept
        statistics: the row count, token total and document frequencies over
        every user, as FTS5 counts them. Same tokens, same scores as SQLite for
        one-token words; a many-token word scores as its rarest token, with the
        smallest weighted tf of its tokens (an approximation of FTS5's phrase)."""
        groups = self._word_groups([t for t in terms if t and t.strip()])
        if not groups:
            return []
        where, params = ("TRUE", []) if flt is None else filter_where_pg(flt, "e")
        mine, user = ("", []) if flt is None else (" AND p.user_id = ?", [flt.user_id])
        rows = self._read(
            "WITH tot AS (SELECT n::float8 AS n, GREATEST(tokens, 1)::float8 / GREATEST(n, 1)"
            " AS avgdl FROM lex_totals),"
            " w AS (SELECT * FROM unnest(?::text[], ?::int[]) AS w(term, grp)),"
            " k AS (SELECT grp, COUNT(*) AS k FROM w GROUP BY grp),"
            " q AS (SELECT w.grp, w.term, d.df FROM w JOIN term_df d ON d.term = w.term),"
            " g AS (SELECT q.grp, ln((tot.n - MIN(q.df) + 0.5) / (MIN(q.df) + 0.5)) AS idf"
            " FROM q JOIN k ON k.grp = q.grp, tot GROUP BY q.grp, k.k, tot.n"
            " HAVING COUNT(*) = k.k),"
            " per AS (SELECT q.grp, p.seq, MIN(p.wtf) AS wtf, COUNT(*) AS hit FROM q"
            f" JOIN postings p ON p.term = q.term{mine} GROUP BY q.grp, p.seq)"
            " SELECT per.seq, SUM(CASE WHEN g.idf > 0 THEN g.idf ELSE 1e-6 END * per.wtf * ?"
            " / (per.wtf + ? * (1 - ? + ? * e.dlen / tot.avgdl))) AS s"
            " FROM per JOIN g ON g.grp = per.grp JOIN k ON k.grp = per.grp"
            " JOIN episodes e ON e.seq = per.seq, tot"
            f" WHERE per.hit = k.k AND {where} GROUP BY per.seq ORDER BY s DESC, per.seq LIMIT ?",
            [[t for grp in groups for t in grp], [i for i, grp in enumerate(groups) for _ in grp],
             *user, K1 + 1.0, K1, B, B, *params, limit],
        )  # fmt: skip
        return [(int(r[0]), float(r[1])) for r in rows]

    def search_vectors(
        self, vector: np.ndarray, flt: EpisodeFilter, limit: int
    ) -> list[tuple[int, float]]:
        """Top-``limit`` ``(seq, inner product)`` among the episodes ``flt``
        allows, best first, ties by the older seq.

        A scope of at most :data:`EXACT_SCOPE` rows is scored exactly (the
        ``+ 0`` keeps the planner off the HNSW index: it reads the scope by its
        btree and sorts), so a user's search returns what the in-process index
        returns. A larger scope goes through HNSW with ``ef_search`` at four
        times ``limit`` (at most 1000; measured at 100K rows and limit 100:
        score recall 0.75 at 2x, 0.80 at 4x for +4 ms, 0.90 at 1000 for +16 ms;
        docs/benchmarks.md); where pgvector has no iterative scans (< 0.8) a filtered
        scan can come back short, and the query is then answered exactly."""
        where, params = filter_where_pg(flt, "e")
        lit = "[" + ",".join(f"{x:.6g}" for x in np.asarray(vector, dtype=np.float32)) + "]"
        q = f"?::{self.vtype}"
        exact = (
            f"SELECT e.seq, -(e.emb <#> {q}) AS s FROM episodes e WHERE {where}"
            f" AND e.emb IS NOT NULL ORDER BY (e.emb <#> {q}) + 0, e.seq LIMIT ?"
        )
        with self._conn() as c:
            n = c.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM episodes e WHERE {where} LIMIT ?) x",
                [*params, EXACT_SCOPE + 1],
            ).fetchone()[0]
            rows: list[Any] = []
            if n > EXACT_SCOPE:
                self._want_hnsw(c)  # until it is built, the query below scans exactly
                with c.raw.transaction():
                    c.raw.execute(f"SET LOCAL hnsw.ef_search = {min(1000, max(100, 4 * limit))}")
                    rows = c.execute(
                        f"SELECT e.seq, -(e.emb <#> {q}) FROM episodes e WHERE {where}"
                        f" AND e.emb IS NOT NULL ORDER BY e.emb <#> {q} LIMIT ?",
                        [lit, *params, lit, limit],
                    ).fetchall()
            if len(rows) < min(limit, n):
                rows = c.execute(exact, [lit, *params, lit, limit]).fetchall()
        found = [(int(r[0]), float(r[1])) for r in rows]
        found.sort(key=lambda r: (-r[1], r[0]))  # iterative scans return nearly in order
        return found

    # -- the HNSW index, built when first needed -----------------------------------
    def _want_hnsw(self, c: Conn) -> None:
        """Start building the HNSW index in the background unless it exists.

        Why not with the table: an HNSW insert cost ~1.7 ms a row here, 3/4 of
        a bulk load's time, and a service whose user scopes stay under
        :data:`EXACT_SCOPE` never searches it. The first search of a bigger
        scope starts the build (``CREATE INDEX CONCURRENTLY``: writers go on;
        one builder over all processes, by an advisory lock) and is answered
        by an exact scan meanwhile, as are the searches until it is valid."""
        if self._hnsw_ready or self.dense != "db":
            return
        now = time.monotonic()
        if now - self._hnsw_checked < _HNSW_RECHECK_S:
            return
        self._hnsw_checked = now
        if self._hnsw_valid(c):
            self._hnsw_ready = True
            return
        with self._lock:
            if self._hnsw_thread is None or not self._hnsw_thread.is_alive():
                self._hnsw_thread = threading.Thread(
                    target=self._build_hnsw_quietly, name=f"hnsw-{self.schema}", daemon=True
                )
                self._hnsw_thread.start()

    @staticmethod
    def _hnsw_valid(c: Conn) -> bool | None:
        """True: a valid index; False: an invalid one (a build that died); None: none."""
        row = c.execute(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass('episodes_emb')"
        ).fetchone()
        return None if row is None else bool(row[0])

    def _hnsw_valid_now(self) -> bool | None:
        """:meth:`_hnsw_valid` on a pooled connection (for tests and health)."""
        with self._conn() as c:
            return self._hnsw_valid(c)

    def _build_hnsw_quietly(self) -> None:
        try:
            self.build_dense_index()
        except Exception:  # searches stay exact; the next big one tries again
            if not self._closing.is_set():
                _log.warning("building the HNSW index of %s failed", self.schema, exc_info=True)

    def build_dense_index(self) -> bool:
        """Build the HNSW index now (after a bulk load, say) unless it exists;
        False when another process holds the build. Writers are not blocked."""
        if self.dense != "db":
            return False
        with self._conn() as c:
            key = _lock_key("hnsw:" + self.schema)
            if not c.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()[0]:
                return False
            try:
                state = self._hnsw_valid(c)
                if state is False:  # left by a build that was stopped
                    c.raw.execute("DROP INDEX CONCURRENTLY IF EXISTS episodes_emb")
                if state is not True:
                    c.raw.execute(f"SET maintenance_work_mem = '{HNSW_BUILD_MEMORY}'")
                    c.raw.execute(HNSW_DDL.format(vtype=self.vtype))
                    c.raw.execute("RESET maintenance_work_mem")
                self._hnsw_ready = True
                return True
            finally:
                c.execute("SELECT pg_advisory_unlock(?)", (key,))

    # -- the mirror's feed --------------------------------------------------------
    def lexical_rows(self, after_seq: int = 0, limit: int | None = None) -> list[LexRow]:
        sql = "SELECT seq, id, text, speaker FROM episodes WHERE seq > ? ORDER BY seq"
        params: list[Any] = [after_seq]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [(int(r[0]), r[1], r[2], r[3]) for r in self._read(sql, params)]

    def lexical_row(self, episode_id: str) -> LexRow | None:
        rows = self._read("SELECT seq, id, text, speaker FROM episodes WHERE id = ?", (episode_id,))
        return (int(rows[0][0]), rows[0][1], rows[0][2], rows[0][3]) if rows else None

    def speakers(self, user_id: str) -> list[str]:
        rows = self._read(
            "SELECT DISTINCT speaker FROM episodes WHERE user_id = ? AND speaker IS NOT NULL",
            (user_id,),
        )
        return [r[0] for r in rows]

    def speakers_of(self, seqs: Sequence[int], names: Sequence[str]) -> list[int]:
        if not seqs or not names:
            return []
        rows = self._read("SELECT seq FROM episodes WHERE seq = ANY(?) AND speaker = ANY(?)",
                          [[int(s) for s in seqs], list(names)])  # fmt: skip
        return [int(r[0]) for r in rows]

    def previous_turn(
        self, user_id: str, session_id: str, before: float
    ) -> tuple[str | None, str] | None:
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
            speakers=[r[9] for r in rows], roles=[r[10] for r in rows],
            sources=[r[11] for r in rows],
        )  # fmt: skip

    def vector_of(self, episode_id: str) -> tuple[np.ndarray, float] | None:
        row = self._read("SELECT vector, vscale FROM episodes WHERE id = ?", (episode_id,))
        if not row or row[0][0] is None:
            return None
        return from_blob(bytes(row[0][0]), self.dim), float(row[0][1])

    def changes_since(self, event_id: int) -> tuple[int, list[tuple[str, str]]]:
        # the head first, then the changes up to it: under READ COMMITTED each
        # statement has its own snapshot, so an event committed between the two
        # reads is read next time, not skipped (writers are serialised, so ids
        # commit in order)
        with self._conn() as c:
            last = c.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
            rows = c.execute(
                "SELECT op, target_id, after FROM events WHERE id > ? AND id <= ?"
                " AND op IN ('UPDATE', 'DELETE', ?) ORDER BY id",
                (event_id, last, ERASE_OP),
            ).fetchall()
        return int(last), feed_changes(rows)

    def head(self) -> int:
        return int(self._read("SELECT COALESCE(MAX(id), 0) FROM events")[0][0])

    def version(self) -> int:
        """The schema's write counter: bumped by every write transaction of any
        process on any host, in the same commit as its rows."""
        return int(self._read("SELECT v FROM write_version")[0][0])

    # -- export / import -------------------------------------------------------
    def export_rows(self, user_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The dump's rows from one REPEATABLE READ snapshot on a connection of
        its own (held while the caller reads the rows)."""
        with self._conn() as c:
            c.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try:
                yield from dump_rows(c, user_id)
            finally:
                c.raw.execute("ROLLBACK")

    def import_rows(
        self, rows: Sequence[dict[str, Any]], *, actor: str | None, state: Any = None
    ) -> int:
        state = state if state is not None else ImportState()
        before = state.episodes
        with self._write() as c:
            dump_import(c, rows, state, dim=self.dim, log=self._log)
            self._index_pending(c)
            for rid in state.touched:
                self._refresh_alpha(c, rid)
            state.touched.clear()
        return int(state.episodes - before)

    # -- facts -----------------------------------------------------------------
    def _observe(self, c: Conn, rid: int, user_id: str, delta_days: float,
                 changed: bool) -> None:  # fmt: skip
        observe_transition(c, rid, user_id, delta_days, changed)

    def _refresh_alpha(self, c: Conn, rid: int) -> None:
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
        parts, params = trust_read.fact_filters(include_contested, include_expired, source)
        parts.insert(0, "f.user_id = ?")
        params.insert(0, user_id)
        with self._conn() as c:
            for name, col in ((subject, "f.subject_id"), (entity, None)):
                if name is None:
                    continue
                eid = resolve_entity(c, user_id, name, "PERSON", create=False)
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
                parts.append("r.text = ANY(?)")
                params.append(list(forms))
            if as_of is not None:
                parts.append("f.valid_at <= ? AND (f.invalid_at IS NULL OR f.invalid_at > ?)")
                params += [as_of, as_of]
            elif not include_expired:
                parts.append("f.expired_at IS NULL AND (f.invalid_at IS NULL OR f.invalid_at > ?)")
                params.append(time.time())
            rows = c.execute(f"SELECT {FACT_COLS} FROM {FACT_FROM} WHERE {' AND '.join(parts)}"
                             " ORDER BY f.valid_at, f.rowid", params).fetchall()  # fmt: skip
            eps = episodes_of(c, [r[0] for r in rows])
        return [fact_from_row(r, eps.get(r[0], ())) for r in rows]

    def fact_vectors(self, user_id: str) -> tuple[list[Fact], np.ndarray, np.ndarray]:
        with self._conn() as c:
            rows = c.execute(f"SELECT {FACT_COLS}, f.vector, f.vscale FROM {FACT_FROM} WHERE"
                             " f.user_id = ? AND f.vector IS NOT NULL AND f.status = 'accepted'"
                             " ORDER BY f.rowid",
                             (user_id,)).fetchall()  # fmt: skip
            eps = episodes_of(c, [r[0] for r in rows])
        codes = np.empty((len(rows), self.dim), dtype=np.int8)
        for i, r in enumerate(rows):
            codes[i] = from_blob(bytes(r[14]), self.dim)
        scales = np.array([r[15] for r in rows], dtype=np.float32)
        return [fact_from_row(r, eps.get(r[0], ())) for r in rows], codes, scales

    # -- trust (the shared SQL of phasemem.store.trust_sql / trust_read) ---------
    def source_trust(self, user_id: str, label: str) -> tuple[float, float]:
        with self._conn() as c:
            return trust_sql.posterior(c, user_id, label, self.trust_policy or TrustPolicy())

    def trust_table(self, user_id: str) -> dict[str, tuple[float, float]]:
        with self._conn() as c:
            return trust_sql.table(c, user_id)

    def trust_events(self, user_id: str, label: str) -> list[HistoryEvent]:
        with self._conn() as c:
            return trust_read.events(c, user_id, label)

    def fact(self, fact_id: str, user_id: str) -> Fact:
        with self._conn() as c:
            return trust_read.fact_by_id(c, fact_id, user_id)

    def judge_fact(self, fact_id: str, user_id: str, verdict: str, *, actor: str | None) -> Fact:
        self.fact(fact_id, user_id)
        policy = self.trust_policy or TrustPolicy()
        with self._write() as c:
            judge = confirm_fact if verdict == "confirm" else reject_fact
            judge(c, self._log, user_id, fact_id, policy, actor=actor, now=time.time())
        return self.fact(fact_id, user_id)

    def fact_standing(self, user_id: str, episode_ids: Sequence[str]) -> dict[str, list[Fact]]:
        with self._conn() as c:
            return trust_read.standing(c, user_id, episode_ids)

    def disputed_slots(self, user_id: str) -> dict[str, tuple[str, list[str], list[str]]]:
        with self._conn() as c:
            return trust_read.disputed(c, user_id)

    def relation_stats(self) -> list[dict[str, Any]]:
        rows = self._read(
            'SELECT text, alpha_prior, alpha, n_obs, n_changes FROM relations ORDER BY text COLLATE "C"'
        )
        keys = ("relation", "alpha_prior", "alpha", "observations", "changes")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- pins ------------------------------------------------------------------
    def add_pin(self, pin: Pin, *, actor: str | None) -> Pin:
        with self._write() as c:
            c.execute("INSERT INTO pins VALUES (?,?,?,?)",
                      (pin.id, pin.user_id, pin.text, pin.created_at))  # fmt: skip
            self._log(c, "PIN", pin.id, pin.user_id, actor, None, {"text": pin.text},
                      at=pin.created_at)  # fmt: skip
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
        rows = self._read('SELECT id, user_id, text, created_at FROM pins WHERE user_id = ?'
                          ' ORDER BY created_at, id COLLATE "C"', (user_id,))  # fmt: skip
        return [Pin(*r) for r in rows]

    # -- erasure -----------------------------------------------------------------
    def forget_user(self, user_id: str, *, actor: str | None) -> dict[str, Any]:
        """As SQLite's (docs/erasure.md), in short transactions: episodes with
        one payload-free tombstone per transaction, the user's graph, every event of theirs
        emptied, then ``VACUUM``."""
        n_ep = 0
        texts: list[str] = []
        while True:
            with self._write() as w:
                rows = w.execute(
                    "SELECT id, text FROM episodes WHERE user_id = ? ORDER BY occurred_at, seq LIMIT ?",
                    (user_id, _ERASE_CHUNK * 4)).fetchall()  # fmt: skip
                if rows:
                    ids = [r[0] for r in rows]
                    w.execute("DELETE FROM episodes WHERE id = ANY(?)", (ids,))
                    erase.log_erased(w, ids)
            texts.extend(r[1] for r in rows)
            n_ep += len(rows)
            if len(rows) < _ERASE_CHUNK * 4:
                break
        with self._write() as w:
            texts.extend(erase.user_pin_texts(w, user_id))
            graph = erase.drop_user_graph(w, user_id, self._refresh_alpha)
        n_ev = 0
        while True:
            with self._write() as w:
                k = erase.scrub_user_events(w, user_id, _ERASE_CHUNK * 4)
            n_ev += k
            if k < _ERASE_CHUNK * 4:
                break
        with self._write() as w:
            self._log(w, "FORGET", None, None, actor, None,
                      {"episodes": n_ep, "facts": graph["facts"]})  # fmt: skip
        compacted = self.compact()
        return {"episodes": n_ep, "facts": graph["facts"], "pins": graph["pins"],
                "relations_removed": graph["relations_removed"], "events_scrubbed": n_ev,
                "checkpointed": compacted["checkpointed"], "texts": texts}  # fmt: skip

    def residue(self, texts: Sequence[str]) -> list[str]:
        """Which of ``texts`` still occur in any live row of the schema (every
        text column of every table, streamed once with binary COPY, so the bytes
        compared are the stored ones). The server's files (dead row versions
        before a VACUUM reuses them, the WAL) are out of reach of a client: see
        docs/erasure.md."""
        from phasemem.store.bytescan import find_any

        if not texts:
            return []
        cols = self._read(
            "SELECT table_name, column_name FROM information_schema.columns WHERE"
            " table_schema = ? AND data_type IN ('text', 'jsonb', 'bytea')"
            " ORDER BY table_name, column_name",
            (self.schema,),
        )
        with tempfile.NamedTemporaryFile(prefix="phasemem-residue-") as tmp:
            with self._conn() as c:
                for table, col in cols:
                    with c.raw.cursor().copy(
                        f'COPY (SELECT "{col}" FROM "{table}") TO STDOUT (FORMAT binary)'
                    ) as cp:
                        for chunk in cp:
                            tmp.write(chunk)
            tmp.flush()
            found = find_any([tmp.name], [t.encode("utf-8") for t in texts])
        return [texts[i] for i in sorted(found)]

    # -- meta / health ---------------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        row = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0][0] if row else None

    def meta_set(self, key: str, value: str) -> None:
        with self._write() as c:
            c.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                      (key, value))  # fmt: skip

    def health(self) -> dict[str, Any]:
        with self._conn() as c:
            version = c.execute("SELECT version FROM schema_version").fetchone()[0]
            server = c.execute("SHOW server_version").fetchone()[0]
            size = c.execute(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN"
                " pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'",
                (self.schema,),
            ).fetchone()[0]
            # BM25's kept statistics against the rows (one snapshot): a row
            # without postings, or totals out of step, would skew every score
            with c.raw.transaction():
                n, tokens = c.execute("SELECT n, tokens FROM lex_totals").fetchone()
                rows, total, pending = c.execute(
                    "SELECT COUNT(*), COALESCE(SUM(dlen), 0), COUNT(*) FILTER (WHERE dlen IS NULL)"
                    " FROM episodes"
                ).fetchone()
            hnsw = self._hnsw_valid(c) if self.dense == "db" else None
        lexical = "ok" if (n, tokens, pending) == (rows, total, 0) else (
            f"BM25 statistics out of step: {n} rows / {tokens} tokens kept, {rows} / {total}"
            f" counted, {pending} rows without postings")  # fmt: skip
        return {
            "path": self.path,
            "backend": "postgresql",
            "schema": self.schema,
            "schema_version": version,
            "integrity": "ok",
            "fts_integrity": lexical,
            "episodes": int(rows),
            "events": self.head(),
            "bytes": int(size),
            "vector_type": self.vtype,
            # built by the first search of a scope over EXACT_SCOPE rows
            "hnsw_index": {True: "built", False: "building"}.get(hnsw, "not built")  # type: ignore[arg-type]
            if self.dense == "db"
            else "none (dense=mirror)",
            "postgres_version": server,
        }

    def close(self) -> None:
        self._closing.set()
        self._pool.close()
