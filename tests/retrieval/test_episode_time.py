"""End to end: time on episodes in ``Memory.search`` (intent, alpha, shadowing)."""

from __future__ import annotations

import pytest

from phasemem import Memory


@pytest.fixture(scope="module")
def ana() -> Memory:
    m = Memory(":memory:", embedder="hash-test", extractor=None)
    m.add([{"role": "user", "name": "Ana", "content": "I live in Lisbon, near the river."},
           {"role": "assistant", "name": "Assistant", "content": "Lisbon is lovely. Do you work there?"},
           {"role": "user", "name": "Ana", "content": "Yes, at a bakery in Alfama."}],
          user_id="ana", session_id="s1", occurred_at="2020-03-01T10:00:00Z")  # fmt: skip
    m.add([{"role": "user", "name": "Ana", "content": "Big news: we moved, I live in Berlin now."},
           {"role": "assistant", "name": "Assistant", "content": "Congratulations, Ana!"}],
          user_id="ana", session_id="s2", occurred_at="2023-05-01T10:00:00Z")  # fmt: skip
    yield m
    m.close()


def test_now_prefers_the_newer_statement_and_traces_it(ana: Memory) -> None:
    res = ana.search("Where does Ana live now?", user_id="ana", trace=True)
    assert "Berlin" in res[0].episode.text
    it = res.trace["intent"]
    assert it["mode"] == "current" and it["cue"] == "cue 'now'" and it["alpha"] > 0
    assert it["text"] == "Where does Ana live now?"  # "now" also marks present statements
    lisbon = next(h for h in res if "Lisbon, near" in h.episode.text)  # kept, not deleted
    assert lisbon.scores["s_time"] < 1.0 and lisbon.scores["relevance"] > 0
    shadow = next(s for s in res.trace["shadows"] if s["episode"] == lisbon.episode.id)
    assert shadow["shadowed_by"] == res[0].episode.id  # episode ids, not internal seqs


def test_a_past_moment_prefers_what_was_true_then(ana: Memory) -> None:
    res = ana.search("Where did Ana live in 2021?", user_id="ana", trace=True)
    assert res.trace["intent"]["mode"] == "past"
    assert "Lisbon" in res[0].episode.text
    assert any("Berlin" in h.episode.text for h in res)  # said later: ranked lower, still there
    as_of = ana.search("Where does Ana live?", user_id="ana", as_of="2021-06-01T12:00:00Z")
    assert all("Berlin" not in h.episode.text for h in as_of)  # as_of filters


def test_legacy_config_has_no_time_stage(ana: Memory) -> None:
    res = ana.search("Where does Ana live now?", user_id="ana", trace=True, config="legacy")
    assert "intent" not in res.trace and all("s_time" not in h.scores for h in res)
