"""Where the memory lives: paths, ``sqlite:///`` URLs, and URLs this build
cannot serve (refused before anything touches the file system)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasemem import InvalidInputError, Memory
from phasemem.errors import StoreError
from phasemem.memory import default_db_path
from phasemem.store import open_store, sqlite_path


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ("memory.db", "memory.db"),
        ("/abs/memory.db", "/abs/memory.db"),
        (":memory:", ":memory:"),
        ("C:/Users/maya/memory.db", "C:/Users/maya/memory.db"),  # a drive letter, not a scheme
        ("sqlite:///memory.db", "memory.db"),
        ("sqlite:////abs/memory.db", "/abs/memory.db"),
        ("SQLITE:///x.db", "x.db"),
        ("sqlite://", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
        (Path("dir/memory.db"), "dir/memory.db"),
    ],
)
def test_paths_and_sqlite_urls(given: str | Path, path: str) -> None:
    assert sqlite_path(given) == path


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://maya:s3cret@db.example:5432/mem", "is a PostgreSQL database"),
        ("postgres://db/mem", "not a SQLite file"),
        ("postgresql+psycopg://db/mem", "is a PostgreSQL database"),
        ("mysql://db/mem", "not supported"),
        ("https://example.com/memory.db", "not supported"),
        ("sqlite://host/memory.db", "sqlite:///relative/path.db"),
        ("sqlite:///memory.db?mode=ro", "options in a sqlite:// URL"),
    ],
)
def test_other_urls_are_refused_without_their_password(url: str, says: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        sqlite_path(url)
    assert says in exc.value.message and "s3cret" not in str(exc.value.to_dict())
    assert exc.value.context["field"] == "db"


def test_a_postgres_url_is_never_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL goes to the PostgreSQL backend (here: no server, so a StoreError
    without the password), never to a SQLite file in a folder named 'postgresql:'."""
    pytest.importorskip("psycopg")
    monkeypatch.chdir(tmp_path)
    url = "postgresql://maya:s3cret@127.0.0.1:1/db?connect_timeout=2"
    with pytest.raises(StoreError) as exc:
        Memory(url, embedder="hash-test", extractor=None)
    assert "s3cret" not in exc.value.message
    with pytest.raises(StoreError):
        open_store(url, embedder_name="hash-test-64", dim=64)
    assert list(tmp_path.iterdir()) == []


def test_memory_opens_a_sqlite_url(tmp_path: Path) -> None:
    target = tmp_path / "url.db"
    with Memory(f"sqlite:///{target}", embedder="hash-test", extractor=None) as m:
        m.add("hello", user_id="u")
        assert m.path == str(target)
    assert target.exists()


def test_env_var_url_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHASEMEM_DB", "postgresql://user@host/db")
    with pytest.raises(InvalidInputError):
        default_db_path()
    monkeypatch.setenv("PHASEMEM_DB", f"sqlite:///{tmp_path}/env.db")
    assert default_db_path() == tmp_path / "env.db"
