"""The console script leaves without the interpreter's teardown, but everything a
normal exit does outside the process still happens (phasemem.cli.common.leave)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _py(code: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, **kw)  # type: ignore[call-overload, no-any-return]


def test_leave_keeps_the_status_runs_atexit_joins_threads_and_flushes(tmp_path: Path) -> None:
    marker = tmp_path / "thread.txt"
    code = (
        "import atexit, sys, threading, time\n"
        "from phasemem.cli.common import leave\n"
        f"def late():\n    time.sleep(0.3)\n    open({str(marker)!r}, 'w').write('done')\n"
        "threading.Thread(target=late).start()\n"
        "atexit.register(lambda: print('atexit ran', end=''))\n"
        "sys.stdout.write('x' * 200000)\n"
        "leave(3)\n"
    )
    proc = _py(code)
    assert proc.returncode == 3
    assert proc.stdout == "x" * 200000 + "atexit ran"
    assert marker.read_text() == "done"


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [(None, 0, ""), (0, 0, ""), (7, 7, ""), ("bad thing", 1, "bad thing\n")],
)
def test_leave_follows_sys_exit_rules(code: object, status: int, stderr: str) -> None:
    proc = _py(f"from phasemem.cli.common import leave\nleave({code!r})")
    assert (proc.returncode, proc.stderr) == (status, stderr)


def test_console_script_exit_codes_and_output(tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "phasemem", "--embedder", "hash-test", "--db", db, *args],
            capture_output=True, text=True,
        )  # fmt: skip

    assert cli("--help").returncode == 0
    added = cli("add", "--user", "maya", "--no-facts", "--json", "I adopted a dog called Rex.")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)
    listed = cli("list", "--user", "maya", "--json")
    assert listed.returncode == 0 and "Rex" in listed.stdout
    missing = cli("get", "no-such-id")
    assert missing.returncode != 0 and "not_found" in missing.stderr
    assert cli("no-such-command").returncode == 2
