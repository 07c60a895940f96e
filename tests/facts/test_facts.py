"""Fact memory end to end: extraction -> ADD/UPDATE/DELETE/NOOP -> as-of queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phasemem import InvalidTimeError, Memory


@pytest.fixture
def fm() -> Memory:
    m = Memory(":memory:", embedder="hash-test")
    yield m
    m.close()


def _say(m: Memory, text: str, when: str, user: str = "maya") -> list:  # type: ignore[type-arg]
    return m.add(
        [{"role": "user", "name": "Maya", "content": text}],
        user_id=user,
        session_id="s",
        occurred_at=when,
    )


def test_move_supersedes_without_deleting(fm: Memory) -> None:
    first = _say(fm, "I live in Lisbon.", "2020-03-01")
    assert [f.op for f in first[0].facts] == ["ADD"]
    second = _say(fm, "I just moved to Porto!", "2022-06-01")
    op = second[0].facts[0]
    assert op.op == "UPDATE" and op.closed == (first[0].facts[0].fact_id,)
    now = fm.facts(user_id="maya", relation="live in")
    assert [f.object for f in now] == ["Porto"]
    then = fm.facts(user_id="maya", relation="lives in", as_of="2021-01-01")
    assert [f.object for f in then] == ["Lisbon"]
    versions = fm.timeline("Maya", user_id="maya")
    lisbon = next(f for f in versions if f.object == "Lisbon")
    assert lisbon.expired_at is not None and lisbon.superseded_by == op.fact_id
    assert lisbon.invalid_at == datetime(2022, 6, 1, tzinfo=UTC).timestamp()
    assert [h.op for h in fm.history(lisbon.id)] == ["FACT_ADD", "FACT_UPDATE"]
    assert lisbon.episode_ids == (first[0].id,)


def test_negation_closes_and_duplicates_are_noops(fm: Memory) -> None:
    _say(fm, "I'm dating Sam.", "2021-01-10")
    again = _say(fm, "I'm dating Sam.", "2021-02-10")
    assert [f.op for f in again[0].facts] == ["NOOP"]
    (fact,) = fm.facts(user_id="maya", relation="date")
    assert len(fact.episode_ids) == 2
    end = _say(fm, "I broke up with Sam.", "2021-09-01")
    assert [f.op for f in end[0].facts] == ["DELETE"]
    assert fm.facts(user_id="maya", relation="date") == []
    assert [f.object for f in fm.facts(user_id="maya", relation="date", as_of="2021-05-01")] == [
        "Sam"
    ]


def test_late_told_past_fact_keeps_current_one(fm: Memory) -> None:
    _say(fm, "I live in Porto.", "2022-06-01")
    _say(fm, "I lived in Lisbon in 2019.", "2023-01-01")
    assert [f.object for f in fm.facts(user_id="maya", relation="live in")] == ["Porto"]
    assert [f.object for f in fm.facts(user_id="maya", relation="live in", as_of="2019-07-01")] == [
        "Lisbon"
    ]


def test_small_talk_stores_no_facts(fm: Memory) -> None:
    for text in ("Haha, that's so funny!", "The weather is lovely today.", "Thanks, you too!"):
        assert _say(fm, text, "2022-01-01")[0].facts == ()
    assert fm.facts(user_id="maya", include_expired=True) == []


def test_search_ranks_current_fact_now_and_old_one_as_of(fm: Memory) -> None:
    _say(fm, "I was born in Berlin.", "2015-01-01")
    _say(fm, "I live in Lisbon.", "2016-03-01")
    _say(fm, "I live in Porto now.", "2021-06-01")
    now = fm.search("Where does Maya live?", user_id="maya")
    assert now.facts[0].fact.object == "Porto"
    past = fm.search("Where did Maya live?", user_id="maya", as_of="2018-05-01")
    assert past.facts[0].fact.object == "Lisbon"
    named = fm.search("Where did Maya live in 2018?", user_id="maya")
    assert named.facts[0].fact.object == "Lisbon"
    born = fm.search("Where was Maya born?", user_id="maya", as_of="2040-01-01")
    assert born.facts[0].fact.object == "Berlin"
    assert "facts" in now.to_dict()


def test_deleting_the_source_episode_deletes_its_facts(fm: Memory) -> None:
    res = _say(fm, "I work at Initech now.", "2022-01-01")
    assert fm.facts(user_id="maya", relation="work at")
    fm.delete(res[0].id)
    assert fm.facts(user_id="maya", include_expired=True) == []


def test_facts_are_tenant_scoped_and_forgotten(fm: Memory) -> None:
    _say(fm, "I live in Lisbon.", "2020-01-01", user="a")
    _say(fm, "I live in Oslo.", "2020-01-01", user="b")
    assert [f.object for f in fm.facts(user_id="a")] == ["Lisbon"]
    assert fm.timeline("Lisbon", user_id="b") == []
    fm.forget(user_id="a")
    assert fm.facts(user_id="a", include_expired=True) == []
    assert [f.object for f in fm.facts(user_id="b")] == ["Oslo"]


def test_bad_as_of_is_a_typed_error(fm: Memory) -> None:
    for bad in ("not a date at all zz", "", float("inf")):
        with pytest.raises(InvalidTimeError):
            fm.facts(user_id="maya", as_of=bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidTimeError):
            fm.search("where", user_id="maya", as_of=bad)  # type: ignore[arg-type]
    fm.search("where", user_id="maya", as_of="1850-01-01")
    fm.search("where", user_id="maya", as_of="2999-01-01")


def test_alpha_is_learned_per_relation(fm: Memory) -> None:
    _say(fm, "I was born in Berlin.", "2015-01-01")
    _say(fm, "I live in Lisbon.", "2016-03-01")
    stats = {r["relation"]: r for r in fm.store.relation_stats()}
    assert stats["be born in"]["alpha"] < stats["live in"]["alpha"]


def test_one_add_with_a_change_and_no_times(fm: Memory) -> None:
    """Messages of one add share a timestamp; a change inside it must not fail."""
    res = fm.add(
        [{"role": "user", "name": "Maya", "content": "I live in Porto."},
         {"role": "user", "name": "Maya", "content": "I moved to Lisbon."}],
        user_id="maya",
    )  # fmt: skip
    assert [f.op for r in res for f in r.facts] == ["ADD", "UPDATE"]
    assert [f.object for f in fm.facts(user_id="maya", relation="live in")] == ["Lisbon"]


@pytest.mark.parametrize(
    "text",
    [
        "I live in Paris and I live in Rome.",  # contradictory facts in one message
        "I moved to Lisbon in 1850.",  # pre-1900
        "I will live in Mars City in 9000.",  # far future
        "My cousin Zorblax works at Qwertyco.",  # unknown entities
        "Je vis à Paris depuis 2019.",  # another language
        "I lived in Oslo on the 45th of Smarch.",  # a date that does not parse
    ],
)
def test_odd_fact_input_never_crashes(fm: Memory, text: str) -> None:
    res = _say(fm, text, "2022-01-01")
    assert res[0].event == "ADD"
    for f in fm.facts(user_id="maya", include_expired=True):
        assert f.subject and f.relation and f.object
        assert f.object.casefold() in text.casefold() or f.object == "*"
