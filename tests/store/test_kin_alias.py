"""One person, one entity: "Tom's sister" is the sister the store knows, on every backend.

The extractor writes "Tom's sister" when a later turn says only "my sister";
the store resolves it to the one person a current kin fact names ("Tom have
sister Hana"), keeps it apart when there are two sisters, and merges the alias
entity into the person when the name is learnt later.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from phasemem.facts.kin import fold_slot, kin_in_text, kin_relation, kin_words, parse_kin
from phasemem.store.base import Store
from tests.store.backends import BACKENDS, require
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


def test_a_name_learnt_later_takes_the_alias_facts_and_the_later_ones(store: Store) -> None:
    _say(store, 1, T0, ("Tom's sister", "work at", "St Thomas' Hospital"),
         ("Tom's sister", "have hobby", "climbing"))  # fmt: skip
    _say(store, 2, T0 + 30 * DAY, ("Tom", "have sister", "Hana"))
    assert _now(store) == {("Tom", "have sister", "Hana"), ("Hana", "work at", "St Thomas' Hospital"),
                           ("Hana", "have hobby", "climbing")}  # fmt: skip
    _say(store, 3, T0 + 60 * DAY, ("Tom's sister", "work at", "Guy's Hospital"))
    assert ("Hana", "work at", "Guy's Hospital") in _now(store)
    assert ("Hana", "work at", "St Thomas' Hospital") not in _now(store)


def test_a_merge_keeps_the_slot_version_that_began_last(store: Store) -> None:
    _say(store, 1, T0 + 10 * DAY, ("Tom's sister", "live in", "York"))
    _say(store, 2, T0, ("Hana", "live in", "Leeds"), ("Tom", "have sister", "Hana"))
    facts = store.facts("u", include_expired=True)
    assert ("Hana", "live in", "York") in _now(store)
    leeds = next(f for f in facts if f.object == "Leeds")
    assert leeds.invalid_at == T0 + 10 * DAY and leeds.expired_at is not None


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


def _numbered(text: str) -> str:
    """Fact ids are random: each becomes a number by first appearance."""
    ids: dict[str, str] = {}
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}",
                  lambda m: ids.setdefault(m.group(), f"id{len(ids)}"), text)  # fmt: skip


@pytest.mark.parametrize(("src", "dst"), list(itertools.combinations(BACKENDS, 2)))
def test_every_backend_merges_alike(src: str, dst: str, tmp_path: Path) -> None:
    dumps = []
    for kind in (src, dst):
        (tmp_path / kind).mkdir()
        store = require(kind).open(tmp_path / kind)
        try:
            _say(store, 1, T0, ("Tom's sister", "work at", "St Thomas' Hospital"))
            _say(store, 2, T0 + DAY, ("Tom", "have sister", "Hana"), ("Hana", "work at", "Guy's"))
            _say(store, 3, T0 + 2 * DAY, ("Tom", "have sister", "Mia"),
                 ("Tom's sister", "live in", "Leeds"))  # fmt: skip
            rows = _dump(store)
        finally:
            store.close()
        for r in rows:  # wall-clock times differ between the runs
            for k in ("at", "created_at", "recorded_at", "expired_at", "key"):
                r.pop(k, None)
        dumps.append(_numbered(json.dumps(rows)))
    assert dumps[0] == dumps[1]
    assert "ENTITY_MERGE" in dumps[0] and "Tom's sister" in dumps[0]  # Mia made the kin ambiguous


# -- the pure parts -------------------------------------------------------------------------
def test_kin_names_parse() -> None:
    k = parse_kin("tom's sister")
    assert k is not None and (k.owner, k.kin, k.relation) == ("tom", "sister", "have sister")
    assert parse_kin("Sam's mum") is not None and parse_kin("Sam's mum").relation == "have mother"  # type: ignore[union-attr]
    wife = parse_kin("Sam's wife")
    assert wife is not None and wife.relation == "be married to" and wife.symmetric
    for name in ("Tom's sisters", "Tom's car", "Tom", "Ana's friend's sister", "sister"):
        assert parse_kin(name) is None, name
    assert kin_relation("great-aunt") == "have aunt"
    assert "wife" in kin_words("be married to") and kin_words("work at") == ()


def test_kin_in_a_question() -> None:
    assert [k.alias for _, k in kin_in_text("Where does Tom's sister work now?")] == [
        "Tom's sister"
    ]
    assert kin_in_text("Where does Tom's sister Hana work now?") == []  # the name says who
    assert kin_in_text("Who is Tom's girlfriend these days?") == []  # asks who the kin is
    assert kin_in_text("Where is Tom's car?") == []


def test_fold_slot_keeps_the_last_begun() -> None:
    assert fold_slot([("a", 1.0, "X")]) == []
    assert fold_slot([("a", 1.0, "X"), ("b", 5.0, "Y")]) == [("a", 1.0, "X", 5.0, "b")]
