"""Fixtures of the Store contract: one parameter per registered backend
(:mod:`tests.store.backends`), skipped with its reason where it cannot run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from phasemem.store import Store
from tests.store.backends import BACKENDS, Backend, require


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    return require(str(request.param))


@pytest.fixture
def store(backend: Backend, tmp_path: Path) -> Iterator[Store]:
    s = backend.open(tmp_path)
    yield s
    s.close()
