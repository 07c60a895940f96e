"""facts.focus: the question's subject, what it already names, and slot shadowing
(pure functions, no store), plus the ranker using them end to end."""

from __future__ import annotations

import numpy as np

from phasemem import Memory
from phasemem.facts.focus import (
    ALREADY_SAID,
    OTHER_KIND,
    OTHER_SUBJECT,
    asked_kinds,
    base_name,
    focus_weights,
    slot_shadow,
    target_subject,
)
from phasemem.facts.model import Fact

DAY = 86400.0


def fact(subject: str, relation: str, obj: str, start: float, end: float | None = None,
         alpha: float = 0.9) -> Fact:  # fmt: skip
    return Fact(f"{subject}-{relation}-{obj}", "u", subject, relation, obj, start, end, start,
                None, None, alpha, 0.8)  # fmt: skip


def test_target_is_the_named_head_not_the_possessor() -> None:
    subjects = ["Kwame", "Kofi", "Kwame's cousin"]
    assert target_subject("Where does Kwame's brother Kofi work now?", subjects) == "kofi"
    assert target_subject("Who is Kwame's employer at the moment?", subjects) == "kwame"
    assert target_subject("Where was Kwame working in 2022?", subjects) == "kwame"
    assert target_subject("Where does she work?", subjects) is None
    assert base_name("Carla's") == "carla" and base_name("Carla’s") == "carla"


def test_facts_about_others_and_facts_the_question_states_weigh_less() -> None:
    facts = [
        fact("Kwame", "have brother", "Kofi", 0),
        fact("Kofi", "work at", "Ecobank", 0),
        fact("Kwame", "work at", "Deloitte", 0),
    ]
    w = focus_weights("Where does Kwame's brother Kofi work now?", facts, [0, 1, 2])
    assert np.allclose(w, [OTHER_KIND * OTHER_SUBJECT * ALREADY_SAID, 1.0, OTHER_SUBJECT])
    # no one named: the "already said" weight and the kind asked for (work) apply
    w = focus_weights("who works at deloitte?", facts, [0, 1, 2])
    assert np.allclose(w, [OTHER_KIND, 1.0, ALREADY_SAID])


def test_facts_of_another_kind_than_the_question_asks_weigh_less() -> None:
    facts = [
        fact("Freya", "have hobby", "goal defence", 0),
        fact("Freya", "play for", "Leith Lightning", 0),
        fact("Freya", "live in", "Edinburgh", 0),
    ]
    w = focus_weights("Which netball team does Freya play for now?", facts, [0, 1, 2])
    assert np.allclose(w, [OTHER_KIND, 1.0, OTHER_KIND])
    w = focus_weights("What is Freya into these days?", facts, [0, 1, 2])
    assert np.allclose(w, [1.0, OTHER_KIND, OTHER_KIND])
    # a kind no candidate has, or no kind at all: nothing is weighed down
    assert np.allclose(focus_weights("What car does Freya drive?", facts, [0, 1, 2]), 1.0)
    assert np.allclose(focus_weights("Tell me about Freya.", facts, [0, 1, 2]), 1.0)
    # pets are one family whatever the animal (the ranker passes its family function)
    pets = [fact("Isla", "have rabbit", "Clover", 0), fact("Isla", "speak", "Gaelic", 0)]
    w = focus_weights("What pet does Isla have now?", pets, [0, 1],
                      lambda f: "have pet" if f.relation == "have rabbit" else f.relation)  # fmt: skip
    assert np.allclose(w, [1.0, OTHER_KIND])
    assert asked_kinds("Who was Samir's employer in spring 2022?")
    assert not asked_kinds("When did they meet?")
    # the field of study and the place of study are different answers
    study = [fact("Ines", "study", "geology", 0), fact("Ines", "study at", "Bangor", 0)]
    w = focus_weights("What did Ines study at university?", study, [0, 1])
    assert np.allclose(w, [1.0, OTHER_KIND])
    w = focus_weights("Where did Ines study?", study, [0, 1])
    assert np.allclose(w, [OTHER_KIND, 1.0])
    assert np.allclose(focus_weights("Which university did Ines go to?", study, [0, 1]),
                       [OTHER_KIND, 1.0])  # fmt: skip


