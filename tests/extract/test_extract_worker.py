"""The prestarted extractor process gives what the in-process extractor gives,
falls back when the child is gone, and raises bad-input errors as itself."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from phasemem.errors import InvalidTimeError
from phasemem.extract import default_extractor
from phasemem.extract.types import ExtractionInput

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")

TEXTS = [
    ("I moved to Lisbon last May.", "Maya"),
    ("My sister Kasia works at Spotify in Stockholm.", "Tomasz"),
    ("I quit nursing. I now work at Brightline as a data analyst.", "Sam"),
    ("Nice to meet you!", "Sam"),
    ("Ravi lives in Melbourne.", None),
]


def _items() -> list[ExtractionInput]:
    at = datetime(2024, 3, 1, tzinfo=UTC)
    return [ExtractionInput(text=t, speaker=s, occurred_at=at) for t, s in TEXTS]


def _worker_code(body: str) -> str:
    # fork only from a single-threaded process, as the CLI does: a fresh interpreter
    return (
        "import json, sys\n"
        "from datetime import UTC, datetime\n"
        "from phasemem.extract import worker\n"
        "from phasemem.extract.types import ExtractionInput\n"
        "assert worker.can_fork()\n"
        "proc = worker.start()\n"
        f"texts = {TEXTS!r}\n"
        "items = [ExtractionInput(text=t, speaker=s, occurred_at=datetime(2024, 3, 1, tzinfo=UTC))"
        " for t, s in texts]\n" + body
    )


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_child_extracts_exactly_what_this_process_extracts() -> None:
    got = _run(_worker_code("print(repr(proc.extract_batch(items)))\nproc.close()\n"))
    assert got == repr(default_extractor().extract_batch(_items()))


def test_a_dead_child_falls_back_to_extracting_here() -> None:
    body = (
        "proc._proc.kill(); proc._proc.join()\n"
        "first = proc.extract_batch(items)\n"
        "print(json.dumps({'broken': proc._broken, 'n': len(first),"
        " 'facts': sum(len(e.facts) for e in first)}))\n"
    )
    got = json.loads(_run(_worker_code(body)))
    local = default_extractor().extract_batch(_items())
    assert got == {"broken": True, "n": len(TEXTS), "facts": sum(len(e.facts) for e in local)}


def test_bad_input_raises_its_own_error_from_the_child() -> None:
    body = (
        "bad = ExtractionInput(text='I moved to Lisbon.', speaker='Maya', occurred_at='2024')\n"
        "try:\n    proc.extract_batch([bad])\nexcept Exception as exc:\n"
        "    print(type(exc).__name__)\n"
        "proc.close()\n"
    )
    assert _run(_worker_code(body)) == InvalidTimeError.__name__


def test_no_fork_while_other_threads_run() -> None:
    import threading

    from phasemem.extract import worker

    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert worker.can_fork() is False
        assert worker.start() is None
    finally:
        stop.set()
        t.join()


def test_cli_add_extracts_facts_through_the_child(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    cmd = [sys.executable, "-m", "phasemem", "--embedder", "hash-test", "--db", db]
    add = subprocess.run([*cmd, "add", "--user", "maya", "--speaker", "Maya", "--json",
                          "I moved to Lisbon last May."], capture_output=True, text=True)  # fmt: skip
    assert add.returncode == 0, add.stderr
    facts = subprocess.run(
        [*cmd, "facts", "--user", "maya", "--json"], capture_output=True, text=True
    )
    assert "Lisbon" in facts.stdout
