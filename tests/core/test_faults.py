"""Concurrent writers and a writer killed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from phasemem import Memory

WRITER = r"""
import sys
from phasemem import Memory
path, worker, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
m = Memory(path, embedder="hash-test", extractor=None)
for i in range(n):
    m.add(f"worker {worker} message {i}", user_id="shared", session_id=f"w{worker}")
m.close()
print("done", worker)
"""

KILLABLE = r"""
import sys
from phasemem import Memory
path = sys.argv[1]
m = Memory(path, embedder="hash-test", extractor=None)
i = 0
while True:
    r = m.add([{"role": "user", "content": f"batch {i} line {j} " + "padding " * 20} for j in range(50)], user_id="u")
    print(r[0].id, flush=True)
    i += 1
"""


def test_four_processes_500_adds_each(db_path: str) -> None:
    Memory(db_path, embedder="hash-test", extractor=None).close()  # create the schema once
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db_path, str(w), "500"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for w in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        assert "locked" not in err.lower()
    with Memory(db_path, embedder="hash-test", extractor=None) as m:
        assert m.store.count() == 2000
        for w in range(4):
            assert len(m.get_all(user_id="shared", session_id=f"w{w}", limit=1000)) == 500
        assert m.doctor()["integrity"] == "ok"


def test_sigkill_mid_write_keeps_every_returned_add(db_path: str) -> None:
    Memory(db_path, embedder="hash-test", extractor=None).close()
    p = subprocess.Popen(
        [sys.executable, "-c", KILLABLE, db_path], stdout=subprocess.PIPE, text=True
    )
    returned: list[str] = []
    assert p.stdout is not None
    deadline = time.monotonic() + 60
    while len(returned) < 15 and time.monotonic() < deadline:
        line = p.stdout.readline()
        if line:
            returned.append(line.strip())
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert len(returned) >= 15
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    with Memory(db_path, embedder="hash-test", extractor=None) as m:
        for rid in returned:
            assert m.get(rid).user_id == "u"
        n = m.store.count()
        assert n % 50 == 0 and n >= 50 * len(returned)  # whole batches only: no partial add
        assert m.doctor()["fts_integrity"] == "ok"


def test_sigkill_mid_import(tmp_path: Path) -> None:
    src = str(tmp_path / "src.db")
    with Memory(src, embedder="hash-test", extractor=None) as m:
        for i in range(40):
            m.add(
                [
                    {"role": "user", "content": f"import row {i}-{j} " + "words " * 30}
                    for j in range(100)
                ],
                user_id="u",
            )
        m.export(tmp_path / "dump.jsonl")
    dst = str(tmp_path / "dst.db")
    Memory(dst, embedder="hash-test", extractor=None).close()
    code = (
        "import sys\nfrom phasemem import Memory\nm = Memory(sys.argv[1], embedder='hash-test', extractor=None)\n"
        "m.import_(sys.argv[2], progress=lambda k: print(k, flush=True))\nprint('finished', flush=True)\n"
    )
    p = subprocess.Popen(
        [sys.executable, "-c", code, dst, str(tmp_path / "dump.jsonl")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout is not None
    batches = 0
    while batches < 2:
        line = p.stdout.readline()
        assert line and "finished" not in line
        batches += 1
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    con = sqlite3.connect(dst)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n = con.execute("SELECT COUNT(*) FROM episodes").fetchone()[0]
    con.close()
    assert (
        n >= 2 * 500 - 2 and n < 4000
    )  # every acknowledged batch is there; the import was cut short
