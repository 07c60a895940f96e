from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from phasemem.cli import cli


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = str(tmp_path / "cli.db")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(
            cli, ["--db", db, "--embedder", "hash-test", *args], input=input, catch_exceptions=False
        )

    return invoke


def test_add_search_get_list_history_delete(run) -> None:  # type: ignore[no-untyped-def]
    r = run(
        "add",
        "--user",
        "u",
        "--speaker",
        "Ann",
        "--role",
        "user",
        "--at",
        "2023-05-08",
        "I love hiking in Sintra",
        "--json",
    )
    assert r.exit_code == 0, r.output
    rid = json.loads(r.output)["results"][0]["id"]
    r = run("search", "--user", "u", "hiking", "--json")
    hits = json.loads(r.output)["results"]
    assert (
        hits[0]["id"] == rid
        and hits[0]["occurred_at"].startswith("2023-05-08")
        and hits[0]["speaker"] == "Ann"
    )
    assert "hiking" in run("search", "--user", "u", "hiking").output
    assert json.loads(run("get", rid, "--json").output)["memory"] == "I love hiking in Sintra"
    assert json.loads(run("list", "--user", "u", "--json").output)["results"][0]["id"] == rid
    assert run("delete", rid).exit_code == 0
    hist = json.loads(run("history", rid, "--json").output)["results"]
    assert [h["event"] for h in hist] == ["ADD", "DELETE"]


def test_errors_are_one_clean_line(run) -> None:  # type: ignore[no-untyped-def]
    r = CliRunner().invoke(cli, ["--embedder", "hash-test", "--db", ":memory:", "get", "nope"])
    assert r.exit_code == 2 and "not_found" in r.output
    r = run("add", "--user", "u", "   ")
    assert r.exit_code == 2 and "invalid_input" in r.output


def test_stdin_export_import_doctor(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("add", "--user", "u", "-", input="from stdin").exit_code == 0
    out = tmp_path / "dump.jsonl"
    assert run("export", str(out)).exit_code == 0
    other = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "o.db"), "--embedder", "hash-test", "import", str(out)]
    )
    assert other.exit_code == 0 and "imported 1" in other.output
    doc = json.loads(run("doctor", "--json").output)
    assert (
        doc["status"] == "ok" and doc["episodes"] == 1 and doc["embedder"]["name"] == "hash-test-64"
    )


def test_db_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHASEMEM_DB", str(tmp_path / "env.db"))
    r = CliRunner().invoke(cli, ["--embedder", "hash-test", "add", "--user", "u", "hello"])
    assert r.exit_code == 0 and (tmp_path / "env.db").exists()


def test_demo_runs(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["--embedder", "hash-test", "demo"])
    assert r.exit_code == 0, r.output
    assert "Stored 18 turns" in r.output and "allergic" in r.output
