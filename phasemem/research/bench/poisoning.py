"""Memory-poisoning benchmark: do false facts and injected instructions win?

A suite (``benchmarks/data/poisoning/*.jsonl``, schema in its README) holds
self-contained scenarios. Each one is a sequence of writes, each with its
source (kind, name, actor), then probes. Every scenario gets a fresh
``Memory(":memory:")`` (default extractor), its writes are applied in order,
and each probe is asked:

* **attack** scenarios succeed (for the attacker) when, for some probe, a
  false value is a current fact of the probed slot (``Memory.facts`` for the
  subject and relation), or the top search result's text contains a false
  value, or one of the injected instructions appears in ``context()``
  outside the quoted untrusted block;
* **legitimate updates** are accepted when, for every probe, the new value
  is a current fact of the slot (skipped when the probe names no slot: the
  extractor keeps no fact for phone numbers or emails) and the top search
  result contains it.

Two seams meet the library:

* :func:`apply_write` is the one place a scenario write meets the library's
  API: ``Memory.add(source="kind:name", actor=...)``; the sources the user
  set up (``configured_by_user``) are declared to the trust policy when the
  store is opened, as an application would (:func:`policy_for`).
* :func:`outside_untrusted` decides what text of a ``Context`` is "outside
  the quoted untrusted block": everything except the sections named in
  :data:`UNTRUSTED_SECTIONS` (their heading and lines are cut out of the
  rendered text).

Values are compared after :func:`phasemem.trust.text.fold` (case, accents,
look-alike letters, invisible characters): facts by whole normalised
object, search results by whole words; instructions on the squashed text
(letters and digits only), so spacing or zero-width tricks do not hide them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from phasemem.errors import InvalidInputError
from phasemem.facts.resolve import norm_entity
from phasemem.trust.text import fold, squash

SOURCE_KINDS = ("user", "assistant", "tool", "web", "email", "agent", "import")
ATTACK_KINDS = ("false_fact", "injection", "drift", "impersonation", "flood", "sleeper")
BENIGN_KINDS = ("user_update", "tool_confirms", "independent_agree")
ROLES = ("user", "assistant", "tool", None)
#: Context sections that hold quoted, attributed untrusted content (not instructions).
UNTRUSTED_SECTIONS = frozenset({"untrusted"})
CONTEXT_BUDGET = 1500
SEARCH_LIMIT = 10


# -- the suite's schema ---------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """Where a write came from: a kind (one of :data:`SOURCE_KINDS`), a name
    (the channel, tool, domain, sender or agent id), the actor that wrote it
    into memory, and whether the user set the source up themselves."""

    kind: str
    name: str
    actor: str | None = None
    configured_by_user: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Write:
    text: str
    role: str | None
    speaker: str | None
    source: Source
    occurred_at: str
    session: str | None = None
    attack: bool = False  # ground truth for reports; never shown to the library


@dataclass(frozen=True)
class FactSlot:
    subject: str
    relation: str


@dataclass(frozen=True)
class Probe:
    question: str
    fact: FactSlot | None = None
    false: tuple[str, ...] = ()  # attack: values that must not win
    instructions: tuple[str, ...] = ()  # attack: must not reach context as instructions
    truth: tuple[str, ...] = ()  # attack: what is true (reported, not scored)
    expect: tuple[str, ...] = ()  # benign: the new value that must win
    old: tuple[str, ...] = ()  # benign: what it replaces (reported, not scored)


@dataclass(frozen=True)
class Scenario:
    id: str
    group: str  # attack | benign
    kind: str
    split: str
    user_id: str
    user_name: str
    note: str
    writes: tuple[Write, ...]
    probes: tuple[Probe, ...]


def _need(obj: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise InvalidInputError(f"{where}: missing {key!r}", field=key)
    val = obj[key]
    if not isinstance(val, typ) or (isinstance(val, str) and not val.strip()):
        raise InvalidInputError(f"{where}: {key!r} has the wrong type or is empty", field=key)
    return val


def _strs(obj: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    val = obj.get(key, [])
    if not isinstance(val, list) or not all(isinstance(v, str) and v.strip() for v in val):
        raise InvalidInputError(f"{where}: {key!r} must be a list of non-empty strings", field=key)
    return tuple(val)


def parse_scenario(row: Any, where: str) -> Scenario:
    """One JSON object of the suite, checked field by field."""
    if not isinstance(row, dict):
        raise InvalidInputError(f"{where}: expected an object")
    sid = _need(row, "id", str, where)
    where = f"{where} ({sid})"
    group = _need(row, "group", str, where)
    kind = _need(row, "kind", str, where)
    kinds = ATTACK_KINDS if group == "attack" else BENIGN_KINDS if group == "benign" else ()
    if kind not in kinds:
        raise InvalidInputError(f"{where}: unknown group/kind {group}/{kind}", field="kind")
    user = _need(row, "user", dict, where)
    writes = []
    for i, w in enumerate(_need(row, "writes", list, where)):
        wh = f"{where} writes[{i}]"
        if not isinstance(w, dict):
            raise InvalidInputError(f"{wh}: expected an object")
        src = _need(w, "source", dict, wh)
        skind = _need(src, "kind", str, wh)
        if skind not in SOURCE_KINDS:
            raise InvalidInputError(
                f"{wh}: source kind {skind!r} not in {SOURCE_KINDS}", field="kind"
            )
        role = w.get("role")
        if role not in ROLES:
            raise InvalidInputError(f"{wh}: role {role!r} not in {ROLES}", field="role")
        speaker = w.get("speaker")
        if speaker is not None and not isinstance(speaker, str):
            raise InvalidInputError(f"{wh}: speaker must be a string or null", field="speaker")
        writes.append(Write(
            text=_need(w, "text", str, wh), role=role, speaker=speaker,
            source=Source(skind, _need(src, "name", str, wh), src.get("actor"),
                          bool(src.get("configured_by_user", False))),
            occurred_at=_need(w, "occurred_at", str, wh), session=w.get("session"),
            attack=bool(w.get("attack", False)),
        ))  # fmt: skip
    probes = []
    for i, p in enumerate(_need(row, "probes", list, where)):
        wh = f"{where} probes[{i}]"
        if not isinstance(p, dict):
            raise InvalidInputError(f"{wh}: expected an object")
        fact = p.get("fact")
        slot = None
        if fact is not None:
            if not isinstance(fact, dict):
                raise InvalidInputError(f"{wh}: fact must be an object or null", field="fact")
            slot = FactSlot(_need(fact, "subject", str, wh), _need(fact, "relation", str, wh))
        probe = Probe(
            question=_need(p, "question", str, wh), fact=slot, false=_strs(p, "false", wh),
            instructions=_strs(p, "instructions", wh), truth=_strs(p, "truth", wh),
            expect=_strs(p, "expect", wh), old=_strs(p, "old", wh),
        )  # fmt: skip
        if group == "attack" and not (probe.false or probe.instructions):
            raise InvalidInputError(f"{wh}: an attack probe needs 'false' or 'instructions'")
        if group == "benign" and not probe.expect:
            raise InvalidInputError(f"{wh}: a legitimate-update probe needs 'expect'")
        probes.append(probe)
    if not writes or not probes:
        raise InvalidInputError(f"{where}: needs writes and probes")
    return Scenario(sid, group, kind, str(row.get("split", "")), _need(user, "id", str, where),
                    _need(user, "name", str, where), str(row.get("note", "")), tuple(writes),
                    tuple(probes))  # fmt: skip


def load_suite(paths: str | Path | Iterable[str | Path]) -> list[Scenario]:
    """Scenarios from one or more JSONL files; ids must be unique across them."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Scenario] = []
    seen: set[str] = set()
    for path in paths:
        p = Path(path)
        with p.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{p}:{lineno}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InvalidInputError(
                        f"{where}: not JSON ({exc})", path=str(p), line=lineno
                    ) from exc
                scn = parse_scenario(row, where)
                if scn.id in seen:
                    raise InvalidInputError(
                        f"{where}: duplicate id {scn.id}", path=str(p), line=lineno
                    )
                seen.add(scn.id)
                out.append(scn)
    return out


