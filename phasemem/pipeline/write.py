"""The write path: drafts -> embedding -> extraction -> one store transaction.

Steps, in the order data flows (nothing here reads back up into ``Memory``):

1. **context reads** (before the transaction): the turn before the batch in
   its session, which a reply embeds after (``embed_context``) and which a
   short answer needs to mean anything ("A Pixel 7" answers "What phone is it?");
2. **embedding** of each turn (with its speaker), in a worker thread while
3. **extraction** (:class:`~phasemem.facts.prepare.FactPreparer`) runs in the
   caller's: facts with their relation's speed prior and vector, and how many
   time expressions each turn holds (answers to "when" questions sit in such
   turns). The embedder releases the GIL inside onnxruntime and the parser is
   mostly Python, so the two share two cores instead of taking turns;
4. **provenance and quarantine**: each episode carries its source's kind,
   name and actor (:mod:`phasemem.provenance`); text that addresses the
   model (:func:`phasemem.trust.injection.detect`, at the policy's threshold
   for the source's kind) is quarantined: the finding is stored with it and
   no facts are drawn from it;
5. **one transaction** in the store: episodes inserted, and each fact's
   ADD/UPDATE/DELETE/NOOP decided by :func:`phasemem.facts.decide.decide` on
   the slot as it stands inside that transaction.

The caller (the facade) syncs the mirror afterwards.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from phasemem.embed.base import Embedder
from phasemem.facts.prepare import FactPreparer
from phasemem.ingest import Draft, content_hash, vague_time_cues
from phasemem.models import AddResult, Episode
from phasemem.provenance import Provenance
from phasemem.store.base import EpisodeReader, EpisodeWriter, NewEpisode
from phasemem.timeutil import from_ts
from phasemem.trust.policy import TrustPolicy


class WriteTarget(EpisodeReader, EpisodeWriter, Protocol):
    """What the write path uses of the store (a structural type, see store.base)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Where new episodes go and who wrote them."""

    user_id: str
    agent_id: str | None = None
    session_id: str | None = None
    source: str | None = None
    provenance: Provenance | None = None


def embed_text(text: str, speaker: str | None, prev: tuple[str | None, str] | None = None) -> str:
    """What the dense index sees: the turn with its speaker, after the previous
    turn of the session when asked (a reply means little without what it
    answers; this lifted dense recall@10 on LoCoMo dev from 0.46 to 0.50)."""
    own = f"{speaker}: {text}" if speaker else text
    if prev is None:
        return own
    p_speaker, p_text = prev
    p_text = p_text[:400]
    return f"{p_speaker}: {p_text} {own}" if p_speaker else f"{p_text} {own}"


#: Workers that embed an add's turns while its extraction runs; shared by
#: every pipeline of the process (a few, so concurrent writers do not queue).
_EMBED_POOL: ThreadPoolExecutor | None = None
_EMBED_POOL_LOCK = threading.Lock()


def _embed_pool() -> ThreadPoolExecutor:
    global _EMBED_POOL
    with _EMBED_POOL_LOCK:
        if _EMBED_POOL is None:
            _EMBED_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="phasemem-write")
        return _EMBED_POOL


class WritePipeline:
    def __init__(
        self,
        store: WriteTarget,
        embedder: Embedder,
        facts: FactPreparer | None,
        *,
        embed_context: bool = False,
        actor: str | None = None,
        policy: TrustPolicy | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.facts = facts
        self.embed_context = embed_context
        self.actor = actor
        self.policy = policy or TrustPolicy()

    def add(self, drafts: Sequence[Draft], scope: Scope) -> list[AddResult]:
        """Store validated drafts as episodes (with their facts) in one transaction."""
        now = time.time()
        when = [d.occurred_at if d.occurred_at is not None else now for d in drafts]
        before = (
            self.store.previous_turn(scope.user_id, scope.session_id, when[0])
            if scope.session_id is not None and (self.embed_context or self.facts is not None)
            else None
        )
        texts = self._embed_texts(drafts, before)
        if self.facts is None or len(drafts) < 2:  # nothing worth overlapping
            vectors = self.embedder.embed(texts)
            facts, times = self._extract(drafts, when, before, scope.session_id)
        else:
            pending: Future[np.ndarray] = _embed_pool().submit(self.embedder.embed, texts)
            try:
                facts, times = self._extract(drafts, when, before, scope.session_id)
            except BaseException:
                if not pending.cancel():  # wait for it; the extraction's error is the one raised
                    pending.exception()
                raise
            vectors = pending.result()
        prov = scope.provenance or Provenance("user", "default", None)
        found = self._quarantine(drafts, prov)
        if facts is not None:  # nothing is learnt from text that addresses the model
            facts = [[] if q is not None else f for f, q in zip(facts, found, strict=True)]
        items = [
            NewEpisode(
                id=str(uuid.uuid4()),
                text=d.text,
                user_id=scope.user_id,
                agent_id=scope.agent_id,
                session_id=scope.session_id,
                role=d.role,
                speaker=d.speaker,
                occurred_at=when[i],
                recorded_at=now,
                updated_at=None,
                source=scope.source,
                metadata=d.metadata,
                content_hash=content_hash(d),
                vector=vectors[i],
                time_mentions=times[i],
                source_kind=prov.kind,
                source_name=prov.name,
                actor=prov.actor or self.actor,
                quarantine=found[i],
            )  # fmt: skip
            for i, d in enumerate(drafts)
        ]
        return self.store.add_episodes(items, actor=scope.source or self.actor, facts=facts)

    def _quarantine(self, drafts: Sequence[Draft], prov: Provenance) -> list[dict | None]:
        """The injection finding of each draft that the policy quarantines."""
        if not self.policy.quarantine:
            return [None] * len(drafts)
        from phasemem.trust.injection import detect

        at = self.policy.quarantine_threshold(prov.kind)
        out: list[dict | None] = []
        for d in drafts:
            f = detect(d.text, threshold=at)
            out.append(f.to_dict() if f is not None else None)
        return out

    def _embed_texts(
        self, drafts: Sequence[Draft], before: tuple[str | None, str] | None
    ) -> list[str]:
        prev = before if self.embed_context else None
        texts = []
        for d in drafts:
            texts.append(embed_text(d.text, d.speaker, prev))
            if self.embed_context:
                prev = (d.speaker, d.text)
        return texts

    def _extract(
        self, drafts: Sequence[Draft], when: list[float], before: tuple[str | None, str] | None,
        session_id: str | None = None,
    ) -> tuple[list[list] | None, list[int]]:  # fmt: skip
        """Facts per draft (None without an extractor) and time mentions per draft. The
        turns of an add with a session are one conversation: a "he" or "there" may
        refer to a person or place an earlier turn of the add named."""
        if self.facts is None:
            from phasemem.extract.temporal import resolve_temporal

            times = [len(resolve_temporal(d.text, from_ts(w)))
                     for d, w in zip(drafts, when, strict=True)]  # fmt: skip
            return None, [t + vague_time_cues(d.text) for t, d in zip(times, drafts, strict=True)]
        listeners: list[str | None] = []
        previous: list[str | None] = []  # the other speaker's turn a reply may answer
        last: dict[str | None, str | None] = {}
        for d in drafts:  # "you" is the last other speaker of the exchange
            others = [sp for sp in last if sp and sp != d.speaker]
            listeners.append(others[-1] if others else None)
            last.pop(d.speaker, None)
            last[d.speaker] = d.speaker
            previous.append(before[1] if before and before[0] != d.speaker else None)
            before = (d.speaker, d.text)
        facts, times = self.facts.prepare(
            [d.text for d in drafts],
            [d.speaker for d in drafts],
            when,
            listeners,
            previous,
            thread=session_id,
        )
        return facts, [t + vague_time_cues(d.text) for t, d in zip(times, drafts, strict=True)]

    def update(self, episode: Episode, new_text: str, *, user_id: str | None) -> Episode:
        """Replace an episode's text (validated); its vector, time mentions and
        facts follow (the facts only the old text said go, the new text's come).
        The new text is scanned as an add's is: an edit can plant an instruction
        in a clean memory (quarantined, its facts dropped) or remove the one that
        got it quarantined (the quarantine is lifted)."""
        d = Draft(new_text, episode.role, episode.speaker, episode.occurred_at, episode.metadata)
        prev = (
            self.store.previous_turn(episode.user_id, episode.session_id, episode.occurred_at)
            if episode.session_id and (self.embed_context or self.facts is not None)
            else None
        )
        own = embed_text(new_text, episode.speaker, prev if self.embed_context else None)
        vec: np.ndarray = self.embedder.embed([own])[0]
        facts, times = self._extract([d], [episode.occurred_at], prev)
        kind = episode.source_kind or "user"
        found = self._quarantine([d], Provenance(kind, episode.source_name or "default", None))[0]
        new_facts = facts[0] if facts is not None else None
        if found is not None and new_facts is not None:
            new_facts = []  # nothing is learnt from text that addresses the model
        return self.store.update_text(episode.id, new_text, content_hash(d), vec,
                                      user_id=user_id, actor=self.actor, time_mentions=times[0],
                                      facts=new_facts, quarantine=found)  # fmt: skip


__all__ = ["Scope", "WritePipeline", "WriteTarget", "embed_text"]
