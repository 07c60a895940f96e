"""Find time phrases in text and resolve them against a base time.

Why not dateparser alone: it resolves explicit calendar dates well ("June 3rd,
2020", "03/15/2021") but returns None for most relative phrases people use in
chat ("last May", "since March", "the summer", "for ten years") and its
``search_dates`` turns the modal verb "may" into a month. So this module finds
candidate phrases with small regular expressions, resolves relative phrases
with plain calendar arithmetic, and hands explicit day-precise dates to
dateparser.

Conventions (see ``docs/extraction.md``): weeks start on Monday; seasons are
meteorological (northern hemisphere); "last X" is the most recent *fully past*
X; a bare month/weekday/season is the most recent one unless the sentence has a
future cue ("will", "going to", "we're moving ..."), then the next one. Years
outside 1..9999 and phrases that do not resolve are skipped, never guessed.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from phasemem.extract.types import TemporalExpression, TemporalRole

log = logging.getLogger(__name__)

__all__ = ["resolve_temporal", "to_utc"]

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {
    d: i
    for i, d in enumerate(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    )
}
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}  # start month
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3,
}  # fmt: skip

_MONTH_RE = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_WEEKDAY_RE = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_NUM_RE = (
    r"(?:\d{1,4}|a\s+couple(?:\s+of)?|couple\s+of|a\s+few|few|an?|one|two|three|four|five"
    r"|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty)"
)
_UNIT_RE = r"(?:day|week|month|year|decade)s?"
_ORD = r"(?:st|nd|rd|th)?"
# Month words that are also ordinary English words: need a capital or a cue.
_AMBIGUOUS_MONTHS = {"may", "march", "mar", "jan", "sep", "oct", "dec", "jun", "jul", "aug", "apr"}
_YEAR_CUE_RE = re.compile(
    r"(?:\b(?:in|since|until|till|til|from|to|by|of|during|before|after|through|thru|between"
    r"|and|around|circa|year|early|mid|late|summer|winter|spring|fall|autumn)\s*|[-–—]\s*)$",
    re.IGNORECASE,
)
_FUTURE_RE = re.compile(
    r"\b(?:will|shall|going\s+to|gonna|plan(?:s|ning)?\s+to|planning|next|upcoming|soon"
    r"|tomorrow|can't\s+wait|looking\s+forward)\b|'ll\b"
    r"|\b(?:i'm|i\s+am|we're|we\s+are|they're|he's|she's|is|are|am)\s+\w+ing\b",
    re.IGNORECASE,
)
_ROLE_RE = re.compile(
    r"\b(ever\s+since|since|until|till|til|through|thru|before|after|from|between|by)\s+$",
    re.IGNORECASE,
)
_MODIFIER_RE = re.compile(
    r"\b(early|mid|late|(?:the\s+)?(?:end|beginning|start|middle)\s+of(?:\s+the)?)[\s-]+$",
    re.IGNORECASE,
)
_RANGE_JOIN_RE = re.compile(r"^\s*(?:to|until|till|through|thru|and|-|–|—)\s*$", re.IGNORECASE)
#: where a clause ends: a sentence end, a semicolon, or a comma before a conjunction that
#: opens a clause of its own ("..., so I'm looking", "..., but now I'm")
_CLAUSE_END_RE = re.compile(
    r"[.!?\n;]|,\s+(?:so|but|and|because|although|though|while|whereas)\b", re.IGNORECASE
)
_CUE_RE = re.compile(
    rf"\d|\b(?:{_MONTH_RE}|{_WEEKDAY_RE}|yesterday|today|tonight|tomorrow|ago|night|morning|afternoon"
    r"|evening|weekend|day|week|month|year|decade|spring|summer|fall|autumn|winter|nineties)",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Atom:
    start: int
    end: int
    lo: date
    hi: date | None
    gran: str
    role: TemporalRole = "at"
    exact_hi: datetime | None = None  # "for N years" ends at the base instant


@dataclass(slots=True)
class _Ctx:
    text: str
    base: datetime  # UTC
    day: date  # base date

    def future(self, pos: int) -> bool:
        """Whether the clause around ``pos`` talks about the future. A clause,
        not the sentence: in "I went vegan in June, so I'm cooking more" the
        progressive after ", so" says nothing about when June was."""
        left = max((m.end() for m in _CLAUSE_END_RE.finditer(self.text, 0, pos)), default=0)
        m = _CLAUSE_END_RE.search(self.text, pos)
        right = m.start() if m else len(self.text)
        return _FUTURE_RE.search(self.text, left, right) is not None


# --------------------------------------------------------------------------- calendar


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    last = (
        (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
        if (year < 9999 or month < 12)
        else 31
    )
    return date(year, month, min(d.day, last))


def _month_span(y: int, m: int) -> tuple[date, date]:
    lo = date(y, m, 1)
    return lo, _add_months(lo, 1)


def _year_span(y: int) -> tuple[date, date]:
    return date(y, 1, 1), date(y + 1, 1, 1)


def _season_span(y: int, name: str) -> tuple[date, date]:
    lo = date(y, _SEASONS[name], 1)
    return lo, _add_months(lo, 3)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _pick(spans: Callable[[int], tuple[date, date]], day: date, rel: str, future: bool):
    """Choose one yearly instance of a month/season relative to ``day``.

    ``last``: most recent fully past; ``next``: first starting after ``day``;
    ``this``: the one containing ``day`` or else the one in this year; bare:
    containing or most recent (future: containing or next).
    """
    cands = [spans(y) for y in (day.year - 2, day.year - 1, day.year, day.year + 1, day.year + 2)
             if 1 <= y <= 9998]  # fmt: skip
    if rel in ("last", "past", "previous"):
        past = [c for c in cands if c[1] <= day]
        return past[-1] if past else None
    if rel in ("next", "coming"):
        nxt = [c for c in cands if c[0] > day]
        return nxt[0] if nxt else None
    containing = [c for c in cands if c[0] <= day < c[1]]
    if containing:
        return containing[0]
    if rel == "this":
        same = [c for c in cands if c[0].year == day.year]
        return same[0] if same else None
    if future:
        nxt = [c for c in cands if c[0] > day]
        return nxt[0] if nxt else None
    past = [c for c in cands if c[0] <= day]
    return past[-1] if past else None


def _num(word: str) -> int | None:
    word = re.sub(r"\s+", " ", word.lower().strip())
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word)


def _shift(day: date, n: int, unit: str) -> date:
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return day + timedelta(days=n)
    if unit == "week":
        return day + timedelta(weeks=n)
    months = {"month": 1, "year": 12, "decade": 120}[unit]
    return _add_months(day, n * months)


# --------------------------------------------------------------------------- dateparser


@functools.lru_cache(maxsize=4096)
def _dateparse(text: str, base_day: date, prefer: str) -> date | None:
    """Parse an explicit calendar date with dateparser (lazy import, cached)."""
    try:
        import dateparser

        base = datetime(base_day.year, base_day.month, base_day.day, 12)
        got = dateparser.parse(
            text,
            languages=["en"],
            settings={
                "RELATIVE_BASE": base,
                "PREFER_DATES_FROM": prefer,
                "REQUIRE_PARTS": ["day", "month"],
                "STRICT_PARSING": False,
            },
        )
    except Exception as exc:  # dateparser raises many types on odd input; never propagate
        log.debug("dateparser failed on %r: %s", text, exc)
        return None
    return got.date() if got is not None else None


# --------------------------------------------------------------------------- atom handlers


def _h_day_word(m: re.Match[str], c: _Ctx):
    w = re.sub(r"\s+", " ", m.group(0).lower())
    offset = {"yesterday": -1, "last night": -1, "tomorrow": 1, "the day before yesterday": -2,
              "the day after tomorrow": 2}.get(w, 0)  # fmt: skip
    d = c.day + timedelta(days=offset)
    return d, d + timedelta(days=1), "day"


def _h_ago(m: re.Match[str], c: _Ctx):
    n = _num(m.group("n"))
    if n is None:
        return None
    unit = m.group("u").lower().rstrip("s")
    return _shift(c.day, -n, unit), None, unit


def _h_in_future(m: re.Match[str], c: _Ctx):
    n = _num(m.group("n"))
    if n is None:
        return None
    unit = m.group("u").lower().rstrip("s")
    return _shift(c.day, n, unit), None, unit


def _h_duration(m: re.Match[str], c: _Ctx):
    n = _num(m.group("n"))
    if n is None or c.future(m.start()):
        return None  # "I'll be away for two weeks" does not reach back from the base
    unit = m.group("u").lower().rstrip("s")
    return _shift(c.day, -n, unit), c.day, unit


def _h_past_unit(m: re.Match[str], c: _Ctx):
    unit = m.group("u").lower()
    return _shift(c.day, -1, unit), c.day, unit


def _h_rel_unit(m: re.Match[str], c: _Ctx):
    rel = re.sub(r"\s+", " ", m.group("rel").lower())
    unit = m.group("u").lower()
    step = {"last": -1, "previous": -1, "this past": -1, "next": 1, "coming": 1,
            "the following": 1, "this": 0, "the": None, "over the": None, "on the": None}[rel]  # fmt: skip
    if step is None and unit != "weekend":
        return None  # "the year", "the month": not a time phrase on their own
    d = c.day
    if unit in ("week", "weekend"):
        mon = _monday(d)
        if step is None:  # "over the weekend": the current one if we are in it, else per tense
            in_it = unit == "week" or d.weekday() >= 5
            step = 0 if in_it else (1 if c.future(m.start()) else -1)
        lo = mon + timedelta(weeks=step)
        if unit == "weekend":
            lo += timedelta(days=5)
            return lo, lo + timedelta(days=2), "weekend"
        return lo, lo + timedelta(days=7), "week"
    step = step or 0
    if unit == "month":
        lo = _add_months(date(d.year, d.month, 1), step)
        return lo, _add_months(lo, 1), "month"
    if unit == "year":
        return (*_year_span(d.year + step), "year")
    lo = date(d.year - d.year % 10 + 10 * step, 1, 1)  # decade
    return lo, date(lo.year + 10, 1, 1), "decade"


def _h_weekday(m: re.Match[str], c: _Ctx):
    rel = (m.group("rel") or "").lower()
    wd = _WEEKDAYS[m.group("wd").lower()]
    d = c.day
    if rel == "this":
        x = _monday(d) + timedelta(days=wd)
    elif rel == "next" or (rel in ("", "on") and c.future(m.start())):
        x = d + timedelta(days=(wd - d.weekday()) % 7 or 7)
    else:  # last / bare past: most recent strictly before today
        x = d - timedelta(days=(d.weekday() - wd) % 7 or 7)
    return x, x + timedelta(days=1), "day"


def _h_month(m: re.Match[str], c: _Ctx):
    word = m.group("m")
    rel = (m.group("rel") or "").lower()
    if not rel and not _month_word_ok(word, c.text, m.start()):
        return None
    month = _MONTHS[word.lower().rstrip(".")]
    got = _pick(lambda y: _month_span(y, month), c.day, rel, c.future(m.start()))
    return (*got, "month") if got else None


def _h_month_year(m: re.Match[str], c: _Ctx):
    year = int(m.group("y"))
    if year < 1:
        return None
    return (*_month_span(year, _MONTHS[m.group("m").lower().rstrip(".")]), "month")


def _h_explicit_day(m: re.Match[str], c: _Ctx):
    if m.groupdict().get("m") and not _month_word_ok(m.group("m"), c.text, m.start(), True):
        return None
    prefer = "future" if c.future(m.start()) else "past"
    got = _dateparse(m.group(0).strip(" ,"), c.day, prefer)
    if got is None:
        return None
    return got, got + timedelta(days=1), "day"


def _h_iso(m: re.Match[str], c: _Ctx):
    d = date(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
    return d, d + timedelta(days=1), "day"


def _h_season(m: re.Match[str], c: _Ctx):
    name = m.group("s").lower()
    if m.group("y"):
        return (*_season_span(int(m.group("y")), name), "season")
    rel = (m.group("rel") or "").lower()
    if not rel and not m.group("the"):
        return None  # "summer" alone is usually not a time ("summer camp", "fall down")
    got = _pick(lambda y: _season_span(y, name), c.day, rel, c.future(m.start()))
    return (*got, "season") if got else None


def _h_year(m: re.Match[str], c: _Ctx):
    if not _YEAR_CUE_RE.search(c.text, 0, m.start()) and m.start() != 0:
        return None
    year = int(m.group("y"))
    if year < 1000:
        return None
    return (*_year_span(year), "year")


def _h_decade(m: re.Match[str], c: _Ctx):
    y = int(m.group("y"))
    if y < 100:
        y = 2000 + y if 2000 + y <= c.day.year else 1900 + y
    if y % 10 or y < 1:
        return None
    return date(y, 1, 1), date(y + 10, 1, 1), "decade"


def _month_word_ok(word: str, text: str, pos: int, has_day: bool = False) -> bool:
    """Reject "may"/"march"/... used as ordinary words ("I may go")."""
    if word.lower().rstrip(".") not in _AMBIGUOUS_MONTHS:
        return True
    if word[:1].isupper() and (pos > 0 or has_day or word.lower() != "may"):
        return True
    return re.search(r"\b(?:in|since|until|till|of|from|to|early|late|mid|by|during)\s+$",
                     text[:pos], re.IGNORECASE) is not None  # fmt: skip


_F = re.IGNORECASE
_HANDLERS: list[tuple[re.Pattern[str], Callable[[re.Match[str], _Ctx], tuple | None]]] = [
    (re.compile(r"\b(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\b"), _h_iso),
    (re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})(?![\d/.]\d)"), _h_explicit_day),
    (re.compile(rf"\b(?:the\s+)?\d{{1,2}}{_ORD}\s+(?:of\s+)?(?P<m>{_MONTH_RE})\b\.?(?:,?\s+\d{{4}})?(?!,?\s*\d)", _F), _h_explicit_day),
    (re.compile(rf"\b(?P<m>{_MONTH_RE})\b\.?\s+(?:the\s+)?\d{{1,2}}{_ORD}(?!\d)(?:,?\s+\d{{4}})?(?!,?\s*\d)", _F), _h_explicit_day),
    (re.compile(rf"\b(?P<m>{_MONTH_RE})\b\.?,?\s+(?:of\s+)?(?P<y>\d{{4}})(?!\d)", _F), _h_month_year),
    (re.compile(rf"\b(?:(?P<rel>last|next|this|past|coming)\s+)?(?P<m>{_MONTH_RE})\b(?!\s*\d)", _F), _h_month),
    (re.compile(r"\b(?:(?P<rel>last|next|this|past|coming)\s+)?(?P<the>the\s+)?(?P<s>spring|summer|fall|autumn|winter)(?:\s+(?:of\s+)?(?P<y>\d{4})(?!\d))?\b", _F), _h_season),
    (re.compile(r"\b(?:the\s+day\s+(?:before\s+yesterday|after\s+tomorrow)|yesterday|today|tonight|tomorrow|last\s+night|this\s+(?:morning|afternoon|evening))\b", _F), _h_day_word),
    (re.compile(rf"\b(?P<n>{_NUM_RE})\s+(?P<u>{_UNIT_RE})\s+ago\b", _F), _h_ago),
    (re.compile(rf"\bin\s+(?P<n>{_NUM_RE})\s+(?P<u>{_UNIT_RE})\b(?!\s+ago)", _F), _h_in_future),
    (re.compile(rf"\bfor\s+(?:(?:over|about|almost|nearly|around|more\s+than|the\s+(?:past|last))\s+)?(?P<n>{_NUM_RE})\s+(?P<u>{_UNIT_RE})\b(?!\s+ago)", _F), _h_duration),
    (re.compile(r"\b(?:the\s+)?past\s+(?P<u>week|month|year|decade)\b", _F), _h_past_unit),
    (re.compile(r"\b(?P<rel>last|next|this\s+past|this|previous|coming|the\s+following|over\s+the|on\s+the|the)\s+(?P<u>weekend|week|month|year|decade)\b", _F), _h_rel_unit),
    (re.compile(rf"\b(?:(?P<rel>last|next|this|on)\s+)?(?P<wd>{_WEEKDAY_RE})\b", _F), _h_weekday),
    (re.compile(r"\bthe\s+(?P<y>\d{2}|\d{4})'?s\b", _F), _h_decade),
    (re.compile(r"(?<![\d/.])(?<!\d-)\b(?P<y>\d{4})\b(?![/.-]?\d)(?!\s*(?:am|pm|%|dollars|\$))", _F), _h_year),
]  # fmt: skip
_YEAR_RANGE_RE = re.compile(r"\b(?P<a>\d{4})\s*[-–—]\s*(?P<b>\d{4}|\d{2})\b(?![/.-]?\d)")
_EVERY_RE = re.compile(r"\b(?:every|each)\s+$", re.IGNORECASE)
_NARROW = {"early": 0, "beginning": 0, "start": 0, "mid": 1, "middle": 1, "late": 2, "end": 2}


def to_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _dt(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _find_atoms(c: _Ctx) -> list[_Atom]:
    found: list[_Atom] = []
    for m in _YEAR_RANGE_RE.finditer(c.text):
        a, b = int(m.group("a")), m.group("b")
        bb = int(b) if len(b) == 4 else a - a % 100 + int(b)
        if 1000 <= a < bb <= 9998:
            found.append(
                _Atom(m.start(), m.end(), date(a, 1, 1), date(bb + 1, 1, 1), "year", "range")
            )
    for pattern, handler in _HANDLERS:
        for m in pattern.finditer(c.text):
            if _EVERY_RE.search(c.text, 0, m.start()):
                continue  # "every Monday", "each May": recurring, not a time
            try:
                got = handler(m, c)
            except (ValueError, OverflowError, KeyError):
                got = None  # out of the calendar's range (year < 1 or > 9999)
            if got is not None:
                found.append(_Atom(m.start(), m.end(), got[0], got[1], got[2]))
                if handler is _h_duration:
                    found[-1].role, found[-1].exact_hi = "duration", c.base
    found.sort(key=lambda a: (a.start, -(a.end - a.start)))
    chosen: list[_Atom] = []
    for atom in found:  # longest-first, left-to-right, no overlaps
        if not chosen or atom.start >= chosen[-1].end:
            chosen.append(atom)
    return chosen


def _apply_modifiers(c: _Ctx, atoms: list[_Atom]) -> None:
    for a in atoms:
        if a.role != "at" or a.hi is None or a.gran not in ("month", "season", "year", "decade"):
            continue
        m = _MODIFIER_RE.search(c.text, 0, a.start)
        if not m:
            continue
        key = re.sub(r"^the\s+|\s+of.*$", "", m.group(1).lower())
        part, third = _NARROW[key], (a.hi - a.lo) / 3
        lo = a.lo + third * part
        a.lo, a.hi, a.start = lo, (a.hi if part == 2 else lo + third), m.start()


_WORD_ROLES: dict[str, TemporalRole] = {
    "ever since": "since", "since": "since", "from": "since", "before": "before",
    "by": "before", "after": "after", "between": "at",
}  # fmt: skip


def _apply_roles(c: _Ctx, atoms: list[_Atom]) -> list[_Atom]:
    out: list[_Atom] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        m = _ROLE_RE.search(c.text, 0, a.start) if a.role == "at" else None
        word = re.sub(r"\s+", " ", m.group(1).lower()) if m else ""
        if word in ("from", "between") and i + 1 < len(atoms):
            b = atoms[i + 1]
            if m is not None and _RANGE_JOIN_RE.match(c.text[a.end : b.start]):
                out.append(_Atom(m.start(), b.end, a.lo, b.hi or b.lo, a.gran, "range"))
                i += 2
                continue
        if m:
            role: TemporalRole = _WORD_ROLES.get(word, "until")
            a.role, a.start = role, m.start()
        out.append(a)
        i += 1
    return out


def resolve_temporal(text: str, base: datetime) -> list[TemporalExpression]:
    """Find and resolve the time phrases in ``text`` relative to ``base``.

    Never raises on odd text; phrases that cannot be resolved inside years
    1..9999 are left out. ``base`` may be naive (taken as UTC). Results are in
    text order; see :data:`phasemem.extract.types.TemporalRole` for ``role``.
    """
    if not isinstance(text, str) or not _CUE_RE.search(text):
        return []  # no digit, month, weekday or time word: nothing to find
    base = to_utc(base)
    c = _Ctx(text=text[:20_000], base=base, day=base.date())
    atoms = _find_atoms(c)
    _apply_modifiers(c, atoms)
    out: list[TemporalExpression] = []
    for a in _apply_roles(c, atoms):
        try:
            start = _dt(a.lo)
            end = a.exact_hi if a.exact_hi is not None else (_dt(a.hi) if a.hi else None)
        except (ValueError, OverflowError):
            continue
        out.append(TemporalExpression(c.text[a.start : a.end], (a.start, a.end), start, end,
                                      a.gran, a.role))  # fmt: skip
    return out
