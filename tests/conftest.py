"""Shared fixtures: a fast in-memory Memory with the test-only hash embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasemem import Memory

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def mem() -> Memory:
    m = Memory(":memory:", embedder="hash-test", extractor=None)
    yield m
    m.close()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "mem.db")