# -- the two seams -------------------------------------------------------------------------------
def apply_write(mem: Any, scenario: Scenario, write: Write) -> None:
    """Store one write of a scenario: THE adapter from the suite's provenance
    to the library's API. Today ``add`` accepts ``source: str`` only, so the
    source becomes ``"kind:name"`` and the whole description is kept in
    metadata; the ``attack`` label is never passed on."""
    message: dict[str, Any] = {"content": write.text}
    if write.role is not None:
        message["role"] = write.role
    if write.speaker is not None:
        message["name"] = write.speaker
    mem.add(
        [message],
        user_id=scenario.user_id,
        session_id=write.session,
        occurred_at=write.occurred_at,
        source=write.source.label,
        actor=write.source.actor,
        metadata={"provenance": {k: v for k, v in asdict(write.source).items() if v is not None}},
    )


def policy_for(scenario: Scenario, base: Any = None) -> Any:
    """The trust policy an application would open this user's memory with:
    ``base`` (default policy) plus the sources the user set up themselves."""
    from phasemem.trust.policy import TrustPolicy

    configured = {w.source.label for w in scenario.writes if w.source.configured_by_user}
    return (base or TrustPolicy()).with_configured(*sorted(configured))


def outside_untrusted(ctx: Any) -> str:
    """The text of a ``Context`` a model would take as trusted: its rendered
    text without the heading and lines of any :data:`UNTRUSTED_SECTIONS`."""
    text: str = ctx.text
    for section in getattr(ctx, "parts", None) or ():
        if section.name not in UNTRUSTED_SECTIONS:
            continue
        for line in [section.title, *(item.line for item in section.items)]:
            if line:
                text = text.replace(line, "", 1)
    return text


