"""The episode row is declared once (``phasemem.models.Episode``): the store's
columns, the dump's episode rows and the REST schema all follow it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from phasemem import Memory
from phasemem.models import EPISODE_API_NAMES, EPISODE_FIELDS, EPISODE_STORED_EXTRA


def test_store_dump_and_api_follow_the_one_declaration(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    with Memory(db, embedder="hash-test", extractor=None) as m:
        ep = m.get(m.add("hello there", user_id="u", metadata={"k": 1})[0].id)
        rows = list(m.export_iter())
    con = sqlite3.connect(db)
    columns = [r[1] for r in con.execute("PRAGMA table_info(episodes)")]
    con.close()
    assert set(EPISODE_FIELDS) | set(EPISODE_STORED_EXTRA) <= set(columns)
    (dumped,) = [r for r in rows if r["kind"] == "episode"]
    assert list(dumped) == ["kind", *EPISODE_FIELDS, *EPISODE_STORED_EXTRA]
    assert {k: dumped[k] for k in EPISODE_FIELDS} == ep.record()
    assert list(ep.to_dict()) == [EPISODE_API_NAMES.get(f, f) for f in EPISODE_FIELDS]


def test_the_rest_schema_is_derived_from_it() -> None:
    schemas = pytest.importorskip("phasemem.server.schemas")
    assert list(schemas.MemoryOut.model_fields) == [
        EPISODE_API_NAMES.get(f, f) for f in EPISODE_FIELDS
    ]
