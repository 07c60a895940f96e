"""The Semantic Speed Gate: a relation's text -> its volatility ``alpha_r`` in (0, 1).

    z_r     = w2 . relu(W1 phi(r) + b1) + b2      (phi = MiniLM text embedding)
    alpha_r = sigmoid(z_r + bias_clock)
    p_change(r, delta) = 1 - exp(-alpha_r * kappa_clock * delta_days)

The weights are trained by ``benchmarks/train_gate.py`` (PyTorch, offline) and
ship as ``phasemem/temporal/data/gate.npz``; inference here is numpy only.

*Clocks.* ``alpha`` is linear in the change rate (the survival formula), and
rates differ by orders of magnitude between domains: an ICEWS slot ("China,
Consult, ?") moves on every few days, a person's "live in" slot every few
years. A clock is the pair (``kappa``, logit ``bias``) that maps the shared
text score ``z_r`` to one domain's speed: ``everyday`` (the store's clock, the
default when the gate was trained with it) and ``icews`` (learned on ICEWS14
transitions; pass ``clock="icews"`` for ICEWS relations, e.g. in the TKG
model). See docs/temporal.md for why and for the numbers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.embed.base import Embedder
from phasemem.errors import InvalidInputError, PhasememError
from phasemem.temporal.transitions import normalize_relation

__all__ = ["GATE_PATH", "SpeedGate", "load_gate"]

#: The shipped weights.
GATE_PATH = Path(__file__).parent / "data" / "gate.npz"

_KEYS = ("w1", "b1", "w2", "b2", "clock_names", "clock_kappa", "clock_bias", "default_clock")


class SpeedGate:
    """Relation text -> volatility, with a per-text cache of the MLP's logit.

    Thread-safe: the cache is guarded by a lock; embedding runs outside it.
    """

    def __init__(
        self,
        w1: np.ndarray,
        b1: np.ndarray,
        w2: np.ndarray,
        b2: float,
        clocks: dict[str, tuple[float, float]],
        default_clock: str,
        *,
        embedder: Embedder | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.w1 = np.asarray(w1, dtype=np.float32)
        self.b1 = np.asarray(b1, dtype=np.float32).reshape(-1)
        self.w2 = np.asarray(w2, dtype=np.float32).reshape(-1)
        self.b2 = float(b2)
        if self.w1.ndim != 2 or not (self.w1.shape[1] == self.b1.shape[0] == self.w2.shape[0]):
            raise PhasememError("Speed Gate weights have inconsistent shapes", shape=self.w1.shape)
        if default_clock not in clocks:
            raise PhasememError(f"unknown default clock {default_clock!r}", clock=default_clock)
        for name, (kappa, bias) in clocks.items():
            if not (kappa > 0 and np.isfinite(kappa) and np.isfinite(bias)):
                raise PhasememError(f"clock {name!r} has a bad kappa or bias", clock=name)
        self._clocks = {k: (float(v[0]), float(v[1])) for k, v in clocks.items()}
        self.default_clock = default_clock
        self.meta: dict[str, Any] = dict(meta or {})
        self._embedder = embedder
        self._logits: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- clocks -----------------------------------------------------------
    @property
    def clocks(self) -> tuple[str, ...]:
        return tuple(self._clocks)

    @property
    def kappa(self) -> float:
        """Rate scale (changes per day at ``alpha = 1``) of the default clock."""
        return self._clocks[self.default_clock][0]

    def kappa_of(self, clock: str) -> float:
        return self._clock(clock)[0]

    def bias_of(self, clock: str) -> float:
        """The clock's logit offset (0 for the reference clock)."""
        return self._clock(clock)[1]

    def _clock(self, clock: str | None) -> tuple[float, float]:
        name = self.default_clock if clock is None else clock
        try:
            return self._clocks[name]
        except KeyError:
            raise InvalidInputError(
                f"unknown clock {name!r}; one of {sorted(self._clocks)}", field="clock"
            ) from None

    # -- inference --------------------------------------------------------
    def logits(self, relations: Sequence[str]) -> np.ndarray:
        """The shared text score ``z_r`` (before a clock's bias), cached per normalised text."""
        if isinstance(relations, str):
            raise InvalidInputError("relations must be a sequence of strings, not one string")
        texts = [normalize_relation(r) for r in relations]
        with self._lock:
            missing = sorted({t for t in texts if t not in self._logits})
        if missing:
            emb = self._embed(missing)
            h = np.maximum(emb @ self.w1 + self.b1, 0.0)
            z = h @ self.w2 + self.b2
            with self._lock:
                self._logits.update(zip(missing, (float(v) for v in z), strict=True))
        with self._lock:
            return np.array([self._logits[t] for t in texts], dtype=np.float64)

    def alpha(self, relations: Sequence[str], *, clock: str | None = None) -> np.ndarray:
        """Volatility in (0, 1) per relation on ``clock`` (default: the store's)."""
        _, bias = self._clock(clock)
        z = self.logits(relations) + bias
        # a stable sigmoid that never returns exactly 0 or 1
        return np.clip(0.5 * (1.0 + np.tanh(0.5 * z)), 1e-12, 1.0 - 1e-12)

    def rate(self, relation: str, *, clock: str | None = None) -> float:
        """Expected changes per day: ``alpha * kappa``."""
        kappa, _ = self._clock(clock)
        return float(self.alpha([relation], clock=clock)[0]) * kappa

    def p_change(self, relation: str, delta_days: float, *, clock: str | None = None) -> float:
        """Chance the slot's object changed within ``delta_days``: ``1 - exp(-alpha kappa delta)``."""
        d = float(delta_days)
        if not (d >= 0 and np.isfinite(d)):
            raise InvalidInputError("delta_days must be a finite number >= 0", field="delta_days")
        return float(-np.expm1(-self.rate(relation, clock=clock) * d))

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._embedder is None:
            from phasemem.embed import default_embedder

            self._embedder = default_embedder()
        emb = np.asarray(self._embedder.embed(texts), dtype=np.float32)
        if emb.shape != (len(texts), self.w1.shape[0]):
            raise PhasememError(
                f"the Speed Gate needs {self.w1.shape[0]}-dim embeddings "
                f"({self.meta.get('embedder', 'unknown')}), got shape {emb.shape}",
                embedder=getattr(self._embedder, "name", "?"),
            )
        return emb

    # -- persistence ------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the weights as a compressed npz (float32; a few tens of kB)."""
        names = list(self._clocks)
        np.savez_compressed(
            path,
            w1=self.w1,
            b1=self.b1,
            w2=self.w2,
            b2=np.float32(self.b2),
            clock_names=np.array(names),
            clock_kappa=np.array([self._clocks[n][0] for n in names], dtype=np.float64),
            clock_bias=np.array([self._clocks[n][1] for n in names], dtype=np.float64),
            default_clock=np.array(self.default_clock),
            meta=np.array(json.dumps(self.meta, sort_keys=True)),
        )

    @classmethod
    def from_file(cls, path: str | Path, *, embedder: Embedder | None = None) -> SpeedGate:
        p = Path(path)
        if not p.is_file():
            raise PhasememError(
                f"Speed Gate weights not found at {p}; rebuild them with benchmarks/train_gate.py",
                path=str(p),
            )
        try:
            with np.load(p, allow_pickle=False) as z:
                missing = [k for k in _KEYS if k not in z.files]
                if missing:
                    raise PhasememError(f"Speed Gate file {p} lacks {missing}", path=str(p))
                clocks = {
                    str(n): (float(k), float(b))
                    for n, k, b in zip(
                        z["clock_names"], z["clock_kappa"], z["clock_bias"], strict=True
                    )
                }
                meta = json.loads(str(z["meta"])) if "meta" in z.files else {}
                return cls(
                    z["w1"],
                    z["b1"],
                    z["w2"],
                    float(z["b2"]),
                    clocks,
                    str(z["default_clock"]),
                    embedder=embedder,
                    meta=meta,
                )
        except PhasememError:
            raise
        except Exception as exc:  # zipfile/ValueError/KeyError from a damaged file
            raise PhasememError(f"cannot read Speed Gate file {p}: {exc}", path=str(p)) from exc


@lru_cache(maxsize=1)
def _default_gate() -> SpeedGate:
    return SpeedGate.from_file(GATE_PATH)


def load_gate() -> SpeedGate:
    """The shipped gate, loaded on first call and shared (it embeds lazily too)."""
    return _default_gate()