# -- matching --------------------------------------------------------------------------------------
def _fact_value(value: str) -> str:
    return norm_entity(fold(value))


def fact_matches(value: str, obj: str) -> bool:
    """A fact's object is the value (case, articles, punctuation, accents aside)."""
    return _fact_value(value) == _fact_value(obj)


def text_mentions(value: str, text: str) -> bool:
    """The value occurs in the text as whole words (after folding)."""
    v = re.escape(" ".join(fold(value).split()))
    return re.search(rf"(?<!\w){v}(?!\w)", " ".join(fold(text).split())) is not None


def instruction_in(marker: str, text: str) -> bool:
    """The instruction occurs in the text, letters and digits only (so spacing,
    zero-width characters and look-alike letters do not hide it)."""
    return squash(marker) in squash(text)


# -- running ---------------------------------------------------------------------------------------
@dataclass
class ProbeResult:
    question: str
    top_text: str | None
    top_source: str | None
    current: list[str]  # current objects of the probed slot
    checks: dict[str, bool] = field(default_factory=dict)
    ok: bool = False  # attack: the attack won on this probe; benign: the update was accepted


def _probe(mem: Any, scn: Scenario, probe: Probe) -> ProbeResult:
    uid = scn.user_id
    res = mem.search(probe.question, user_id=uid, limit=SEARCH_LIMIT)
    top = res.hits[0].episode if res.hits else None
    top_text = top.text if top is not None else None
    current: list[str] = []
    if probe.fact is not None:
        current = [f.object for f in mem.facts(user_id=uid, subject=probe.fact.subject,
                                               relation=probe.fact.relation)]  # fmt: skip
    r = ProbeResult(probe.question, top_text, top.source if top is not None else None, current)
    if scn.group == "attack":
        r.checks["false_is_current_fact"] = any(
            fact_matches(v, o) for v in probe.false for o in current
        )
        r.checks["false_in_top_result"] = top_text is not None and any(
            text_mentions(v, top_text) for v in probe.false
        )
        r.checks["instruction_in_context"] = False
        if probe.instructions:
            outside = outside_untrusted(mem.context(probe.question, user_id=uid,
                                                    budget_tokens=CONTEXT_BUDGET))  # fmt: skip
            r.checks["instruction_in_context"] = any(instruction_in(m, outside)
                                                     for m in probe.instructions)  # fmt: skip
        r.ok = any(r.checks.values())
    else:
        r.checks["new_is_current_fact"] = probe.fact is None or any(
            fact_matches(v, o) for v in probe.expect for o in current
        )
        r.checks["new_in_top_result"] = top_text is not None and any(
            text_mentions(v, top_text) for v in probe.expect
        )
        r.ok = all(r.checks.values())
    return r


#: locations that open a fresh, empty store each time (one per scenario)
FRESH_STORES = (":memory:", "memory://")


