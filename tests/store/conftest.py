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


#: contract tests of FTS5's word handling that PostgreSQL's 'english' text search
#: does not match yet (stop words such as AND/OR/NOT drop out, accents are not
#: folded, the speaker column): known gaps of the PostgreSQL backend
_PG_FTS_GAPS = ("test_search_finds_the_speaker_too", "test_query_words_are_plain_words_never_syntax",
                "test_search_folds_case_accents_and_word_forms")  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "[postgres" in item.nodeid and item.nodeid.split("::")[-1].split("[")[0] in _PG_FTS_GAPS:
            item.add_marker(pytest.mark.xfail(reason="PostgreSQL FTS differs from FTS5 here",
                                              strict=False))  # fmt: skip
