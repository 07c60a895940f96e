"""The server loads every model before it answers, not on the first write.

Before: the first add of a server with facts on loaded the spaCy pipeline
(and, through thinc, torch): seconds of imports holding the interpreter lock,
during which every search of the process waited."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.server.conftest import EMBEDDER, needs_facts

_PROBE = """
import sys
from starlette.testclient import TestClient
from phasemem.extract import rules
from phasemem.server.app import create_app

facts = sys.argv[2] == "facts"
app = create_app(sys.argv[1], embedder=sys.argv[3], facts=facts, lexical_index=False)
assert not rules._nlp_cache
with TestClient(app) as c:  # runs the lifespan, as uvicorn does before it accepts
    assert c.get("/v1/healthz").status_code == 200
    print("loaded" if rules._nlp_cache else "not loaded")
"""


def _probe(tmp_path: Path, facts: bool) -> str:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path), "facts" if facts else "no",
                          EMBEDDER], capture_output=True, text=True, timeout=180, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


@needs_facts
def test_the_extractor_is_loaded_before_the_first_request(tmp_path: Path) -> None:
    assert _probe(tmp_path, facts=True) == "loaded"


def test_no_extractor_is_loaded_without_facts(tmp_path: Path) -> None:
    assert _probe(tmp_path, facts=False) == "not loaded"
