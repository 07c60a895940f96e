"""retrieval.agree: facts re-scored by their evidence episode's rank, stale
episodes kept below the current fact's evidence; and search() end to end."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from phasemem import Memory
from phasemem.facts.model import Fact, FactHit
from phasemem.models import Episode, SearchHit
from phasemem.retrieval.agree import (
    LATER,
    asked_name,
    demote_stale,
    evidence_of,
    lift_evidence,
    names_value,
    rerank_facts,
    same_topic,
    trust_fact,
)
from phasemem.retrieval.config import RetrievalConfig

DAY = 86400.0


def ep(i: str, t: float) -> SearchHit:
    e = Episode(i, f"turn {i}", "u", None, "s", "user", "Ann", t, t, None, None, {}, i)
    return SearchHit(e, 1.0, {})


def fact(fid: str, obj: str, start: float, end: float | None, eps: tuple[str, ...]) -> Fact:
    return Fact(fid, "u", "Ann", "work at", obj, start, end, start, None, None, 0.8, 0.9, eps)


OLD = fact("f1", "Acme", 0, 100 * DAY, ("e1",))
NEW = fact("f2", "Globex", 100 * DAY, None, ("e3",))
NOW = 200 * DAY


def test_evidence_is_the_best_ranked_source_episode() -> None:
    rank = {"e3": 2, "e1": 0, "e9": 1}
    assert evidence_of(fact("f", "X", 0, None, ("e3", "e9")), rank) == ("e9", 1)
    assert evidence_of(fact("f", "X", 0, None, ("e7",)), rank) == (None, None)


def test_a_fact_whose_evidence_ranks_high_moves_up() -> None:
    hits = [ep("e3", 100 * DAY), ep("e2", 50 * DAY)]
    facts = [FactHit(OLD, 1.0, {}), FactHit(NEW, 0.8, {})]
    out = rerank_facts(facts, hits, weight=0.5)
    assert [f.fact.id for f in out] == ["f2", "f1"]
    assert out[0].score == 0.8 * 1.5 and out[0].scores["evidence_rank"] == 0.0
    assert rerank_facts(facts, hits, weight=0.0)[0].fact.id == "f1"


def test_episodes_of_a_superseded_value_go_below_the_current_facts_evidence() -> None:
    hits = [ep("e1", 0), ep("e2", 50 * DAY), ep("e3", 100 * DAY), ep("e4", 150 * DAY)]
    out, moved = demote_stale(hits, NEW, [OLD, NEW], NOW)
    assert [h.episode.id for h in out] == ["e2", "e3", "e1", "e4"] and moved == ["e1"]
    # lift: the evidence episode moves up above the first stale one instead
    out, moved = demote_stale(hits, NEW, [OLD, NEW], NOW, lift=True)
    assert [h.episode.id for h in out] == ["e3", "e1", "e2", "e4"] and moved == ["e1"]
    # as of a time the old value held, the old fact is the top one: its episode stays first
    out, moved = demote_stale(hits, OLD, [OLD, NEW], 50 * DAY)
    assert [h.episode.id for h in out] == ["e1", "e2", "e3", "e4"] and moved == []
    # a top fact that does not hold at the query's time moves nothing
    assert demote_stale(hits, OLD, [OLD, NEW], NOW)[1] == []
    # nor does one whose evidence is not among the hits
    assert demote_stale(hits[:2], NEW, [OLD, NEW], NOW)[1] == []


def test_search_puts_the_current_facts_episode_above_the_old_ones() -> None:
    with Memory(":memory:") as m:
        for text, when in (
            ("I work at Lumen Bank, the job is fine.", "2021-03-01"),
            ("Lumen Bank gave everyone a bonus, I love working at Lumen Bank.", "2021-09-01"),
            ("I left Lumen Bank. I work at Quarry Labs now.", "2022-05-01"),
        ):
            m.add([{"role": "user", "name": "Ann", "content": text}], user_id="u",
                  occurred_at=when)  # fmt: skip
        res = m.search("Where does Ann work now?", user_id="u", trace=True)
        assert res.facts[0].fact.text == "Ann work at Quarry Labs"
        assert "Quarry Labs" in res.hits[0].episode.text
        agree = res.trace["agree"] if res.trace else {}
        assert agree["top_fact"] == "Ann work at Quarry Labs"
        assert agree["evidence"] == res.hits[0].episode.id
        past = m.search("Where did Ann work?", user_id="u", as_of="2021-10-01")
        assert past.facts[0].fact.text == "Ann work at Lumen Bank"
        assert all("Quarry" not in h.episode.text for h in past.hits)


def test_context_leads_with_the_fact_cited_to_its_episode() -> None:
    with Memory(":memory:") as m:
        m.add([{"role": "user", "name": "Ann", "content": "I work at Lumen Bank."}], user_id="u",
              occurred_at="2021-03-01")  # fmt: skip
        m.add([{"role": "user", "name": "Ann", "content": "My brother Olu works at Kora Foods."}],
              user_id="u", occurred_at="2021-06-01")  # fmt: skip
        new = m.add([{"role": "user", "name": "Ann", "content": "I left Lumen Bank. I work at "
                      "Quarry Labs now."}], user_id="u", occurred_at="2022-05-03")  # fmt: skip
        said = new[0].id
        ctx = m.context("Where does Ann work now?", user_id="u", budget_tokens=400)
        facts = [i for s in ctx.parts for i in s.items if i.kind == "fact"]
        assert facts[0].data["object"] == "Quarry Labs"
        assert facts[0].data["evidence"]["episode_id"] == said
        assert f"said 3 May 2022 in {said.replace('-', '')[:8]}" in facts[0].line
        lines = ctx.text.splitlines()
        assert lines[1].startswith("- Ann work at Quarry Labs")  # first under the first heading
        # a question about someone else leads with that person's fact
        ctx = m.context("Where does Ann's brother Olu work?", user_id="u", budget_tokens=400)
        assert ctx.parts[1].name == "facts" and "Olu work at Kora Foods" in ctx.text.splitlines()[1]


# -- the evidence lift ---------------------------------------------------------------------


def turn(i: str, text: str, t: float, session: str = "s") -> Episode:
    return Episode(i, text, "u", None, session, "user", "Ann", t, t, None, None, {}, i)


def hit(e: Episode) -> SearchHit:
    return SearchHit(e, 1.0, {})


def test_the_person_a_question_asks_about() -> None:
    assert asked_name("What does Rosa's husband Mike drive these days?") == "mike"
    assert asked_name("What's the name of Grace's sister?") == "grace"
    assert asked_name("Where was Jamal living in November 2022?") == "jamal"
    assert asked_name("What's Kenji's favourite TV show at the moment?") == "kenji"
    assert asked_name("Where did Ben grow up?") == "ben"
    assert asked_name("Where do I live now?") is None
    assert asked_name("Which city?") is None


def test_a_value_is_named_as_whole_words() -> None:
    assert names_value("I drive a Polestar 2 now", "polestar 2")
    assert not names_value("Polestar 22 maybe", "Polestar 2")
    assert not names_value("anything", "")


JOB = Fact("f", "u", "Ann", "work at", "Lumen Bank", 10 * DAY, None, 10 * DAY, None, None,
           0.6, 0.9, ("e1",))  # fmt: skip
SAID = turn("e1", "I work at Lumen Bank.", 10 * DAY)


def test_a_fact_is_trusted_only_for_the_kind_and_person_asked_about() -> None:
    q = "Where does Ann work now?"
    assert trust_fact(q, JOB, NOW, [SAID], SAID, timeless=False) is None
    assert trust_fact("What car does Ann drive?", JOB, NOW, [SAID], SAID, timeless=False) == (
        "not the kind the question asks for"
    )
    assert trust_fact("Where does Ann's brother Olu work?", JOB, NOW, [SAID], SAID,
                      timeless=False) == "not about the person asked about"  # fmt: skip
    assert trust_fact(q, JOB, 5 * DAY, [SAID], SAID, timeless=False) == (
        "does not hold at the query's time"
    )
    assert trust_fact(q, JOB, NOW, [], SAID, timeless=False) == (
        "no source episode the read may see"
    )


def test_a_have_relation_is_asked_for_by_its_noun_after_the_possessive() -> None:
    sister = Fact("k", "u", "Grace", "have sister", "Chioma", 0, None, 0, None, None, 0.1, 0.9,
                  ("e1",))  # fmt: skip
    said = turn("e1", "My sister Chioma says hi.", 0)
    q = "What's the name of Grace's sister?"
    assert trust_fact(q, sister, NOW, [said], said, timeless=False) is None
    assert trust_fact("What's the name of Grace's older sister?", sister, NOW, [said], said,
                      timeless=False) is None  # fmt: skip
    assert trust_fact("What's the name of Grace's brother?", sister, NOW, [said], said,
                      timeless=False) == "not the kind the question asks for"  # fmt: skip
    # a value the question itself names is not its answer
    assert trust_fact("Where does Grace's sister Chioma live?", sister, NOW, [said], said,
                      timeless=False) == "the question names its value"  # fmt: skip


def test_a_later_first_turn_outranks_an_open_fact_unless_timeless_or_closed() -> None:
    later = turn("e9", "I started a new job last week!", 10 * DAY + 2 * LATER)
    q = "Where does Ann work now?"
    assert trust_fact(q, JOB, NOW, [SAID], later, timeless=False) == (
        "a later turn that announces a change ranks first"
    )
    # a later turn that announces nothing, or one from the same sitting, is no news
    quiet = turn("e7", "Work is fine, the canteen is good.", 10 * DAY + 2 * LATER)
    assert trust_fact(q, JOB, NOW, [SAID], quiet, timeless=False) is None
    same = turn("e8", "I started a new job last week!", 10 * DAY + LATER / 2)
    assert trust_fact(q, JOB, NOW, [SAID], same, timeless=False) is None
    # a question about what does not change, or a version whose end the graph knows
    assert trust_fact(q, JOB, NOW, [SAID], later, timeless=True) is None
    closed = Fact("f", "u", "Ann", "work at", "Lumen Bank", 10 * DAY, 300 * DAY, 10 * DAY, None,
                  None, 0.6, 0.9, ("e1",))  # fmt: skip
    assert trust_fact(q, closed, NOW, [SAID], later, timeless=False) is None


def test_the_turn_that_names_the_value_goes_first() -> None:
    asked = turn("e0", "Do you still work at Lumen Bank?", 10 * DAY - 60)
    reply = turn("e1", "Yes, still there.", 10 * DAY)
    other = turn("e5", "Lumen Bank is hiring, says my friend.", 90 * DAY, session="s2")
    noise = turn("e7", "Work work work.", 100 * DAY, session="s3")
    hits = [hit(noise), hit(other), hit(reply), hit(asked)]
    out, lifted = lift_evidence(hits, JOB, [reply])
    # the source turn does not name it; its neighbour in the sitting does, another session's
    # turn that only mentions it is not the fact's evidence
    assert lifted == "e0" and [h.episode.id for h in out] == ["e0", "e7", "e5", "e1"]
    # already first: nothing moves
    assert lift_evidence(out, JOB, [reply]) == (out, None)
    # no turn states it: nothing moves
    assert lift_evidence([hit(noise), hit(reply)], JOB, [reply])[1] is None


def test_a_source_episode_missing_from_the_hits_is_added_first() -> None:
    hits = [hit(turn("e7", "Work work work.", 100 * DAY, session="s3"))]
    out, lifted = lift_evidence(hits, JOB, [SAID])
    assert lifted == "e1" and [h.episode.id for h in out] == ["e1", "e7"]
    assert out[0].via == "agree" and out[0].score == hits[0].score


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["I work at Lumen Bank.", "Lumen Banks", "work", "lumen bank!"]),
             min_size=0, max_size=8),
    st.lists(st.integers(0, 9), max_size=3),
    st.booleans(),
)  # fmt: skip
def test_lifting_only_reorders_and_adds_at_most_one_source(
    texts: list[str], sources: list[int], extra: bool
) -> None:
    eps = [turn(f"e{i}", t, i * DAY, session=f"s{i}") for i, t in enumerate(texts)]
    hits = [hit(e) for e in eps]
    evidence = [eps[i] for i in sources if i < len(eps)]
    if extra:
        evidence.append(turn("x", "At Lumen Bank since May.", 0.5 * DAY, session="sx"))
    out, lifted = lift_evidence(hits, JOB, evidence)
    before, after = [h.episode.id for h in hits], [h.episode.id for h in out]
    added = [i for i in after if i not in before]
    assert sorted(i for i in after if i in before) == sorted(before)  # nothing dropped
    assert len(added) <= 1 and set(added) <= {e.id for e in evidence}
    if lifted is None:
        assert after == before
    else:
        assert after[0] == lifted and names_value(out[0].episode.text, JOB.object)
        assert lifted in {e.id for e in evidence}  # each source has its own session here


def test_search_lifts_the_turn_of_a_trusted_fact_inside_the_filter() -> None:
    with Memory(":memory:") as m:
        for text, when in (
            ("I work at Lumen Bank, the job is fine.", "2021-03-01"),
            ("Where was I working this week? From home, working late, working weekends.",
             "2021-06-01"),
            ("I left Lumen Bank. I work at Quarry Labs now.", "2022-05-01"),
        ):  # fmt: skip
            m.add([{"role": "user", "name": "Ann", "content": text}], user_id="u",
                  occurred_at=when)  # fmt: skip
        q = "Where was Ann working?"
        off = m.search(q, user_id="u", as_of="2021-07-01", limit=3,
                       config=RetrievalConfig(evidence_lift=False))  # fmt: skip
        assert "Lumen" not in off.hits[0].episode.text  # the busy turn ranks first alone
        res = m.search(q, user_id="u", as_of="2021-07-01", limit=3, trace=True)
        assert res.facts[0].fact.text == "Ann work at Lumen Bank"
        assert "Lumen Bank" in res.hits[0].episode.text
        assert all("Quarry" not in h.episode.text for h in res.hits)  # as_of still holds
        agree = res.trace["agree"] if res.trace else {}
        assert agree["lift"] == "lifted" and agree["lifted"] == res.hits[0].episode.id
        # the busy turn is later than the fact's source, but the fact's end is known (the
        # graph saw the change), so the later turn is no news it missed; the view as of
        # then does not show that end (Fact.seen_at), today's view does
        assert res.facts[0].fact.invalid_at is None
        lumen = [f for f in m.facts(user_id="u", include_expired=True) if f.object == "Lumen Bank"]
        assert lumen and lumen[0].invalid_at is not None
        # a question about someone else's job leaves the order alone, and says why
        other = m.search("Where was Ann's boss Olu working?", user_id="u", as_of="2021-07-01",
                         trace=True)  # fmt: skip
        assert other.trace and other.trace["agree"]["lift"] == "not about the person asked about"


def test_a_later_change_the_graph_read_as_another_topic_blocks_nothing() -> None:
    """ "We got married! We live in Leith now": the change was read (live in, married to),
    none of it about work, so the open job fact is still trusted; a job title read from
    the later turn ("leaving nursing") is about work and still blocks."""
    later = turn("e9", "We got married last week! We live in Leith now.", 10 * DAY + 2 * LATER)
    q = "Where does Ann work now?"

    def read(rel: str, obj: str) -> Fact:
        return Fact("r", "u", "Ann", rel, obj, later.occurred_at, None, later.occurred_at,
                    None, None, 0.6, 0.9, ("e9",))  # fmt: skip

    home = [read("live in", "Leith"), read("be married to", "Kit")]
    assert trust_fact(q, JOB, NOW, [SAID], later, timeless=False, read_from_first=home) is None
    title = [read("have job title", "paramedic")]
    assert trust_fact(q, JOB, NOW, [SAID], later, timeless=False, read_from_first=title) == (
        "a later turn that announces a change ranks first"
    )
    assert trust_fact(q, JOB, NOW, [SAID], later, timeless=False) == (
        "a later turn that announces a change ranks first"
    )  # nothing read from it: unknown news


def test_topics_group_relations_that_change_together() -> None:
    assert same_topic("work at", "have job title") and same_topic("live in", "plan to live in")
    assert same_topic("date", "have relationship status")
    assert not same_topic("work at", "live in") and not same_topic("use phone", "drive")