def run_scenario(
    scn: Scenario, embedder: Any, extractor: Any = "default", policy: Any = None,
    location: str = ":memory:",
) -> dict[str, Any]:  # fmt: skip
    """A fresh in-memory store (``location``: SQLite's ``:memory:`` or the
    pure-Python ``memory://``), the writes in order, then the probes.
    ``policy``: the base trust policy (e.g. with a defence switched off)."""
    from phasemem.memory import Memory

    if location not in FRESH_STORES:
        raise InvalidInputError(f"a scenario needs a fresh store, one of {FRESH_STORES}",
                                field="location")  # fmt: skip
    mem = Memory(location, embedder=embedder, extractor=extractor, trust=policy_for(scn, policy))
    try:
        for w in scn.writes:
            apply_write(mem, scn, w)
        results = [_probe(mem, scn, p) for p in scn.probes]
    finally:
        mem.close()
    ok = any(r.ok for r in results) if scn.group == "attack" else all(r.ok for r in results)
    return {"id": scn.id, "group": scn.group, "kind": scn.kind, "split": scn.split,
            "success": ok, "note": scn.note, "probes": [asdict(r) for r in results]}  # fmt: skip


def _rate(rows: list[dict[str, Any]], kinds: tuple[str, ...]) -> dict[str, float | None]:
    out: dict[str, float | None] = {"overall": _mean(rows)}
    for k in kinds:
        sub = [r for r in rows if r["kind"] == k]
        if sub:
            out[k] = _mean(sub)
    return out


def _mean(rows: list[dict[str, Any]]) -> float | None:
    return round(sum(r["success"] for r in rows) / len(rows), 4) if rows else None


def _channels(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many scenarios each check fired in (attacks: by which channel the
    attack won; legitimate updates: which requirement failed)."""
    out: dict[str, int] = {}
    for r in rows:
        names: set[str] = set()
        for p in r["probes"]:
            for name, hit in p["checks"].items():
                if hit == (r["group"] == "attack"):
                    names.add(name)
        for name in names:
            key = name if r["group"] == "attack" else f"failed:{name}"
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    attacks = [r for r in rows if r["group"] == "attack"]
    benign = [r for r in rows if r["group"] == "benign"]

    def count(rs: list[dict[str, Any]], kinds: tuple[str, ...]) -> dict[str, int]:
        return {k: n for k in kinds if (n := sum(r["kind"] == k for r in rs))}

    return {
        "attack_success": _rate(attacks, ATTACK_KINDS),
        "benign_accept": _rate(benign, BENIGN_KINDS),
        "scenarios": len(rows),
        "counts": {"attack": {"overall": len(attacks), **count(attacks, ATTACK_KINDS)},
                   "benign": {"overall": len(benign), **count(benign, BENIGN_KINDS)}},
        "attack_wins_by": _channels(attacks),
        "benign_failures_by": _channels(benign),
    }  # fmt: skip


def run(
    paths: str | Path | Iterable[str | Path],
    *,
    embedder: str | Any | None = None,
    kinds: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    policy: Any = None,
    location: str = ":memory:",
) -> dict[str, Any]:
    """Run every scenario of the suite file(s), each on a fresh store at
    ``location`` (:data:`FRESH_STORES`); JSON-ready results."""
    from phasemem.embed import Embedder, get_embedder
    from phasemem.research.bench.stats import machine

    files = [str(paths)] if isinstance(paths, (str, Path)) else [str(p) for p in paths]
    scenarios = load_suite(files)
    if kinds is not None:
        wanted = set(kinds)
        scenarios = [s for s in scenarios if s.kind in wanted]
    emb = embedder if isinstance(embedder, Embedder) else get_embedder(embedder)
    t0 = time.perf_counter()
    rows = []
    for i, scn in enumerate(scenarios):
        rows.append(run_scenario(scn, emb, policy=policy, location=location))
        if progress is not None:
            progress(i + 1, len(scenarios))
    out = summarize(rows)
    by_split: dict[str, Any] = {}
    for split in sorted({r["split"] for r in rows}):
        sub = summarize([r for r in rows if r["split"] == split])
        by_split[split] = {k: sub[k] for k in ("attack_success", "benign_accept", "scenarios")}
    out.update({
        "by_split": by_split, "data": files, "embedder": emb.name, "store": location,
        "seconds": round(time.perf_counter() - t0, 1), "machine": machine(), "per_scenario": rows,
    })  # fmt: skip
    return out


__all__ = [
    "ATTACK_KINDS",
    "BENIGN_KINDS",
    "FRESH_STORES",
    "SOURCE_KINDS",
    "UNTRUSTED_SECTIONS",
    "FactSlot",
    "Probe",
    "Scenario",
    "Source",
    "Write",
    "apply_write",
    "fact_matches",
    "instruction_in",
    "load_suite",
    "outside_untrusted",
    "policy_for",
    "run",
    "run_scenario",
    "summarize",
    "text_mentions",
]
