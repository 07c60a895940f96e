"""Ended roles and employers end their facts; new ones start (issue 12 item 17).

"I quit nursing. I now work at Brightline as a data analyst" used to leave
``work as | nurse`` current, and "I left Tidewater and joined the climate lab"
gave no new job. Names and places here are invented for the tests; each case is
one phrasing of a general pattern (an ending verb + a field of work, a workplace
noun after "join", "my last day at X" ...).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phasemem import Memory
from phasemem.extract import ANY_OBJECT, ExtractionInput, RuleExtractor

WHEN = datetime(2023, 5, 10, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def facts(rules: RuleExtractor, text: str) -> set[tuple[str, str, str, bool]]:
    ex = rules.extract(ExtractionInput(text, "Ines", WHEN, "Assistant"))
    return {(f.subject, f.relation, f.object, f.negated) for f in ex.facts}


ENDED_ROLES = [
    ("I quit nursing.", "nurse"),
    ("I quit teaching last year.", "teacher"),
    ("I gave up accounting.", "accountant"),
    ("I retired from teaching in 2020.", "teacher"),
    ("I've left teaching for good.", "teacher"),
    ("I stopped tutoring when the baby came.", "tutor"),
    ("I'm done with nursing.", "nurse"),
    ("I quit social work after ten years.", "social worker"),
    ("I quit my job as a pharmacist.", "pharmacist"),
    ("I don't work as a nurse anymore.", "nurse"),
    ("I'm no longer a teacher.", "teacher"),
]


@pytest.mark.parametrize(("text", "role"), ENDED_ROLES)
def test_an_ended_role_is_a_negated_work_as_fact(
    rules: RuleExtractor, text: str, role: str
) -> None:
    assert ("Ines", "work as", role, True) in facts(rules, text)


ENDED_EMPLOYERS = [
    ("I left Tidewater last month.", "Tidewater"),
    ("I resigned from Ardent Labs.", "Ardent Labs"),
    ("I was laid off from Globex in March.", "Globex"),
    ("I got fired from Pinecrest.", "Pinecrest"),
    ("I retired from Boeing two years ago.", "Boeing"),
    ("I stopped working at the bakery.", "bakery"),
    ("I no longer work at Initech.", "Initech"),
    ("Friday was my last day at Hooli.", "Hooli"),
    ("My last day at Vandelay was yesterday.", "Vandelay"),
    ("I gave up my job at the bank.", "bank"),
]


@pytest.mark.parametrize(("text", "employer"), ENDED_EMPLOYERS)
def test_an_ended_employer_is_a_negated_work_at_fact(
    rules: RuleExtractor, text: str, employer: str
) -> None:
    assert ("Ines", "work at", employer, True) in facts(rules, text)


@pytest.mark.parametrize(
    "text", ["I quit my job.", "I'm done with this job.", "I got laid off.", "I retired."]
)
def test_an_unnamed_ending_closes_any_employer(rules: RuleExtractor, text: str) -> None:
    assert ("Ines", "work at", ANY_OBJECT, True) in facts(rules, text)


NEW_JOBS = [
    ("I joined the climate lab.", {("Ines", "work at", "climate lab", False)}),
    ("I joined Ardent as a designer.",
     {("Ines", "work at", "Ardent", False), ("Ines", "work as", "designer", False)}),
    ("I started at Globex last week.", {("Ines", "work at", "Globex", False)}),
    ("Today is my first day at Brightline!", {("Ines", "work at", "Brightline", False)}),
    ("I was hired as a data analyst at Brightline.",
     {("Ines", "work as", "data analyst", False), ("Ines", "work at", "Brightline", False)}),
    ("I got promoted to senior engineer.", {("Ines", "work as", "senior engineer", False)}),
    ("I teach geography at a secondary school.",
     {("Ines", "work as", "teacher", False), ("Ines", "work at", "secondary school", False)}),
    ("I left Tidewater and joined the climate lab.",
     {("Ines", "work at", "Tidewater", True), ("Ines", "work at", "climate lab", False)}),
    ("I left Acme to join Globex.",
     {("Ines", "work at", "Acme", True), ("Ines", "work at", "Globex", False)}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), NEW_JOBS)
def test_new_jobs(rules: RuleExtractor, text: str, expected: set) -> None:
    assert facts(rules, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I joined a gym.",
        "I joined the Harbour Rowing Club.",
        "I gave up smoking.",
        "I teach my nephew chess.",
        "I'm done with the dishes.",
        "My last day of holiday was great.",
        "I taught a yoga class yesterday.",
    ],
)
def test_not_jobs(rules: RuleExtractor, text: str) -> None:
    assert not {f for f in facts(rules, text) if f[1] in ("work at", "work as")}


def test_quit_nursing_then_new_job(rules: RuleExtractor) -> None:
    got = facts(rules, "I quit nursing. I now work at Brightline as a data analyst.")
    assert got == {
        ("Ines", "work as", "nurse", True),
        ("Ines", "work at", "Brightline", False),
        ("Ines", "work as", "data analyst", False),
    }


# ---------------------------------------------------------------------- end to end


@pytest.fixture
def mem() -> Memory:
    m = Memory(":memory:", embedder="hash-test")
    yield m
    m.close()


def _say(m: Memory, text: str, when: str) -> None:
    m.add([{"role": "user", "name": "Ines", "content": text}], user_id="ines", session_id="s",
          occurred_at=when)  # fmt: skip


def _current(m: Memory, relation: str, as_of: str | None = None) -> list[str]:
    return sorted(f.object for f in m.facts(user_id="ines", relation=relation, as_of=as_of))


def test_quitting_a_role_ends_it_in_the_store(mem: Memory) -> None:
    _say(mem, "I'm a nurse at St Anne's.", "2021-03-01")
    assert _current(mem, "work as") == ["nurse"]
    _say(mem, "I quit nursing. I now work at Brightline as a data analyst.", "2023-02-01")
    assert _current(mem, "work as") == ["data analyst"]
    assert _current(mem, "work at") == ["Brightline"]
    assert _current(mem, "work as", as_of="2022-06-01") == ["nurse"]


def test_leaving_an_employer_and_joining_a_lab(mem: Memory) -> None:
    _say(mem, "I work at Tidewater.", "2020-01-15")
    _say(mem, "I left Tidewater and joined the climate lab.", "2022-09-01")
    assert _current(mem, "work at") == ["climate lab"]
    assert _current(mem, "work at", as_of="2021-01-01") == ["Tidewater"]


def test_an_ending_alone_leaves_no_current_job(mem: Memory) -> None:
    _say(mem, "I'm a teacher.", "2019-09-01")
    _say(mem, "I work at Maplewood High.", "2019-09-01")
    _say(mem, "I retired from teaching.", "2023-01-10")
    _say(mem, "Friday was my last day at Maplewood High.", "2023-01-10")
    assert _current(mem, "work as") == []
    assert _current(mem, "work at") == []
    assert _current(mem, "work as", as_of="2022-01-01") == ["teacher"]
    assert _current(mem, "work at", as_of="2022-01-01") == ["Maplewood High"]
