"""Versioned schema migrations for the PostgreSQL store.

Why it mirrors :mod:`phasemem.store.schema`: the fact, dump and erasure SQL is
shared with SQLite (:mod:`phasemem.store.pg_dialect` renders it), so the tables
and columns are the same. Where SQLite has an implicit ``rowid`` that the
shared SQL orders by (aliases, observations, fact links, facts), the table here
has an explicit ``rowid`` column, last, so ``INSERT ... VALUES`` without a
column list still fills the leading columns.

The episode columns are declared once, from :data:`phasemem.models.EPISODE_FIELDS`
and :data:`EPISODE_COLUMN_TYPES`: a new field on ``Episode`` without a type here
fails the import of this module, not a query at run time.

Each migration runs in one transaction with the bump of ``schema_version``,
under an advisory lock, so concurrent processes opening the same schema do not
race. ``{dim}`` and ``{vtype}`` are filled in when the store is created.
"""

from __future__ import annotations

from phasemem.models import EPISODE_FIELDS, EPISODE_STORED_EXTRA
from phasemem.provenance import EPISODE_COLUMNS, FACT_COLUMNS, TRUST_COLUMNS

#: episode column -> PostgreSQL type (the one place to extend when Episode grows)
EPISODE_COLUMN_TYPES: dict[str, str] = {
    "id": "TEXT NOT NULL UNIQUE",
    "text": "TEXT NOT NULL",
    "user_id": "TEXT NOT NULL",
    "agent_id": "TEXT",
    "session_id": "TEXT",
    "role": "TEXT",
    "speaker": "TEXT",
    "occurred_at": "DOUBLE PRECISION NOT NULL",
    "recorded_at": "DOUBLE PRECISION NOT NULL",
    "updated_at": "DOUBLE PRECISION",
    "source": "TEXT",
    "metadata": "JSONB NOT NULL DEFAULT '{{}}'",
    "content_hash": "TEXT NOT NULL",
    "vector": "BYTEA",
    "vscale": "DOUBLE PRECISION",
    "time_mentions": "INTEGER NOT NULL DEFAULT 0",
    **dict(
        EPISODE_COLUMNS
    ),  # provenance (phasemem.provenance): source kind, name, actor, quarantine
}
_missing = set(EPISODE_FIELDS + EPISODE_STORED_EXTRA) - set(EPISODE_COLUMN_TYPES)
if _missing:  # pragma: no cover - a development error, caught by any test import
    raise RuntimeError(f"pg_schema: no PostgreSQL type for episode fields {sorted(_missing)}")

_EPISODE_DDL = ",\n        ".join(
    f"{name} {EPISODE_COLUMN_TYPES[name]}" for name in (*EPISODE_FIELDS, *EPISODE_STORED_EXTRA)
)

