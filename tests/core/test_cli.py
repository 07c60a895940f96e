from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import click
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


# -- the commands REST and MCP had and the CLI lacked (issue item 13) ---------------------------
MAYA = [
    ("2024-03-02", "I just moved to Lisbon for a job at Tidewater."),
    ("2025-01-20", "We moved to Porto last month."),
]


def _maya(run) -> list[str]:  # type: ignore[no-untyped-def]
    ids = []
    for at, text in MAYA:
        r = run("add", "--user", "maya", "--speaker", "Maya", "--role", "user", "--at", at, text,
                "--json")  # fmt: skip
        assert r.exit_code == 0, r.output
        ids.append(json.loads(r.output)["results"][0]["id"])
    return ids


def test_search_as_of_ranks_facts_at_that_date(run) -> None:  # type: ignore[no-untyped-def]
    _maya(run)
    then = run(
        "search", "--user", "maya", "--as-of", "2024-06-01", "where does Maya live", "--json"
    )
    assert then.exit_code == 0, then.output
    assert json.loads(then.output)["facts"][0]["object"] == "Lisbon"
    now = json.loads(run("search", "--user", "maya", "where does Maya live", "--json").output)
    assert now["facts"][0]["object"] == "Porto"
    text = run("search", "--user", "maya", "--as-of", "2024-06-01", "where does Maya live").output
    assert "as of 2024-06-01" in text and "Lisbon" in text


def test_context_command(run) -> None:  # type: ignore[no-untyped-def]
    _maya(run)
    r = run("context", "Where does Maya live?", "--user", "maya", "--budget", "200", "--json")
    assert r.exit_code == 0, r.output
    ctx = json.loads(r.output)
    assert ctx["tokens"] <= 200 and ctx["budget_tokens"] == 200 and "Porto" in ctx["text"]
    then = run("context", "Where does Maya live?", "--user", "maya", "--as-of", "2024-06-01")
    assert then.exit_code == 0 and "Maya live in Lisbon" in then.output


def test_pin_add_list_remove(run) -> None:  # type: ignore[no-untyped-def]
    r = run("pin", "add", "Answer in one sentence.", "--user", "maya", "--json")
    assert r.exit_code == 0, r.output
    pid = json.loads(r.output)["id"]
    assert "Answer in one sentence." in run("pin", "list", "--user", "maya").output
    listed = json.loads(run("pin", "list", "--user", "maya", "--json").output)["results"]
    assert [p["id"] for p in listed] == [pid]
    ctx = run("context", "anything", "--user", "maya").output
    assert "Answer in one sentence." in ctx
    r = run("pin", "remove", pid[:8], "--user", "maya")
    assert r.exit_code == 0 and f"unpinned {pid}" in r.output
    assert json.loads(run("pin", "list", "--user", "maya", "--json").output)["results"] == []
    assert run("pin", "remove", pid, "--user", "maya").exit_code == 2  # gone: not_found


