"""Temporal resolution: a table of hand-checked cases plus property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phasemem.extract import resolve_temporal

WED = datetime(2023, 5, 10, 14, 0, tzinfo=UTC)  # a Wednesday in May
AUG = datetime(2023, 8, 15, 20, 0, tzinfo=UTC)  # a Tuesday in August
LEAP = datetime(2024, 2, 29, 18, 0, tzinfo=UTC)
JAN = datetime(2023, 1, 3, 8, 0, tzinfo=UTC)


def one(text: str, base: datetime = WED):
    got = resolve_temporal(text, base)
    assert len(got) == 1, got
    t = got[0]
    return (
        t.start.date().isoformat(),
        t.end.date().isoformat() if t.end else None,
        t.role,
        t.granularity,
    )


CASES = [
    # relative days
    ("I went there yesterday.", WED, ("2023-05-09", "2023-05-10", "at", "day")),
    ("today", WED, ("2023-05-10", "2023-05-11", "at", "day")),
    ("See you tomorrow!", WED, ("2023-05-11", "2023-05-12", "at", "day")),
    ("the day before yesterday", WED, ("2023-05-08", "2023-05-09", "at", "day")),
    ("last night", WED, ("2023-05-09", "2023-05-10", "at", "day")),
    # last/next/this month name: "last" is the most recent fully past one
    ("I moved last May.", WED, ("2022-05-01", "2022-06-01", "at", "month")),
    ("I moved last May.", AUG, ("2023-05-01", "2023-06-01", "at", "month")),
    ("next March", WED, ("2024-03-01", "2024-04-01", "at", "month")),
    ("this June", WED, ("2023-06-01", "2023-07-01", "at", "month")),
    ("since March", WED, ("2023-03-01", "2023-04-01", "since", "month")),
    ("since March", JAN, ("2022-03-01", "2022-04-01", "since", "month")),
    ("We're moving in July.", AUG, ("2024-07-01", "2024-08-01", "at", "month")),
    ("We moved in July.", AUG, ("2023-07-01", "2023-08-01", "at", "month")),
    # weekdays and weeks (weeks start on Monday)
    ("last Friday", WED, ("2023-05-05", "2023-05-06", "at", "day")),
    ("next Friday", WED, ("2023-05-12", "2023-05-13", "at", "day")),
    ("this Monday", WED, ("2023-05-08", "2023-05-09", "at", "day")),
    ("I saw it on Saturday", AUG, ("2023-08-12", "2023-08-13", "at", "day")),
    ("last week", WED, ("2023-05-01", "2023-05-08", "at", "week")),
    ("next week", WED, ("2023-05-15", "2023-05-22", "at", "week")),
    ("last weekend", WED, ("2023-05-06", "2023-05-08", "at", "weekend")),
    ("last month", JAN, ("2022-12-01", "2023-01-01", "at", "month")),
    ("next month", WED, ("2023-06-01", "2023-07-01", "at", "month")),
    ("last year", WED, ("2022-01-01", "2023-01-01", "at", "year")),
    ("this year", WED, ("2023-01-01", "2024-01-01", "at", "year")),
    # N units ago / in N units
    ("two weeks ago", WED, ("2023-04-26", None, "at", "week")),
    ("3 days ago", WED, ("2023-05-07", None, "at", "day")),
    ("a year ago", LEAP, ("2023-02-28", None, "at", "year")),
    ("six months ago", WED, ("2022-11-10", None, "at", "month")),
    ("a couple of years ago", WED, ("2021-05-10", None, "at", "year")),
    ("in two weeks", WED, ("2023-05-24", None, "at", "week")),
    ("for ten years", JAN, ("2013-01-03", "2023-01-03", "duration", "year")),
    # years, ranges, bounds
    ("in 2019", WED, ("2019-01-01", "2020-01-01", "at", "year")),
    ("in May 2021", WED, ("2021-05-01", "2021-06-01", "at", "month")),
    ("from 2019 to 2021", WED, ("2019-01-01", "2022-01-01", "range", "year")),
    ("between 2010 and 2012", WED, ("2010-01-01", "2013-01-01", "range", "year")),
    ("2015-2018", WED, ("2015-01-01", "2019-01-01", "range", "year")),
    ("until 2020", WED, ("2020-01-01", "2021-01-01", "until", "year")),
    ("since 2015", WED, ("2015-01-01", "2016-01-01", "since", "year")),
    ("in the 90s", WED, ("1990-01-01", "2000-01-01", "at", "decade")),
    ("late 2019", WED, ("2019-09-01", "2020-01-01", "at", "year")),
    # seasons (meteorological, northern hemisphere)
    ("last summer", AUG, ("2022-06-01", "2022-09-01", "at", "season")),
    ("last spring", AUG, ("2023-03-01", "2023-06-01", "at", "season")),
    ("the summer of 2019", WED, ("2019-06-01", "2019-09-01", "at", "season")),
    # explicit dates (dateparser)
    ("June 3rd, 2020", WED, ("2020-06-03", "2020-06-04", "at", "day")),
    ("on 03/15/2021", WED, ("2021-03-15", "2021-03-16", "at", "day")),
    ("3 March 1988", WED, ("1988-03-03", "1988-03-04", "at", "day")),
    ("2021-05-03", WED, ("2021-05-03", "2021-05-04", "at", "day")),
    ("the 5th of June 2001", WED, ("2001-06-05", "2001-06-06", "at", "day")),
    # pre-1900 and far future inside the calendar
    ("born in 1850", WED, ("1850-01-01", "1851-01-01", "at", "year")),
    ("in 3050", WED, ("3050-01-01", "3051-01-01", "at", "year")),
]


@pytest.mark.parametrize(("text", "base", "expected"), CASES, ids=[c[0] for c in CASES])
def test_resolves(text: str, base: datetime, expected: tuple) -> None:
    assert one(text, base) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I may go later",  # modal, not a month
        "We march on",
        "every Monday",  # recurring
        "Mondays are the worst.",
        "the year was great",
        "in the year 20000",  # outside the calendar: skipped, not guessed
        "March 3, 12000",
        "45th of Smarch",
        "I have 3 kids and 2 dogs",
        "",
        "   ",
        "🙂🙂🙂",
        "Wir leben seit 2019 in Hamburg.",  # no English cue for the year
        "I'll be away for two weeks",  # a future duration does not reach back
    ],
)
def test_no_time_phrase(text: str) -> None:
    assert resolve_temporal(text, WED) == []


def test_results_are_utc_and_spans_point_into_text() -> None:
    text = "We moved to Leeds last month and I started work on 06/01/2023, two weeks ago."
    got = resolve_temporal(text, WED)
    assert [t.text for t in got] == ["last month", "06/01/2023", "two weeks ago"]
    for t in got:
        assert text[t.span[0] : t.span[1]] == t.text
        assert t.start.tzinfo is UTC


def test_naive_and_other_timezones_are_treated_consistently() -> None:
    naive = datetime(2023, 5, 10, 14, 0)
    tokyo = datetime(2023, 5, 10, 23, 0, tzinfo=timezone(timedelta(hours=9)))  # same instant
    assert one("yesterday", naive) == one("yesterday", WED) == one("yesterday", tokyo)


def test_calendar_edges_do_not_crash() -> None:
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert resolve_temporal("last year, yesterday, two weeks ago, last May", first) == []
    assert resolve_temporal("next year, tomorrow, in two weeks, next May", last) == []
    assert one("in 2019", last)[0] == "2019-01-01"


BOUNDS = (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
_bases = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59), timezones=st.just(UTC)
)
_phrases = st.sampled_from(
    [
        "yesterday", "last May", "in 2019", "two weeks ago", "since March", "from 2019 to 2021",
        "until 2020", "next Friday", "last weekend", "for 5 years", "the 90s", "June 3rd, 2020",
        "03/15/2021", "last summer", "in 10000 years", "9999 years ago", "in 9999", "since 0001",
        "12/31/9999", "May 2021", "this winter", "late 2019", "the end of last year",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200), base=_bases)
def test_never_raises_on_arbitrary_text(text: str, base: datetime) -> None:
    for t in resolve_temporal(text, base):
        assert BOUNDS[0] <= t.start <= BOUNDS[1]
        assert t.end is None or t.start <= t.end
        assert text[t.span[0] : t.span[1]] == t.text


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_phrases, min_size=1, max_size=4), base=_bases, filler=st.text(max_size=20))
def test_known_phrases_stay_in_calendar_for_any_base(
    parts: list[str], base: datetime, filler: str
) -> None:
    text = f" {filler} ".join(parts)
    for t in resolve_temporal(text, base):
        assert 1 <= t.start.year <= 9999
        assert t.end is None or (t.start <= t.end and t.end.year <= 9999)


def test_the_tense_of_another_clause_does_not_move_a_month() -> None:
    """A future cue decides "June" only in its own clause: after ", so" or
    ", but" another clause begins."""
    base = datetime(2021, 7, 22, 12, tzinfo=UTC)

    def month_start(text: str) -> tuple[int, int]:
        (t,) = resolve_temporal(text, base)
        return t.start.year, t.start.month

    assert month_start("I went vegan in June, so I'm cooking more.") == (2021, 6)
    assert month_start("I went vegan in June, but now I'm eating fish.") == (2021, 6)
    assert month_start("In June, I'm moving to Berlin.") == (2022, 6)  # same clause: future
    assert month_start("We're moving in June, so I'm packing.") == (2022, 6)