def test_the_latest_version_of_a_slot_shadows_older_ones_by_alpha() -> None:
    facts = [
        fact("Isla", "have hobby", "paddleboarding", 0 * DAY, alpha=0.99),
        fact("Isla", "have hobby", "wild swimming", 100 * DAY, alpha=0.99),
        fact("Isla", "have sister", "Morag", 0 * DAY, alpha=0.1),
        fact("Isla", "have sister", "Eilidh", 50 * DAY, alpha=0.1),
        fact("Isla", "live in", "Oban", 0 * DAY, 80 * DAY, alpha=0.3),  # closed: no shadow
        fact("Rory", "have hobby", "golf", 0 * DAY),  # another subject's slot
    ]
    now = 200 * DAY
    w = slot_shadow(facts, now, strength=0.5)
    assert np.allclose(w, [1 - 0.5 * 0.99, 1, 1 - 0.5 * 0.1, 1, 1, 1])
    # as of a time before the newer hobby began, the older one is not shadowed
    assert slot_shadow(facts, 50 * DAY)[0] == 1.0
    # a family groups relations into one slot
    pets = [fact("Owen", "have dog", "Mabli", 0), fact("Owen", "have", "ginger cat", 10 * DAY)]
    assert slot_shadow(pets, now)[0] == 1.0
    grouped = slot_shadow(pets, now, family=lambda f: "pet" if "dog" in f.text or "cat" in f.text
                          else f.relation)  # fmt: skip
    assert grouped[0] < 1.0 and grouped[1] == 1.0


def test_ranked_facts_follow_the_question_subject_and_the_newest_hobby() -> None:
    with Memory(":memory:", embedder="hash-test") as m:
        for text, when in (("My brother Tendai works at Old Mutual now.", "2022-01-10"),
                           ("I work at Econet.", "2022-01-10"),
                           ("I took up pottery.", "2021-01-10"),
                           ("I took up archery.", "2023-01-10")):  # fmt: skip
            m.add([{"role": "user", "name": "Rudo", "content": text}], user_id="u",
                  occurred_at=when)  # fmt: skip
        texts = [f.text for f in m.facts(user_id="u")]
        assert "Tendai work at Old Mutual" in texts and "Rudo have hobby archery" in texts
        top = m.search("Where does Rudo's brother Tendai work now?", user_id="u").facts
        assert top[0].fact.text == "Tendai work at Old Mutual"
        top = m.search("What is Rudo's main hobby now?", user_id="u").facts
        assert top[0].fact.text == "Rudo have hobby archery"
        assert top[1].scores["slot"] < 1.0


def test_an_unnamed_kin_in_the_question_focuses_the_one_known_person() -> None:
    from phasemem.facts.kin import kin_targets

    facts = [
        fact("Tom", "have sister", "Hana", 0),
        fact("Hana", "work at", "Guy's Hospital", 0),
        fact("Tom", "work at", "Barclays", 0),
    ]
    q = "Where does Tom's sister work now?"
    kin = kin_targets(q, facts)
    assert kin == {"hana"}
    assert np.allclose(focus_weights(q, facts, [0, 1, 2], kin=kin),
                       [OTHER_KIND * OTHER_SUBJECT, 1.0, OTHER_SUBJECT])  # fmt: skip
    # without the kin the possessor is the target: Tom's own job wins
    assert np.allclose(focus_weights(q, facts, [0, 1, 2]), [OTHER_KIND, OTHER_SUBJECT, 1.0])
    # two sisters: nobody in particular; facts kept under the kin's own name are its
    two = [
        *facts,
        fact("Tom", "have sister", "Mia", 0),
        fact("Tom's sister", "live in", "Leeds", 0),
    ]
    assert kin_targets(q, two) == {"tom sister"}
    assert kin_targets("Where does Ana's sister work now?", facts) == frozenset()
    # "Who is Tom's sister?" asks for the owner's fact: no kin target
    assert kin_targets("Who is Tom's sister?", facts) == frozenset()


def test_two_sessions_through_memory_add_keep_one_sister() -> None:
    """Session 1 names her; session 2 says only "my sister" / "she": the new job
    supersedes the old one, and both questions (with and without her name) find it."""
    with Memory(":memory:", embedder="hash-test") as m:
        m.add([{"role": "user", "name": "Tom", "content": "My sister Hana is a nurse at St Thomas' Hospital."},
               {"role": "assistant", "name": "assistant", "content": "That sounds demanding!"}],
              user_id="u", session_id="s1", occurred_at="2024-01-10T10:00:00Z")  # fmt: skip
        m.add([{"role": "user", "name": "Tom", "content": "My sister just started a new job."},
               {"role": "assistant", "name": "assistant", "content": "Oh nice! Where is she working now?"},
               {"role": "user", "name": "Tom", "content": "At Guy's Hospital, as a ward manager."}],
              user_id="u", session_id="s2", occurred_at="2024-03-10T10:00:00Z")  # fmt: skip
        now = {f.text for f in m.facts(user_id="u")}
        assert "Hana work at Guy's Hospital" in now
        assert "Hana work at St Thomas' Hospital" not in now
        assert not any(
            f.subject == "Tom's sister" for f in m.facts(user_id="u", include_expired=True)
        )
        for q in ("Where does Tom's sister Hana work now?", "Where does Tom's sister work now?"):
            top = m.search(q, user_id="u").facts
            assert top[0].fact.text == "Hana work at Guy's Hospital", q
