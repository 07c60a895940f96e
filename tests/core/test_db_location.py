"""Where the memory lives: paths, ``sqlite:///`` URLs, and URLs this build
cannot serve (refused before anything touches the file system)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasemem import InvalidInputError, Memory
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
        ("postgresql://maya:s3cret@db.example:5432/mem", "not supported by this build"),
        ("postgres://db/mem", "PostgreSQL support is planned"),
        ("postgresql+psycopg://db/mem", "not supported by this build"),
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


def test_memory_refuses_a_postgres_url_before_touching_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInputError, match="not supported by this build"):
        Memory("postgresql://user@host/db", embedder="hash-test", extractor=None)
    with pytest.raises(InvalidInputError):
        open_store("postgresql://user@host/db", embedder_name="hash-test-64", dim=64)
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
