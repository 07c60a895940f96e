"""Shared fixtures: a fast in-memory Memory with the test-only hash embedder; a
private model cache for the whole run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from phasemem import Memory

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The rewritten MiniLM model is cached here, never in the real home (subprocesses
    inherit the variable). One per run: the first embedder builds it, the rest load it."""
    path = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PHASEMEM_CACHE_DIR", str(path))
        yield path


@pytest.fixture
def mem() -> Memory:
    m = Memory(":memory:", embedder="hash-test", extractor=None)
    yield m
    m.close()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "mem.db")