MIGRATIONS: list[str] = [
    # v1: everything SQLite has after its v4, plus a full-text GIN index and
    # the write version other processes poll.
    f"""
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE write_version (
        one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
        v   BIGINT NOT NULL
    );
    INSERT INTO write_version VALUES (TRUE, 0);
    CREATE TABLE episodes (
        seq BIGSERIAL PRIMARY KEY,
        {_EPISODE_DDL}
    );
    CREATE UNIQUE INDEX episodes_dedupe
        ON episodes (user_id, COALESCE(agent_id, ''), COALESCE(session_id, ''), content_hash);
    CREATE INDEX episodes_scope_time ON episodes (user_id, occurred_at);
    CREATE INDEX episodes_session ON episodes (user_id, session_id, occurred_at);
    CREATE INDEX episodes_fts ON episodes USING gin (
        to_tsvector('english', text || ' ' || COALESCE(speaker, '')));
    CREATE TABLE events (
        id        BIGSERIAL PRIMARY KEY,
        op        TEXT NOT NULL,
        target_id TEXT,
        user_id   TEXT,
        at        DOUBLE PRECISION NOT NULL,
        actor     TEXT,
        before    TEXT,
        after     TEXT
    );
    CREATE INDEX events_target ON events (target_id);
    CREATE INDEX events_user ON events (user_id);
    CREATE TABLE pins (
        id         TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL,
        text       TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX pins_user ON pins (user_id, created_at);
    CREATE TABLE entities (
        id         BIGSERIAL PRIMARY KEY,
        user_id    TEXT NOT NULL,
        name       TEXT NOT NULL,
        norm       TEXT NOT NULL,
        type       TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        UNIQUE (user_id, norm)
    );
    CREATE TABLE entity_aliases (
        user_id   TEXT NOT NULL,
        alias     TEXT NOT NULL,
        entity_id BIGINT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        rowid     BIGSERIAL,
        PRIMARY KEY (user_id, alias)
    );
    CREATE INDEX entity_aliases_entity ON entity_aliases (entity_id);
    CREATE TABLE relations (
        id          BIGSERIAL PRIMARY KEY,
        text        TEXT NOT NULL UNIQUE,
        alpha_prior DOUBLE PRECISION NOT NULL,
        alpha       DOUBLE PRECISION NOT NULL,
        n_obs       INTEGER NOT NULL DEFAULT 0,
        n_changes   INTEGER NOT NULL DEFAULT 0,
        obs_days    DOUBLE PRECISION NOT NULL DEFAULT 0
    );
    CREATE TABLE facts (
        id            TEXT PRIMARY KEY,
        user_id       TEXT NOT NULL,
        subject_id    BIGINT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        relation_id   BIGINT NOT NULL REFERENCES relations (id),
        object_id     BIGINT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        valid_at      DOUBLE PRECISION NOT NULL,
        invalid_at    DOUBLE PRECISION,
        recorded_at   DOUBLE PRECISION NOT NULL,
        expired_at    DOUBLE PRECISION,
        superseded_by TEXT,
        confidence    DOUBLE PRECISION NOT NULL DEFAULT 1.0,
        vector        BYTEA,
        vscale        DOUBLE PRECISION,
        rowid         BIGSERIAL UNIQUE
    );
    CREATE INDEX facts_slot ON facts (user_id, subject_id, relation_id, valid_at);
    CREATE INDEX facts_object ON facts (user_id, object_id);
    CREATE INDEX facts_subject ON facts (subject_id);
    CREATE INDEX facts_object_fk ON facts (object_id);
    CREATE INDEX facts_relation ON facts (relation_id);
    CREATE INDEX facts_superseded ON facts (superseded_by);
    CREATE TABLE relation_observations (
        relation_id BIGINT NOT NULL REFERENCES relations (id) ON DELETE CASCADE,
        delta_days  DOUBLE PRECISION NOT NULL,
        changed     INTEGER NOT NULL,
        user_id     TEXT,
        key         TEXT UNIQUE,
        rowid       BIGSERIAL PRIMARY KEY
    );
    CREATE INDEX relation_observations_rel ON relation_observations (relation_id);
    CREATE INDEX relation_observations_user ON relation_observations (user_id);
    CREATE TABLE fact_episodes (
        fact_id    TEXT NOT NULL REFERENCES facts (id) ON DELETE CASCADE,
        episode_id TEXT NOT NULL,
        rowid      BIGSERIAL UNIQUE,
        PRIMARY KEY (fact_id, episode_id)
    );
    CREATE INDEX fact_episodes_episode ON fact_episodes (episode_id);
    """,
    # v2: trust and provenance, as SQLite's v5 (columns listed once, in
    # phasemem.provenance). A v1 schema made before Episode grew these fields
    # gets them here; a new one already has them (IF NOT EXISTS).
    "\n".join(
        [f"ALTER TABLE episodes ADD COLUMN IF NOT EXISTS {n} {t};" for n, t in EPISODE_COLUMNS]
        + [f"ALTER TABLE facts ADD COLUMN IF NOT EXISTS {n} {t};" for n, t in FACT_COLUMNS]
        + [
            "CREATE TABLE source_trust ("
            + ", ".join(f"{n} {t.replace('REAL', 'DOUBLE PRECISION')}" for n, t in TRUST_COLUMNS)
            + ", PRIMARY KEY (user_id, source));",
            "CREATE INDEX facts_status ON facts (user_id, status);",
        ]
    ),
    # v3: the project's BM25 from the database's statistics, in place of
    # PostgreSQL's text search (whose 'english' stop words, stemming and
    # ts_rank_cd ranked LoCoMo 0.06 R@10 below FTS5). FTS5's tokens of each
    # episode (text weight 1.0, speaker 0.5) are postings; term document
    # frequencies, the row count and the token total are kept in step by
    # statement triggers. Postings carry the user, so a search reads only its
    # terms' rows of its own user (the index's prefix), never every user's.
    """
    DROP INDEX episodes_fts;
    ALTER TABLE episodes ADD COLUMN dlen INTEGER;
    CREATE INDEX episodes_untokenized ON episodes (seq) WHERE dlen IS NULL;
    CREATE TABLE postings (
        term    TEXT NOT NULL,
        user_id TEXT NOT NULL,
        seq     BIGINT NOT NULL REFERENCES episodes (seq) ON DELETE CASCADE,
        wtf     REAL NOT NULL,
        PRIMARY KEY (term, user_id, seq)
    );
    CREATE INDEX postings_seq ON postings (seq);
    CREATE TABLE term_df (
        term TEXT PRIMARY KEY,
        df   BIGINT NOT NULL
    );
    CREATE TABLE lex_totals (
        one    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
        n      BIGINT NOT NULL,
        tokens BIGINT NOT NULL
    );
    INSERT INTO lex_totals VALUES (TRUE, (SELECT COUNT(*) FROM episodes), 0);
    CREATE FUNCTION pm_df_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO term_df SELECT term, COUNT(*) FROM new_rows GROUP BY term
            ON CONFLICT (term) DO UPDATE SET df = term_df.df + excluded.df;
        RETURN NULL;
    END $$;
    CREATE FUNCTION pm_df_drop() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE term_df t SET df = t.df - d.n
            FROM (SELECT term, COUNT(*) AS n FROM old_rows GROUP BY term) d WHERE t.term = d.term;
        -- a term no live row holds leaves (an erased user's words go with them)
        DELETE FROM term_df t USING (SELECT DISTINCT term FROM old_rows) d
            WHERE t.term = d.term AND t.df <= 0;
        RETURN NULL;
    END $$;
    CREATE TRIGGER postings_df_add AFTER INSERT ON postings
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pm_df_add();
    CREATE TRIGGER postings_df_drop AFTER DELETE ON postings
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pm_df_drop();
    CREATE FUNCTION pm_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE lex_totals SET n = n + (SELECT COUNT(*) FROM new_rows),
            tokens = tokens + (SELECT COALESCE(SUM(dlen), 0) FROM new_rows);
        RETURN NULL;
    END $$;
    CREATE FUNCTION pm_totals_drop() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE lex_totals SET n = n - (SELECT COUNT(*) FROM old_rows),
            tokens = tokens - (SELECT COALESCE(SUM(dlen), 0) FROM old_rows);
        RETURN NULL;
    END $$;
    CREATE FUNCTION pm_totals_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE lex_totals SET tokens = tokens + (SELECT COALESCE(SUM(dlen), 0) FROM new_rows)
            - (SELECT COALESCE(SUM(dlen), 0) FROM old_rows);
        RETURN NULL;
    END $$;
    CREATE TRIGGER episodes_totals_add AFTER INSERT ON episodes
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pm_totals_add();
    CREATE TRIGGER episodes_totals_drop AFTER DELETE ON episodes
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION pm_totals_drop();
    CREATE TRIGGER episodes_totals_change AFTER UPDATE ON episodes
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION pm_totals_change();
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

#: Dense search in the database (``dense=db``, the default): ``emb`` holds the
#: int8 code times its scale, set by a trigger whoever writes the row (an
#: import, an update). The HNSW index on it
#: (:data:`HNSW_DDL`) is built later, by the first search whose scope is too
#: big to score exactly (docs/deploy.md, "Dense search"). Applied once, by
#: the first store opened with ``dense=db``; ``dense=mirror`` leaves it out
#: (pgvector built for another CPU dies on SIGILL: docs/deploy.md).
DENSE_DDL = """
    ALTER TABLE episodes ADD COLUMN emb {vtype}({dim});
    CREATE FUNCTION pm_emb(code BYTEA, scale DOUBLE PRECISION) RETURNS {vtype}
        LANGUAGE sql IMMUTABLE STRICT AS $$
        SELECT array_agg(
            (CASE WHEN get_byte(code, i) > 127 THEN get_byte(code, i) - 256
                  ELSE get_byte(code, i) END) * scale ORDER BY i)::real[]::{vtype}
        FROM generate_series(0, length(code) - 1) AS i
    $$;
    CREATE FUNCTION pm_episode_emb() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.vector IS NULL THEN
            NEW.emb := NULL;
        ELSIF NEW.emb IS NULL OR (TG_OP = 'UPDATE' AND NEW.vector IS DISTINCT FROM OLD.vector
                                  AND NEW.emb IS NOT DISTINCT FROM OLD.emb) THEN
            NEW.emb := pm_emb(NEW.vector, NEW.vscale);
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER episodes_emb BEFORE INSERT OR UPDATE OF vector, vscale ON episodes
        FOR EACH ROW EXECUTE FUNCTION pm_episode_emb();
    UPDATE episodes SET emb = pm_emb(vector, vscale) WHERE vector IS NOT NULL;
"""

#: the HNSW index of ``emb``, built without blocking writers
HNSW_DDL = "CREATE INDEX CONCURRENTLY IF NOT EXISTS episodes_emb ON episodes USING hnsw (emb {vtype}_ip_ops)"

#: vector column types the store can be created with (chosen by measurement:
#: docs/benchmarks.md, "PostgreSQL")
VECTOR_TYPES = ("halfvec", "vector")
