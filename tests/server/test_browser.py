"""The web page in a real browser: headless Chromium loads ``/`` from the real
server, runs its search, and the expected memory shows up in the DOM."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from urllib.parse import quote

import pytest

from tests.server.conftest import Server, needs_facts

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)"
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking"]  # fmt: skip


def _dom(url: str, tmp: str) -> str:
    out = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp}", "--virtual-time-budget=8000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_search_shows_the_expected_memory(server: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    user = f"web-{uuid.uuid4().hex[:6]}"
    with server.client(server.key_a) as c:
        c.post("/v1/memories", json={"user_id": user, "source": "chat-agent", "messages": [
            {"role": "user", "name": "Maya", "content": "My sister Ines plays the cello in Porto.",
             "occurred_at": "2023-05-08T10:00:00Z"},
            {"role": "user", "name": "Maya", "content": "I had pasta for lunch.",
             "occurred_at": "2023-05-09T10:00:00Z"}]})  # fmt: skip
    url = f"{server.url}/#key={quote(server.key_a)}&user={quote(user)}&q={quote('cello sister')}"
    dom = _dom(url, str(tmp_path / "profile"))
    first = dom.split('<li class="result"', 2)[1]
    assert "My sister Ines plays the cello in Porto." in first
    assert "2023-05-08 10:00" in first and "chat-agent" in first and "Maya" in first
    assert "tenant tenant-a" in dom

    # A key of another tenant shows nothing of tenant A's.
    other = f"{server.url}/#key={quote(server.key_b)}&user={quote(user)}&q={quote('cello sister')}"
    dom_b = _dom(other, str(tmp_path / "profile-b"))
    assert "0 results" in dom_b and "cello" not in dom_b.split('id="results"', 1)[1]


@needs_facts
def test_timeline_shows_superseded_versions_and_graph(server: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    user = f"web-{uuid.uuid4().hex[:6]}"
    with server.client(server.key_a) as c:
        c.post("/v1/memories", json={"user_id": user, "messages": [
            {"role": "user", "name": "Maya", "content": "I live in Porto.", "occurred_at": "2020-01-05"},
            {"role": "user", "name": "Maya", "content": "I moved to Lisbon.", "occurred_at": "2023-06-01"}]})  # fmt: skip
    url = f"{server.url}/#key={quote(server.key_a)}&user={quote(user)}&entity=Maya"
    dom = _dom(url, str(tmp_path / "profile"))
    timeline = dom.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    old = timeline.split('class="fact superseded"', 1)[1].split("</li>", 1)[0]
    assert "Maya live in Porto" in old and "superseded" in old and "2023-06-01" in old
    current = timeline.split('class="fact"', 1)[1].split("</li>", 1)[0]
    assert "Maya live in Lisbon" in current and "current" in current
    graph = dom.split('id="graph"', 1)[1].split("</svg>", 1)[0]
    assert graph.count("<circle") >= 2 and ">Maya<" in graph and ">Lisbon<" in graph
