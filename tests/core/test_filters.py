"""One filter, one meaning: ``EpisodeFilter``'s SQL, its ``matches`` and the
vector index's mask agree on random stores, and ``as_of`` folds into it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasemem import InvalidInputError, Memory
from phasemem.scope import EpisodeFilter

USERS, AGENTS, SESSIONS = ["u1", "u2"], [None, "a1", "a2"], [None, "s1", "s2"]
ROLES, SPEAKERS, SOURCES = [None, "user", "assistant"], [None, "Maya", "Tom"], [None, "x", "y"]
METAS = [None, {"k": 1}, {"k": "1"}, {"k": True}, {"k": {"n": 1}}, {"k": None}, {"j": 2}]

episode = st.fixed_dictionaries({
    "user": st.sampled_from(USERS), "agent": st.sampled_from(AGENTS),
    "session": st.sampled_from(SESSIONS), "role": st.sampled_from(ROLES),
    "speaker": st.sampled_from(SPEAKERS), "source": st.sampled_from(SOURCES),
    "t": st.integers(0, 20), "meta": st.sampled_from(METAS), "n": st.integers(0, 10**6),
})  # fmt: skip


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    f: dict[str, Any] = {"user_id": draw(st.sampled_from(USERS))}
    for key, values in (("agent_id", AGENTS), ("session_id", SESSIONS), ("role", ROLES),
                        ("speaker", SPEAKERS), ("source", SOURCES)):  # fmt: skip
        f[key] = draw(st.sampled_from(values))
    for key in ("occurred_after", "occurred_before", "as_of"):
        f[key] = draw(st.one_of(st.none(), st.integers(0, 20).map(float)))
    f["metadata"] = draw(st.sampled_from([None, {"k": 1}, {"k": "1"}, {"k": True}, {"k": None}]))
    return f


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eps=st.lists(episode, min_size=1, max_size=25), spec=filters())
def test_sql_matches_and_index_mask_agree(eps: list[dict[str, Any]], spec: dict[str, Any]) -> None:
    with Memory(":memory:", embedder="hash-test", extractor=None) as m:
        for e in eps:
            msg: dict[str, Any] = {"content": f"note {e['n']}"}
            if e["role"]:
                msg["role"] = e["role"]
            if e["speaker"]:
                msg["name"] = e["speaker"]
            m.add(msg, user_id=e["user"], agent_id=e["agent"], session_id=e["session"],
                  occurred_at=float(e["t"]), metadata=e["meta"], source=e["source"])  # fmt: skip
        flt = EpisodeFilter.build(
            spec["user_id"],
            {k: spec[k] for k in ("role", "speaker", "source", "occurred_after", "occurred_before",
                                  "metadata") if spec[k] is not None},  # fmt: skip
            agent_id=spec["agent_id"], session_id=spec["session_id"], as_of=spec["as_of"],
        )  # fmt: skip
        every = [ep for u in USERS for ep in m.get_all(user_id=u, limit=1000)]
        by_sql = {ep.id for ep in m.store.episodes(flt, 1000, 0)}
        by_matches = {ep.id for ep in every if flt.matches(ep)}
        assert by_sql == by_matches
        allowed = m.mirror.vectors.ids_allowed([ep.id for ep in every], flt)
        by_index = {ep.id for ep, ok in zip(every, allowed, strict=True) if ok}
        if flt.columns_only:
            assert by_index == by_matches
        else:  # metadata is checked on rows: the index may only over-approximate
            assert by_matches <= by_index
        seqs = np.array(sorted(m.store.by_seq(range(1, 10**4)).keys()), dtype=np.int64)
        mask, known = m.mirror.vectors.scope_mask(seqs, flt)
        assert known and int(mask.sum()) == len(by_index)


def test_as_of_folds_into_occurred_before() -> None:
    f = EpisodeFilter.build("u", {"occurred_before": "2024-05-01"}, as_of="2024-03-01")
    assert f.as_of == f.occurred_before  # the earlier of the two
    f = EpisodeFilter.build("u", {"occurred_before": "2024-01-01"}, as_of="2024-03-01")
    assert f.occurred_before < f.as_of and f.narrows
    assert not EpisodeFilter.build("u").narrows


@pytest.mark.parametrize("bad", [{"k": {"n": 1}}, {"k": [1]}, {"k": float("nan")}])
def test_metadata_filter_values_are_scalars(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        EpisodeFilter.build("u", {"metadata": bad})
