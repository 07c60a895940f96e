"""Shared fixtures: a fast in-memory Memory with the test-only hash embedder; a
private model cache for the whole run."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from phasemem import Memory

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


# The rewritten MiniLM model is cached in a directory of this run, never in the real
# home (subprocesses inherit the variable). Set on import, not in a fixture: the
# first conftests are imported before any fixture runs, and tests/server/conftest.py
# embeds at import. One per run: the first embedder builds it, the rest load it.
MODEL_CACHE = tempfile.mkdtemp(prefix="phasemem-tests-model-cache-")
os.environ["PHASEMEM_CACHE_DIR"] = MODEL_CACHE
atexit.register(shutil.rmtree, MODEL_CACHE, ignore_errors=True)


@pytest.fixture
def mem() -> Memory:
    m = Memory(":memory:", embedder="hash-test", extractor=None)
    yield m
    m.close()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "mem.db")
