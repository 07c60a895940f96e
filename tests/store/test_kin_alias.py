"""One person, one entity: "Tom's sister" is the sister the store knows, on every backend.

The extractor writes "Tom's sister" when a later turn says only "my sister";
the store resolves it to the one person a current kin fact names ("Tom have
sister Hana"), and keeps it apart when there are two sisters, when the kin word
is one people have many of (friend, colleague), or before the name is known
(facts said under the alias then stay the alias's: nothing is merged, so erasing
an episode never leaves facts moved onto a person).
"""

from __future__ import annotations

from phasemem.facts.kin import kin_in_text, kin_relation, parse_kin
from phasemem.store.base import Store
from tests.store.test_contract import DAY, T0, _dump, add, ep, fact


def _say(store: Store, n: int, t: float, *facts: tuple[str, str, str]) -> None:
    add(store, ep(n, f"turn {n}", speaker="Tom", t=t),
        facts=[[fact(s, r, o, t) for s, r, o in facts]])  # fmt: skip


def _now(store: Store) -> set[tuple[str, str, str]]:
    return {(f.subject, f.relation, f.object) for f in store.facts("u")}


def test_a_kin_name_is_the_one_sister_the_store_knows(store: Store) -> None:
    _say(store, 1, T0, ("Tom", "have sister", "Hana"), ("Hana", "work at", "St Thomas' Hospital"))
    _say(store, 2, T0 + 60 * DAY, ("Tom's sister", "work at", "Guy's Hospital"))
    assert _now(store) == {("Tom", "have sister", "Hana"), ("Hana", "work at", "Guy's Hospital")}
    old = next(
        f for f in store.facts("u", include_expired=True) if f.object == "St Thomas' Hospital"
    )
    assert old.invalid_at == T0 + 60 * DAY and old.superseded_by is not None
    # the alias finds the person, as a subject filter and as an entity
    assert {f.object for f in store.facts("u", subject="Tom's sister", relation="work at")} == {
        "Guy's Hospital"
    }
    assert {f.object for f in store.facts("u", entity="tom's sister")} >= {"Guy's Hospital"}


def test_two_sisters_leave_the_kin_name_alone(store: Store) -> None:
    _say(store, 1, T0, ("Tom", "have sister", "Hana"), ("Tom", "have sister", "Mia"),
         ("Hana", "work at", "St Thomas' Hospital"))  # fmt: skip
    _say(store, 2, T0 + DAY, ("Tom's sister", "work at", "Guy's Hospital"))
    assert ("Tom's sister", "work at", "Guy's Hospital") in _now(store)
    assert ("Hana", "work at", "St Thomas' Hospital") in _now(store)


def test_another_owners_sister_is_someone_else(store: Store) -> None:
    _say(store, 1, T0, ("Tom", "have sister", "Hana"), ("Hana", "live in", "Leeds"))
    _say(store, 2, T0 + DAY, ("Anna's sister", "live in", "York"))
    assert {("Hana", "live in", "Leeds"), ("Anna's sister", "live in", "York")} <= _now(store)


def test_a_name_learnt_later_takes_only_the_later_facts(store: Store) -> None:
    _say(store, 1, T0, ("Tom's sister", "work at", "St Thomas' Hospital"))
    _say(store, 2, T0 + 30 * DAY, ("Tom", "have sister", "Hana"))
    assert ("Tom's sister", "work at", "St Thomas' Hospital") in _now(store)  # not merged
    _say(store, 3, T0 + 60 * DAY, ("Tom's sister", "work at", "Guy's Hospital"))
    assert ("Hana", "work at", "Guy's Hospital") in _now(store)


def test_a_friend_or_a_colleague_is_never_resolved(store: Store) -> None:
    _say(store, 1, T0, ("Tom", "have friend", "Anna"), ("Tom", "have colleague", "Raj"))
    _say(store, 2, T0 + DAY, ("Tom's friend", "work as", "pilot"),
         ("Tom's colleague", "live in", "Leeds"))  # fmt: skip
    now = _now(store)
    assert ("Tom's friend", "have job title", "pilot") in now
    assert not any(s == "Anna" for s, _, _ in now)
    assert ("Tom's colleague", "live in", "Leeds") in now


def test_a_read_by_kin_name_writes_no_alias(store: Store) -> None:
    _say(store, 1, T0, ("Tom", "have sister", "Hana"), ("Hana", "live in", "York"))
    before = len(_dump(store))
    assert {(f.subject, f.object) for f in store.facts("u", subject="Tom's sister")} == {
        ("Hana", "York")
    }
    assert len(_dump(store)) == before


def test_a_couple_is_found_either_way_round(store: Store) -> None:
    _say(store, 1, T0, ("Carla", "be married to", "Tom"))
    _say(store, 2, T0 + DAY, ("Tom's wife", "work at", "IBM"))
    assert ("Carla", "work at", "IBM") in _now(store)


def test_an_ended_kin_fact_names_nobody(store: Store) -> None:
    _say(store, 1, T0, ("Tom", "date", "Anna"))
    _say(store, 2, T0 + DAY, ("Tom's girlfriend", "live in", "Rome"))
    assert ("Anna", "live in", "Rome") in _now(store)
    _say(store, 3, T0 + 2 * DAY, ("Tom", "date", "Bea"))  # single-valued: Anna's fact ends
    _say(store, 4, T0 + 3 * DAY, ("Tom's girlfriend", "live in", "Oslo"))
    assert {("Anna", "live in", "Rome"), ("Bea", "live in", "Oslo")} <= _now(store)


# -- the pure parts -------------------------------------------------------------------------
def test_kin_names_parse() -> None:
    k = parse_kin("tom's sister")
    assert k is not None and (k.owner, k.kin, k.relation) == ("tom", "sister", "have sister")
    assert parse_kin("Sam's mum") is not None and parse_kin("Sam's mum").relation == "have mother"  # type: ignore[union-attr]
    wife = parse_kin("Sam's wife")
    assert wife is not None and wife.relation == "be married to" and wife.symmetric
    for name in ("Tom's sisters", "Tom's car", "Tom", "Ana's friend's sister", "sister"):
        assert parse_kin(name) is None, name
    assert (
        kin_relation("great-grandmother") == "have grandmother" and kin_relation("friend") is None
    )
    assert kin_relation("sister") == "have sister"


def test_kin_in_a_question() -> None:
    assert [k.alias for _, k in kin_in_text("Where does Tom's sister work now?")] == [
        "Tom's sister"
    ]
    assert kin_in_text("Where does Tom's sister Hana work now?") == []  # the name says who
    assert kin_in_text("Who is Tom's girlfriend these days?") == []  # asks who the kin is
    assert kin_in_text("Where is Tom's car?") == []