def test_update_by_prefix_and_history(run) -> None:  # type: ignore[no-untyped-def]
    rid = _maya(run)[0]
    r = run("update", rid[:8], "I moved to Lisbon in March.", "--user", "maya", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["memory"] == "I moved to Lisbon in March."
    assert f"UPDATE {rid}" in run("update", rid[:8], "I moved to Lisbon.").output
    hist = json.loads(run("history", rid[:8], "--json").output)["results"]
    assert [h["event"] for h in hist] == ["ADD", "UPDATE", "UPDATE"]
    assert json.loads(run("get", rid[:8], "--json").output)["id"] == rid


def test_forget_asks_then_erases_and_reports(run) -> None:  # type: ignore[no-untyped-def]
    _maya(run)
    r = run("forget", "--user", "maya", input="n\n")
    assert r.exit_code == 1 and "Aborted" in r.output  # nothing erased
    assert len(json.loads(run("list", "--user", "maya", "--json").output)["results"]) == 2
    r = run("forget", "--user", "maya", "--yes", "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["verified"] is True and report["episodes"] == 2 and report["user_id"] == "maya"
    assert json.loads(run("list", "--user", "maya", "--json").output)["results"] == []
    r = run("forget", "--user", "maya", "--yes")
    assert r.exit_code == 0 and "verified: True" in r.output


def _leaves(cmd: click.Command, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from _leaves(cmd.get_command(ctx, name), (*path, name))  # type: ignore[arg-type]
    else:
        yield path, cmd


def test_every_command_has_json() -> None:
    """Long-running servers print no result, and the TKG research commands always
    print or write JSON (``tkg train``/``eval`` print it, ``compare`` writes
    results.json); every other command can answer in JSON."""
    exempt = {("serve",), ("mcp",), ("tkg", "train"), ("tkg", "eval"), ("tkg", "compare")}
    missing = [
        " ".join(path)
        for path, cmd in _leaves(cli)
        if path not in exempt and not any("--json" in p.opts for p in cmd.params)
    ]
    assert missing == []


# -- the README's command block runs as written -------------------------------------------------
README = Path(__file__).resolve().parents[2] / "README.md"
#: Commands of the README block that run servers or long benchmarks: not run here.
LONG_RUNNING = {"bench", "serve", "mcp", "tkg"}


def _readme_commands() -> list[list[str]]:
    text = README.read_text("utf-8")
    block = text.split("## Command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    out = []
    for line in block.strip().splitlines():
        line = re.split(r"\s{2,}#", line, maxsplit=1)[0].strip()
        for part in line.split(" && "):
            out.append(shlex.split(part))
    return out


def test_readme_command_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _readme_commands()
    assert len(commands) >= 15 and all(c[0] == "phasemem" for c in commands)
    names = [
        next(a for a in c[1:] if not a.startswith("-") and not a.endswith(".db")) for c in commands
    ]
    assert {"add", "search", "context", "pin", "update", "forget", "facts", "timeline"} <= set(
        names
    )
    monkeypatch.chdir(tmp_path)  # memory.db, other.db and dump.jsonl are made here
    monkeypatch.setenv("PHASEMEM_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("PHASEMEM_SERVER_DIR", str(tmp_path / "server"))
    runner = CliRunner()
    last_id = None
    ran = []
    for argv, name in zip(commands, names, strict=True):
        if name in LONG_RUNNING:
            continue
        args = [last_id[:8] if a == "ID" and last_id else a for a in argv[1:]]
        r = runner.invoke(
            cli, ["--embedder", "hash-test", *args, *(["--json"] if name == "add" else [])]
        )
        assert r.exit_code == 0, f"{' '.join(argv)}\n{r.output}"
        if name == "add":
            last_id = json.loads(r.output)["results"][0]["id"]
        ran.append(name)
    assert "history" in ran and "forget" in ran and last_id is not None


# -- a missing extra names itself (item 14) -------------------------------------------------------
def test_missing_server_extra_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """rich read '[server]' in the install hint as a style tag and printed
    "pip install 'phasemem'"; the message must reach the user as written."""
    for name in [m for m in sys.modules if m == "fastapi" or m.startswith("fastapi.")] or [
        "fastapi"
    ]:
        monkeypatch.setitem(sys.modules, name, None)  # import fastapi -> ImportError
    r = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2
    assert "needs the optional extra [server]: pip install 'phasemem[server]'" in r.output


def test_missing_mcp_extra_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import phasemem.mcp_server as pkg

    for name in [m for m in sys.modules if m == "mcp" or m.startswith("mcp.")] or ["mcp"]:
        monkeypatch.setitem(sys.modules, name, None)  # a loaded submodule would still import
    monkeypatch.delitem(sys.modules, "phasemem.mcp_server.server", raising=False)
    monkeypatch.delattr(pkg, "server", raising=False)  # imported by an earlier test
    r = CliRunner().invoke(cli, ["--embedder", "hash-test", "mcp", "--db", str(tmp_path / "m.db")])
    assert r.exit_code == 2
    assert "pip install 'phasemem[mcp]'" in r.output


def test_user_text_is_not_read_as_markup(run) -> None:  # type: ignore[no-untyped-def]
    rid = json.loads(run("add", "--user", "u", "note [bold]x[/bold] and [server]", "--json").output)
    assert "note [bold]x[/bold] and [server]" in run("list", "--user", "u").output
    assert "[server]" in run("get", rid["results"][0]["id"]).output


# -- tables wrap instead of truncating; facts get their scores (item 19) ------------------------------
def _tidewater(run) -> None:  # type: ignore[no-untyped-def]
    long = ("I just moved to Lisbon for a job at a small robotics startup called Tidewater, "
            "where I build underwater inspection drones for harbour authorities.")  # fmt: skip
    assert (
        run("add", "--user", "maya", "--speaker", "Maya", "--at", "2024-03-02", long).exit_code == 0
    )


@pytest.mark.parametrize("columns", ["80", "40"])
def test_tables_fold_instead_of_truncating(
    run, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:  # type: ignore[no-untyped-def]
    _tidewater(run)
    _maya(run)  # facts, so search prints its ranked facts table (the widest) too
    monkeypatch.setenv("COLUMNS", columns)
    for args in (("list", "--user", "maya"), ("search", "--user", "maya", "Tidewater job"),
                 ("facts", "--user", "maya"), ("timeline", "Maya", "--user", "maya")):  # fmt: skip
        out = run(*args).output
        assert "…" not in out, out
        assert max(len(line) for line in out.splitlines()) <= int(columns)
        if args[0] != "list":  # the facts table's right edge is there
            assert "alpha" in out or "alph" in out, out
    if columns == "80":  # the widths the issue saw: dates and names come out whole
        out = run("list", "--user", "maya").output
        assert "2024-03-02" in out and "Tidewater," in out and "Maya" in out
        out = run("search", "--user", "maya", "where does Maya live").output
        lisbon = next(
            line for line in out.splitlines() if line.startswith("Maya") and "Lisbon" in line
        )
        assert re.search(r"2024-03-02 +2024-12-01 +\d{4}-\d\d-\d\d +0\.\d\d +\d\.\d{3}$", lisbon), (
            lisbon
        )


def test_piped_tables_are_not_cut_to_80_columns(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("COLUMNS", raising=False)
    _tidewater(run)
    text = "I build underwater inspection drones for the harbour authorities of Lisbon and Porto."
    assert run("add", "--user", "maya", text).exit_code == 0
    out = run("list", "--user", "maya").output  # CliRunner's stdout is not a terminal
    assert text in out and max(len(line) for line in out.splitlines()) > 80


def test_search_shows_ranked_facts_with_scores(run) -> None:  # type: ignore[no-untyped-def]
    _maya(run)
    out = run("search", "--user", "maya", "where does Maya live").output
    facts_part = out.split("facts", 1)[1]
    porto = next(line for line in facts_part.splitlines() if "Porto" in line)
    assert re.search(r"\d\.\d\d +\d\.\d{3}\s*$", porto), porto  # alpha, then the score
    listed = run("facts", "--user", "maya").output  # plain facts: no empty score column
    assert "score" not in listed and "Porto" in listed


# -- a database URL this build does not serve (item 20) -------------------------------------------
@pytest.mark.parametrize("url", ["postgresql://maya:s3cret@127.0.0.1:1/mem?connect_timeout=2",
                                 "postgres://127.0.0.1:1/db?connect_timeout=2", "mysql://h/db"])  # fmt: skip
def test_database_urls_are_refused_not_made_into_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(
        cli, ["--db", url, "--embedder", "hash-test", "add", "--user", "u", "hi"]
    )
    assert r.exit_code != 0 and "s3cret" not in r.output
    if not url.startswith("postgres"):  # a PostgreSQL URL is tried (no server here)
        assert r.exit_code == 2 and "invalid_input" in r.output and "not supported" in r.output
    assert list(tmp_path.iterdir()) == []  # no 'postgresql:' folder, no file
    monkeypatch.setenv("PHASEMEM_DB", url)
    r = CliRunner().invoke(cli, ["--embedder", "hash-test", "list", "--user", "u"])
    assert r.exit_code != 0 and "s3cret" not in r.output
    assert list(tmp_path.iterdir()) == []


def test_sqlite_url_is_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["--db", "sqlite:///rel.db", "--embedder", "hash-test", "add", "--user", "u", "hi"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert (tmp_path / "rel.db").exists()
    monkeypatch.setenv("PHASEMEM_DB", f"sqlite:///{tmp_path / 'env.db'}")
    r = CliRunner().invoke(cli, ["--embedder", "hash-test", "add", "--user", "u", "hi"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "env.db").exists()


# -- the demo shows what sets phasemem apart (item 21) ---------------------------------------------
def test_demo_shows_facts_timeline_as_of_and_context() -> None:
    r = CliRunner().invoke(cli, ["--embedder", "hash-test", "demo", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    now = {(f["subject"], f["relation"], f["object"]) for f in data["facts"]}
    assert ("Maya", "live in", "Porto") in now and ("Maya", "live in", "Lisbon") not in now
    versions = data["timeline"]["versions"]
    lisbon = next(v for v in versions if v["object"] == "Lisbon")
    assert lisbon["invalid_at"] and lisbon["expired_at"]  # superseded, kept
    then, current = data["as_of"]["then"], data["as_of"]["now"]
    assert then["as_of"] == "2024-09-01" and then["answer"] == "Lisbon"
    assert "Lisbon" in then["source"]["memory"] and then["ranked_fact"] == "Maya live in Lisbon"
    assert current["answer"] == "Porto" and current["ranked_fact"] == "Maya live in Porto"
    assert data["context"]["text"].startswith("Pinned instructions")
    text = CliRunner().invoke(cli, ["--embedder", "hash-test", "demo"]).output
    for section in ("1. Facts extracted", "2. Timeline of Maya", "3. Where does Maya live?",
                    "as of 2024-09-01 vs now", "4. Questions answered", "5. Context for an agent"):  # fmt: skip
        assert section in text


def test_trust_confirm_reject_and_sources(run) -> None:  # type: ignore[no-untyped-def]
    run("add", "--user", "maya", "--role", "user", "--speaker", "Maya", "--at", "2024-01-05",
        "I live in Lisbon.")  # fmt: skip
    r = run("add", "--user", "maya", "--source", "web:gossip.example", "--actor", "crawler",
            "Maya now lives in Atlantis.")  # fmt: skip
    assert r.exit_code == 0, r.output
    plain = json.loads(run("facts", "--user", "maya", "--json").output)["results"]
    assert [f["object"] for f in plain] == ["Lisbon"]
    every = json.loads(
        run("facts", "--user", "maya", "--contested", "--source", "web", "--json").output
    )
    claim = every["results"][0]
    assert (claim["object"], claim["status"], claim["source"]) == (
        "Atlantis",
        "contested",
        "web:gossip.example",
    )
    out = json.loads(run("confirm", claim["id"], "--user", "maya", "--json").output)
    assert out["status"] == "accepted"
    assert (
        json.loads(run("facts", "--user", "maya", "--json").output)["results"][0]["object"]
        == "Atlantis"
    )
    rep = json.loads(run("trust", "web:gossip.example", "--user", "maya", "--json").output)
    assert rep["trust"] > 0.5 and rep["events"][0]["new"]["event"] == "confirmed"
    out = json.loads(run("reject", claim["id"], "--user", "maya", "--json").output)
    assert out["status"] == "rejected"
    assert "web:gossip.example" in run("search", "--user", "maya", "Atlantis").output
    ctx = run("context", "--user", "maya", "--source", "web", "Atlantis").output
    assert "I live in Lisbon" not in ctx and "(via web:gossip.example)" in ctx
