"""retrieval.agree: facts re-scored by their evidence episode's rank, stale
episodes kept below the current fact's evidence; and search() end to end."""

from __future__ import annotations

from phasemem import Memory
from phasemem.facts.model import Fact, FactHit
from phasemem.models import Episode, SearchHit
from phasemem.retrieval.agree import demote_stale, evidence_of, rerank_facts

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
