"""The supersession policy as a pure function: no spaCy, no database."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem.facts.decide import DAY, Version, decide, names_part_of
from phasemem.facts.model import NewFact

BASE = NewFact(subject="Maya", subject_type="PERSON", relation="live in", object="Porto",
               object_type="GPE", valid_at=100 * DAY, invalid_at=None, negated=False,
               confidence=0.9, alpha_prior=0.3, single_valued=True)  # fmt: skip
LISBON = Version("f1", 1, "Lisbon", 10 * DAY, None)


def test_a_new_value_supersedes_the_current_one() -> None:
    d = decide(BASE, 2, [LISBON])
    assert d.op == "UPDATE" and d.insert and d.invalid_at is None
    (c,) = d.close
    assert c.version is LISBON and c.invalid_at == BASE.valid_at and c.superseded
    assert d.observations == ((90.0, True),)


def test_repeating_the_current_value_confirms_it() -> None:
    d = decide(replace(BASE, object="Lisbon"), 1, [LISBON])
    assert (d.op, d.confirm, d.insert, d.close) == ("NOOP", "f1", False, ())
    assert d.observations == ((90.0, False),)


def test_a_negation_ends_the_matching_version_only() -> None:
    other = Version("f2", 3, "Tidewater", 20 * DAY, None)
    d = decide(replace(BASE, object="Lisbon", negated=True), 1, [LISBON, other])
    assert d.op == "DELETE" and not d.insert
    assert [(c.version.id, c.invalid_at, c.superseded) for c in d.close] == [
        ("f1", 100 * DAY, False)
    ]
    assert decide(replace(BASE, object="*", negated=True), None, [LISBON, other]).op == "DELETE"
    assert len(decide(replace(BASE, object="*", negated=True), None, [LISBON, other]).close) == 2
    assert decide(replace(BASE, object="Oslo", negated=True), None, [LISBON]).op == "NOOP"


def test_a_shortened_name_ends_the_one_version_it_names() -> None:
    car = replace(BASE, relation="drive", object="the Volvo", negated=True)
    v70 = Version("f1", 1, "Volvo V70", 10 * DAY, None)
    d = decide(car, None, [v70])
    assert d.op == "DELETE" and [c.version.id for c in d.close] == ["f1"]
    xc90 = Version("f2", 2, "Volvo XC90", 20 * DAY, None)
    assert decide(car, None, [v70, xc90]).op == "NOOP"  # two Volvos: which one is unsaid
    assert decide(replace(car, object="Vol"), None, [v70]).op == "NOOP"  # whole words only
    assert names_part_of("iPhone", "iPhone 13 Pro") and names_part_of(
        "the Octavia", "Octavia estate"
    )
    assert not names_part_of("Volvo V70", "Volvo") and not names_part_of("Pro", "Pro")


def test_multi_valued_relations_add() -> None:
    d = decide(replace(BASE, relation="like", single_valued=False), 2, [LISBON])
    assert d.op == "ADD" and d.insert and d.close == ()


def test_a_fact_told_late_ends_when_the_next_began() -> None:
    later = Version("f3", 4, "Berlin", 200 * DAY, None)
    d = decide(BASE, 2, [LISBON, later], later_start=200 * DAY)
    assert d.insert and d.invalid_at == 200 * DAY
    assert [c.version.id for c in d.close] == ["f1"]  # Berlin began after: untouched


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 60), st.booleans()), max_size=25))
def test_a_single_valued_slot_never_holds_two_values_at_once(
    statements: list[tuple[int, int, bool]],
) -> None:
    """Replaying any statements (object, day, negated) through ``decide`` the way a
    store persists it, the versions still in force never overlap in time."""
    store: dict[str, dict[str, float | int | None | bool]] = {}
    n = 0
    for obj, day, negated in statements:
        nf = replace(BASE, object=f"o{obj}", valid_at=day * DAY, negated=negated)
        live = [v for v in store.values() if not v["expired"]]
        current = [Version(k, int(v["obj"]), f"o{v['obj']}", float(v["valid"]),  # type: ignore[arg-type]
                           v["invalid"])  # type: ignore[arg-type]
                   for k, v in store.items() if not v["expired"]
                   and (v["invalid"] is None or v["invalid"] > nf.valid_at)]  # fmt: skip
        starts = [float(v["valid"]) for v in live if float(v["valid"]) > nf.valid_at]  # type: ignore[arg-type]
        d = decide(nf, obj, current, min(starts) if starts else None)
        for c in d.close:
            store[c.version.id].update(invalid=c.invalid_at, expired=c.superseded)
        if d.insert:
            n += 1
            store[f"v{n}"] = {"obj": obj, "valid": nf.valid_at, "invalid": d.invalid_at,
                              "expired": False}  # fmt: skip
    spans = sorted(
        ((float(v["valid"]), v["invalid"]) for v in store.values() if not v["expired"]),  # type: ignore[arg-type]
        key=lambda s: (s[0], float("inf") if s[1] is None else s[1]),
    )
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert e1 is not None and e1 <= s2, spans


def test_a_negation_that_names_when_ends_the_fact_then() -> None:
    """ "I left Acme last month": the job ended last month, not when it was said."""
    nf = replace(BASE, object="Lisbon", negated=True, valid_at=100 * DAY, invalid_at=70 * DAY)
    (c,) = decide(nf, 1, [LISBON]).close
    assert c.invalid_at == 70 * DAY
    early = replace(nf, invalid_at=5 * DAY)  # before it even began: it ends as it begins
    assert decide(early, 1, [LISBON]).close[0].invalid_at == LISBON.valid_at
