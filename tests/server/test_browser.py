"""The web page in a real browser: headless Chromium loads ``/`` from the real
server, runs its search, and the expected memory shows up in the DOM."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import uuid
from pathlib import Path
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


# -- as of a time ----------------------------------------------------------------------------
WEB = Path(__file__).resolve().parents[2] / "phasemem" / "web"

#: (valid_at, invalid_at, t) -> status, and what a view as of t shows as the end
STATUS_CASES = [
    ("2023-06-01T00:00:00+00:00", None, "2024-06-01T23:59:59+00:00", "current", None),
    ("2024-12-01T00:00:00+00:00", None, "2024-06-01T23:59:59+00:00", "future", None),
    ("2020-01-05T00:00:00+00:00", "2023-06-01T00:00:00+00:00", "2024-06-01T23:59:59+00:00",
     "superseded", "2023-06-01T00:00:00+00:00"),
    ("2023-06-01T00:00:00+00:00", "2024-12-01T00:00:00+00:00", "2024-06-01T23:59:59+00:00",
     "current", None),  # ends later: not known as of t
    ("2024-06-01T23:59:59+00:00", None, "2024-06-01T23:59:59+00:00", "current", None),  # begins at t
    ("2020-01-05T00:00:00+00:00", "2024-06-01T23:59:59+00:00", "2024-06-01T23:59:59+00:00",
     "superseded", "2024-06-01T23:59:59+00:00"),  # ends at t: no longer true at t
]  # fmt: skip

_JS_TEST = """
"use strict";
const T = PhasememTime, out = [];
for (const [valid, invalid, at, status, end] of CASES) {
  const f = {valid_at: valid, invalid_at: invalid}, t = T.ms(at);
  out.push({status: T.factStatus(f, t), holds: T.holdsAt(f, t), end: T.endAsSeenAt(f, t)});
}
out.push({asOf: [T.asOfIso("2024-06-01"), T.asOfIso(""), T.asOfIso("June"), T.asOfIso(null)]});
const t = T.ms("2024-06-01T23:59:59+00:00");
out.push({happened: [T.happenedBy({occurred_at: "2024-06-01T10:00:00+00:00"}, t),
                     T.happenedBy({occurred_at: "2024-07-14T10:00:00+00:00"}, t)]});
out.push({view: [T.viewTime(null, 42), T.viewTime("2024-06-01T23:59:59+00:00", 42) === t]});
document.getElementById("out").textContent = JSON.stringify(out);
"""


def test_as_of_logic_in_the_browser(tmp_path: Path) -> None:
    """time.js's rules, run by Chromium itself (a file page: no server needed)."""
    (tmp_path / "cases.js").write_text(f"const CASES = {json.dumps(STATUS_CASES)};\n" + _JS_TEST)
    page = tmp_path / "t.html"
    page.write_text(f'<!doctype html><pre id="out">not run</pre><script src="{(WEB / "time.js").as_uri()}">'
                    f'</script><script src="{(tmp_path / "cases.js").as_uri()}"></script>')  # fmt: skip
    dom = _dom(page.as_uri(), str(tmp_path / "profile"))
    got = json.loads(html.unescape(dom.split('<pre id="out">', 1)[1].split("</pre>", 1)[0]))
    for case, res in zip(STATUS_CASES, got, strict=False):
        assert res == {"status": case[3], "holds": case[3] == "current", "end": case[4]}, case
    assert got[-3:] == [
        {"asOf": ["2024-06-01T23:59:59+00:00", None, None, None]},
        {"happened": [True, False]},
        {"view": [42, True]},
    ]


def _items(dom: str, list_id: str) -> list[str]:
    """The ``<li>`` elements of one list of the page, as HTML."""
    body = dom.split(f'id="{list_id}"', 1)[1].split("</ol>", 1)[0]
    return ["<li" + part.split("</li>", 1)[0] for part in body.split("<li")[1:]]


def _tag(item: str) -> str:
    return item.split('class="tag ', 1)[1].split('"', 1)[0]


@needs_facts
def test_views_as_of_a_time_show_the_world_then(server: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """As of 2024-06-01: no memory from later, no fact that began later, and
    "current" only on a fact true then (Lisbon), not on one from 2024-12-01."""
    user = f"web-{uuid.uuid4().hex[:6]}"
    with server.client(server.key_a) as c:
        c.post("/v1/memories", json={"user_id": user, "messages": [
            {"role": "user", "name": "Maya", "content": "I live in Porto.", "occurred_at": "2020-01-05"},
            {"role": "user", "name": "Maya", "content": "I moved to Lisbon.", "occurred_at": "2023-06-01"},
            {"role": "user", "name": "Maya", "content": "I adopted a cat named Miso in Lisbon.",
             "occurred_at": "2024-07-14"},
            {"role": "user", "name": "Maya", "content": "I moved to Berlin.", "occurred_at": "2024-12-01"}]})  # fmt: skip
    base = f"{server.url}/#key={quote(server.key_a)}&user={quote(user)}&entity=Maya"
    query = quote("where does Maya live now")

    dom = _dom(f"{base}&q={query}&asof=2024-06-01", str(tmp_path / "then"))
    results = _items(dom, "results")
    assert results and "Lisbon" in " ".join(results)
    for r in results:
        when = r.split('class="when">', 1)[1][:10]
        assert when <= "2024-06-01", r
        assert "Miso" not in r and "Berlin" not in r, r
    facts = _items(dom, "search-facts")
    assert facts and all("Berlin" not in f and "Miso" not in f for f in facts), facts
    current = [f for f in facts if _tag(f) == "current"]
    assert current and all("Maya live in Lisbon" in f for f in current), facts
    assert "Facts as of 2024-06-01" in dom
    timeline = _items(dom, "timeline")
    assert [(_tag(f), f.split('class="triple">', 1)[1].split("<", 1)[0]) for f in timeline] == [
        ("superseded", "Maya live in Porto"), ("current", "Maya live in Lisbon")]  # fmt: skip
    assert "2023-06-01 00:00 to then" in timeline[1] and "2024-12-01" not in timeline[1]
    graph = dom.split('id="graph"', 1)[1].split("</svg>", 1)[0]
    assert ">Lisbon<" in graph and ">Berlin<" not in graph and ">Porto<" not in graph
    assert "Entity graph as of 2024-06-01" in dom and "Timeline as of 2024-06-01" in dom

    # the same page now: Berlin is current, Lisbon is not, and nothing is hidden
    now = _dom(f"{base}&q={query}", str(tmp_path / "now"))
    tl = {
        f.split('class="triple">', 1)[1].split("<", 1)[0]: _tag(f) for f in _items(now, "timeline")
    }
    assert tl["Maya live in Berlin"] == "current" and tl["Maya live in Lisbon"] == "superseded"
    assert ">Berlin<" in now.split('id="graph"', 1)[1].split("</svg>", 1)[0]
