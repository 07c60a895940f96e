"""Versioned schema migrations for the SQLite store.

Each entry of ``MIGRATIONS`` moves the file one version up and runs in one
transaction together with the ``PRAGMA user_version`` bump, so a crash never
leaves a half-migrated file. A file from a newer phasemem is refused.
"""

from __future__ import annotations

from phasemem.provenance import EPISODE_COLUMNS, FACT_COLUMNS, TRUST_COLUMNS

#: FTS5 tokenizer of ``episodes_fts`` (v1 below spells it out; a test keeps them equal).
#: :mod:`phasemem.mirror.lexical` tokenizes with it to mirror FTS5 exactly.
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
#: ``bm25()`` column weights of ``episodes_fts``: text, speaker.
BM25_WEIGHTS = (1.0, 0.5)

MIGRATIONS: list[str] = [
    # v1: episodes, their FTS5 index (external content, kept in sync by triggers),
    # the append-only event log and key/value metadata.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE episodes (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL UNIQUE,
        user_id      TEXT NOT NULL,
        agent_id     TEXT,
        session_id   TEXT,
        role         TEXT,
        speaker      TEXT,
        text         TEXT NOT NULL,
        occurred_at  REAL NOT NULL,
        recorded_at  REAL NOT NULL,
        updated_at   REAL,
        source       TEXT,
        metadata     TEXT NOT NULL DEFAULT '{}',
        content_hash TEXT NOT NULL,
        vector       BLOB,
        vscale       REAL
    );
    CREATE UNIQUE INDEX episodes_dedupe
        ON episodes (user_id, IFNULL(agent_id, ''), IFNULL(session_id, ''), content_hash);
    CREATE INDEX episodes_scope_time ON episodes (user_id, occurred_at);
    CREATE INDEX episodes_session ON episodes (user_id, session_id, occurred_at);
    CREATE VIRTUAL TABLE episodes_fts USING fts5 (
        text, speaker,
        content = 'episodes', content_rowid = 'seq',
        tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER episodes_ai AFTER INSERT ON episodes BEGIN
        INSERT INTO episodes_fts (rowid, text, speaker) VALUES (new.seq, new.text, new.speaker);
    END;
    CREATE TRIGGER episodes_ad AFTER DELETE ON episodes BEGIN
        INSERT INTO episodes_fts (episodes_fts, rowid, text, speaker)
        VALUES ('delete', old.seq, old.text, old.speaker);
    END;
    CREATE TRIGGER episodes_au AFTER UPDATE OF text, speaker ON episodes BEGIN
        INSERT INTO episodes_fts (episodes_fts, rowid, text, speaker)
        VALUES ('delete', old.seq, old.text, old.speaker);
        INSERT INTO episodes_fts (rowid, text, speaker) VALUES (new.seq, new.text, new.speaker);
    END;
    CREATE TABLE events (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        op        TEXT NOT NULL,
        target_id TEXT,
        user_id   TEXT,
        at        REAL NOT NULL,
        actor     TEXT,
        before    TEXT,
        after     TEXT
    );
    CREATE INDEX events_target ON events (target_id);
    CREATE INDEX events_user ON events (user_id);
    """,
    # v2: pinned instructions, and the temporal knowledge graph (entities with
    # aliases, relations with their learned volatility alpha, bi-temporal facts
    # with provenance links to the episodes they came from).
    """
    CREATE TABLE pins (
        id         TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL,
        text       TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX pins_user ON pins (user_id, created_at);
    CREATE TABLE entities (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id    TEXT NOT NULL,
        name       TEXT NOT NULL,
        norm       TEXT NOT NULL,
        type       TEXT,
        created_at REAL NOT NULL,
        UNIQUE (user_id, norm)
    );
    CREATE TABLE entity_aliases (
        user_id   TEXT NOT NULL,
        alias     TEXT NOT NULL,
        entity_id INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, alias)
    );
    CREATE TABLE relations (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        text        TEXT NOT NULL UNIQUE,
        alpha_prior REAL NOT NULL,
        alpha       REAL NOT NULL,
        n_obs       INTEGER NOT NULL DEFAULT 0,
        n_changes   INTEGER NOT NULL DEFAULT 0,
        obs_days    REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE facts (
        id           TEXT PRIMARY KEY,
        user_id      TEXT NOT NULL,
        subject_id   INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        relation_id  INTEGER NOT NULL REFERENCES relations (id),
        object_id    INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
        valid_at     REAL NOT NULL,
        invalid_at   REAL,
        recorded_at  REAL NOT NULL,
        expired_at   REAL,
        superseded_by TEXT,
        confidence   REAL NOT NULL DEFAULT 1.0,
        vector       BLOB,
        vscale       REAL
    );
    CREATE INDEX facts_slot ON facts (user_id, subject_id, relation_id, valid_at);
    CREATE INDEX facts_object ON facts (user_id, object_id);
    CREATE TABLE relation_observations (
        relation_id INTEGER NOT NULL REFERENCES relations (id) ON DELETE CASCADE,
        delta_days  REAL NOT NULL,
        changed     INTEGER NOT NULL
    );
    CREATE INDEX relation_observations_rel ON relation_observations (relation_id);
    CREATE TABLE fact_episodes (
        fact_id    TEXT NOT NULL REFERENCES facts (id) ON DELETE CASCADE,
        episode_id TEXT NOT NULL,
        PRIMARY KEY (fact_id, episode_id)
    );
    CREATE INDEX fact_episodes_episode ON fact_episodes (episode_id);
    """,
    # v3: how many time expressions an episode contains ("last Tuesday",
    # "in 2019"): answers to "when" questions sit in such turns.
    """
    ALTER TABLE episodes ADD COLUMN time_mentions INTEGER NOT NULL DEFAULT 0;
    """,
    # v4: erasure and export by user. Indexes for the foreign keys that deleting
    # an entity, a fact or a relation checks (without them each deleted entity
    # scanned every fact: forget of 4,000 memories in a 10K store took 49 s),
    # and the user an observation of a relation's speed came from, so a user's
    # observations leave with the user and travel with their export (with a
    # key, so importing the same dump twice does not count them twice).
    """
    CREATE INDEX facts_subject ON facts (subject_id);
    CREATE INDEX facts_object_fk ON facts (object_id);
    CREATE INDEX facts_relation ON facts (relation_id);
    CREATE INDEX facts_user ON facts (user_id);
    CREATE INDEX entity_aliases_entity ON entity_aliases (entity_id);
    CREATE INDEX pins_id_user ON pins (user_id, id);
    ALTER TABLE relation_observations ADD COLUMN user_id TEXT;
    ALTER TABLE relation_observations ADD COLUMN key TEXT;
    UPDATE relation_observations SET key = lower(hex(randomblob(16)));
    CREATE UNIQUE INDEX relation_observations_key ON relation_observations (key);
    CREATE INDEX relation_observations_user ON relation_observations (user_id);
    """,
    # v5: trust and provenance (issue 15; the columns are listed once, in
    # phasemem.provenance). Episodes get their source's kind and name, the
    # actor and the injection finding; facts the source that asserted them and
    # their standing (current / contested / rejected); one Beta posterior per
    # user and source. Existing rows are the user's own channel and current.
    "\n".join(
        [f"ALTER TABLE episodes ADD COLUMN {n} {t};" for n, t in EPISODE_COLUMNS]
        + [f"ALTER TABLE facts ADD COLUMN {n} {t};" for n, t in FACT_COLUMNS]
        + [
            "CREATE TABLE source_trust ("
            + ", ".join(f"{n} {t}" for n, t in TRUST_COLUMNS)
            + ", PRIMARY KEY (user_id, source));",
            "CREATE INDEX facts_status ON facts (user_id, status);",
        ]
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)
