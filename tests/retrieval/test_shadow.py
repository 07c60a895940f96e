"""Episode shadowing: newer topical evidence pushes older evidence down, by time."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from phasemem.retrieval.shadow import (
    EpisodeCandidate,
    ShadowParams,
    shadow_rank,
    topical,
    trace_of,
)

DAY = 86_400.0
T0 = 1_600_000_000.0  # 2020-09-13
NOW = T0 + 2000 * DAY


def keys(ranked):  # type: ignore[no-untyped-def]
    return [r.key for r in ranked]


def test_empty_and_timeless() -> None:
    assert shadow_rank([], "current", NOW, 0.9) == []
    cands = [EpisodeCandidate("old", 1.0, T0), EpisodeCandidate("new", 0.7, T0 + 400 * DAY)]
    for mode, alpha in (("timeless", 0.9), ("current", 0.0)):
        ranked = shadow_rank(cands, mode, NOW, alpha)
        assert keys(ranked) == ["old", "new"]
        assert all(r.shadowed_by is None and r.parts["s_time"] == 1.0 for r in ranked)


def test_current_newer_statement_shadows_older() -> None:
    cands = [EpisodeCandidate("old", 1.0, T0), EpisodeCandidate("new", 0.7, T0 + 400 * DAY)]
    ranked = shadow_rank(cands, "current", NOW, 0.8)
    assert keys(ranked) == ["new", "old"]
    assert ranked[1].shadowed_by == "new"
    assert trace_of(ranked) == [
        {"episode": "old", "shadowed_by": "new", "s_time": round(ranked[1].parts["s_time"], 4),
         "relevance": 1.0}
    ]  # fmt: skip


def test_off_topic_or_same_conversation_does_not_shadow() -> None:
    # below tau of the best: not topical, cannot close the older statement
    weak = [EpisodeCandidate("old", 1.0, T0), EpisodeCandidate("chat", 0.2, T0 + 400 * DAY)]
    assert shadow_rank(weak, "current", NOW, 0.9)[0].key == "old"
    # minutes later in the same conversation: continues the topic
    same = [EpisodeCandidate("a", 1.0, T0), EpisodeCandidate("b", 0.9, T0 + 120)]
    assert [r.parts["s_time"] for r in shadow_rank(same, "current", NOW, 0.9)] == [1.0, 1.0]


def test_quiet_turns_close_weakly() -> None:
    p = ShadowParams(quiet_close=0.0, change_boost=0.0)
    quiet = [EpisodeCandidate("old", 1.0, T0), EpisodeCandidate("new", 0.8, T0 + 400 * DAY, False)]
    assert keys(shadow_rank(quiet, "current", NOW, 0.9, p)) == ["old", "new"]
    loud = [EpisodeCandidate("old", 1.0, T0), EpisodeCandidate("new", 0.8, T0 + 400 * DAY, True)]
    assert keys(shadow_rank(loud, "current", NOW, 0.9, p)) == ["new", "old"]


def test_past_moment_prefers_latest_before_it() -> None:
    a = EpisodeCandidate("2020", 0.8, T0)
    b = EpisodeCandidate("2021", 0.8, T0 + 365 * DAY)
    c = EpisodeCandidate("2023", 1.0, T0 + 1000 * DAY)  # said after the moment
    moment = T0 + 500 * DAY
    ranked = shadow_rank([a, b, c], "past", moment, 0.7)
    assert keys(ranked)[0] == "2021"
    assert ranked[-1].parts["s_time"] < 1.0


def test_topical_ramp() -> None:
    w = topical([1.0, 0.5, 0.3, 0.0], tau=0.3, width=0.4)  # type: ignore[arg-type]
    assert list(w) == [1.0, 0.5, 0.0, 0.0]
    assert list(topical([1.0, 0.3], tau=0.3, width=0.0)) == [1.0, 1.0]  # type: ignore[arg-type]


cand = st.builds(
    EpisodeCandidate,
    key=st.integers(0, 10_000),
    relevance=st.floats(0.0, 5.0),
    occurred_at=st.floats(T0, T0 + 1500 * DAY),
    announces=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(cand, max_size=25, unique_by=lambda c: c.key),
    st.sampled_from(["current", "past", "timeless"]),
    st.floats(T0 - 100 * DAY, NOW),
    st.floats(0.0, 1.0),
)
def test_a_reranking_never_a_deletion(cands, mode, t_q, alpha) -> None:  # type: ignore[no-untyped-def]
    ranked = shadow_rank(cands, mode, t_q, alpha)
    assert sorted(keys(ranked)) == sorted(c.key for c in cands)
    for r in ranked:
        assert 0.0 <= r.parts["s_time"] <= 1.0
        assert 0.0 <= r.parts["topical"] <= 1.0
        assert (
            r.score <= max(r.parts["relevance"], 0.0) * (1 + 0.3) + 1e-9
        )  # at most the change boost
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.6, 1.0),  # newer statement's relevance (older: 1.0)
    st.floats(0.5, 1.0),  # alpha
    st.floats(30.0, 1500.0),  # days between them
    st.floats(30.0, 500.0),  # days since the newer one (a month: the old one is out of phase)
)
def test_current_guarantee(r_new: float, alpha: float, between: float, since: float) -> None:
    """A newer, fully topical statement of change wins "now" over an older one
    when its relevance is at least 60 % of the older one's, alpha >= 0.5 and a
    month has passed (just after a change the old one is still nearly in phase)."""
    t_new = T0 + between * DAY
    cands = [EpisodeCandidate("old", 1.0, T0), EpisodeCandidate("new", r_new, t_new)]
    assert shadow_rank(cands, "current", t_new + since * DAY, alpha)[0].key == "new"


@settings(max_examples=200, deadline=None)
@given(st.floats(0.6, 1.0), st.floats(0.5, 1.0), st.floats(60.0, 1500.0), st.floats(0.3, 0.7))
def test_past_guarantee(r_old: float, alpha: float, between: float, where: float) -> None:
    """At a moment well inside the older statement's interval, it wins over
    the newer, more relevant one said after the moment."""
    t_new = T0 + between * DAY
    moment = T0 + where * between * DAY
    assume(t_new - moment >= 20 * DAY)
    cands = [EpisodeCandidate("old", r_old, T0), EpisodeCandidate("new", 1.0, t_new)]
    assert shadow_rank(cands, "past", moment, alpha)[0].key == "old"
