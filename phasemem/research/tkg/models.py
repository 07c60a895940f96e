"""Temporal KG scoring models (PyTorch): the phase-rotation model and TNTComplEx.

Complex vectors of ``D`` complex dimensions are stored as real rows ``[re | im]``
of width ``2D``. Every model answers *tail* queries ``(h, r, ?, day)``; head
queries use the reciprocal relation ``r + R`` (relations ``0 .. 2R-1``).

Phase-rotation model (``PhaseRotation``)
----------------------------------------
``theta_j(r, tau) = alpha_r * s * omega_j * tau`` with ``omega_j = base^(-j/D)``,
``s`` (init 1 rad/day) and ``base`` (init 1e4) learnable (in log space), and
``tau`` in days from the centre of the training period. The score is::

    f(h, r, t, tau) = Re sum_j [ Rot(e_h, theta)_j * r_j + e_h,j * r'_j ] * conj(e_t,j)

``r`` is the rotating relation factor and ``r'`` the static one, so ``f`` is a
time-free static part plus a learned Fourier series in ``tau`` (one frequency
per complex dimension; coefficients ``e_h,j r_j conj(e_t,j)``). Rotating the
head is the same as rotating the pair by the phase difference (``Rot(e_h,
theta) conj(e_t) = Rot(e_h, theta/2) conj(Rot(e_t, -theta/2))``), which is
why only the query is rotated and all candidate tails are scored with one
matrix product (see ``docs/tkg.md`` for why both entities cannot be rotated by
the *same* angle under a Hermitian product: the phase would cancel).
``alpha_r = 0`` makes it the static ComplEx-style model ``Re <e_h, r + r', conj(e_t)>``.

TNTComplEx (Lacroix et al., ICLR 2020)
--------------------------------------
``f = Re <e_h, r * T_day + r_nt, conj(e_t)>`` with one free embedding per day.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from phasemem.errors import InvalidInputError
from phasemem.research.tkg.errors import MissingExtraError

try:  # a real import (not a lazy handle), so the type checker sees torch's types
    import torch
    from torch import Tensor, nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise MissingExtraError("tkg", "Temporal KG training and scoring") from exc

__all__ = ["ALPHA_MODES", "ModelConfig", "PhaseRotation", "TKGModel", "TNTComplEx", "build_model"]

ALPHA_MODES = ("gate", "learned", "one", "zero")


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model's shapes (saved in checkpoints)."""

    kind: str  # "phase" | "tntcomplex"
    n_entities: int
    n_relations: int  # without reciprocals
    dim: int  # complex dimensions D
    day_lo: int  # first day (days since the vocabulary epoch)
    day_hi: int  # last day, inclusive
    alpha: str = "one"  # phase only: gate | learned | one | zero
    init_scale: float = 1e-2
    s_init: float = 1.0  # radians per day
    base_init: float = 1e4
    calendar: bool = False  # phase only: add a learned per-day phase residual
    amplitude: bool = False  # phase only: add a learned per-day log-modulus (needs calendar)
    modulus_init: float = 0.0  # phase with amplitude: initial log-modulus (0: unit rotor)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cmul(ar: Tensor, ai: Tensor, br: Tensor, bi: Tensor) -> tuple[Tensor, Tensor]:
    return ar * br - ai * bi, ar * bi + ai * br


def _split(x: Tensor) -> tuple[Tensor, Tensor]:
    d = x.shape[-1] // 2
    return x[..., :d], x[..., d:]


def _day_index(day: Tensor, cfg: ModelConfig, who: str) -> Tensor:
    """Row of ``day`` in a per-day table; a clear error for days the model never saw."""
    idx = day - cfg.day_lo
    bad = (idx < 0) | (idx > cfg.day_hi - cfg.day_lo)
    if bool(bad.any()):
        first = int(day[bad].reshape(-1)[0])
        raise InvalidInputError(
            f"{who} knows days {cfg.day_lo}..{cfg.day_hi} (days since the vocabulary's first "
            f"date) and cannot score day {first}, outside its training range",
            field="day",
        )
    return idx


def _mod4(xr: Tensor, xi: Tensor) -> Tensor:
    """sum_j |x_j|^4 per row."""
    return ((xr * xr + xi * xi) ** 2).sum(-1)


class TKGModel(nn.Module):
    """Shared parts: entity table, query scoring against all entities, L4 norm."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.n_rel2 = 2 * cfg.n_relations
        self.ent = nn.Embedding(cfg.n_entities, 2 * cfg.dim)
        nn.init.normal_(self.ent.weight, std=cfg.init_scale)

    # subclasses: the complex relation operator a(r, day) and its L4 term
    def relation_operator(self, r: Tensor, day: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def relation_l4(self, r: Tensor, day: Tensor) -> Tensor:
        raise NotImplementedError

    def rows(self, idx: Tensor, given: Tensor | None) -> Tensor:
        """Entity rows ``ent[idx]``, or ``given`` when the caller looked them up already.

        Training looks heads and tails up once per step and passes them to every
        term: each separate lookup would cost a full-table gradient buffer in backward.
        """
        return self.ent(idx) if given is None else given

    def query(self, h: Tensor, r: Tensor, day: Tensor, eh: Tensor | None = None) -> Tensor:
        """Real ``(B, 2D)`` query ``q`` with ``score(t) = q . ent[t]``."""
        hr, hi = _split(self.rows(h, eh))
        ar, ai = self.relation_operator(r, day)
        qr, qi = _cmul(hr, hi, ar, ai)
        return torch.cat([qr, qi], dim=-1)

    def score_all(self, h: Tensor, r: Tensor, day: Tensor, eh: Tensor | None = None) -> Tensor:
        """``(B, N)`` scores of every entity as the tail, one matrix product."""
        return self.query(h, r, day, eh) @ self.ent.weight.t()

    def score_times(self, h: Tensor, r: Tensor, t: Tensor, days: Tensor) -> Tensor:
        """``(B, K)`` scores of the fixed triple ``(h, r, t)`` at ``K`` days each."""
        hr, hi = _split(self.ent(h))
        tr, ti = _split(self.ent(t))
        # h * conj(t)
        ur, ui = hr * tr + hi * ti, hi * tr - hr * ti
        k = days.shape[1]
        ar, ai = self.relation_operator(r.repeat_interleave(k), days.reshape(-1))
        ar = ar.reshape(len(h), k, -1)
        ai = ai.reshape(len(h), k, -1)
        return (ur[:, None] * ar - ui[:, None] * ai).sum(-1)

    def l4(
        self,
        h: Tensor,
        r: Tensor,
        t: Tensor,
        day: Tensor,
        eh: Tensor | None = None,
        et: Tensor | None = None,
    ) -> Tensor:
        """Mean over the batch of sum |e_h|^4 + |relation factors|^4 + |e_t|^4 (N3-style, 4th power)."""
        hr, hi = _split(self.rows(h, eh))
        tr, ti = _split(self.rows(t, et))
        return (_mod4(hr, hi) + _mod4(tr, ti) + self.relation_l4(r, day)).mean()

    def extra_regularizer(self) -> Tensor:
        """Model-specific extra penalty (TNTComplEx: temporal smoothness)."""
        return self.ent.weight.new_zeros(())

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


class PhaseRotation(TKGModel):
    """The phase-rotation model; see the module docstring."""

    def __init__(
        self, cfg: ModelConfig, alpha: np.ndarray | None = None, smooth_weight: float = 1e-2
    ) -> None:
        super().__init__(cfg)
        self.smooth_weight = smooth_weight
        if cfg.alpha not in ALPHA_MODES:
            raise ValueError(f"alpha must be one of {ALPHA_MODES}, got {cfg.alpha!r}")
        d = cfg.dim
        self.rel_rot = nn.Embedding(self.n_rel2, 2 * d)
        self.rel_static = nn.Embedding(self.n_rel2, 2 * d)
        nn.init.normal_(self.rel_rot.weight, std=cfg.init_scale)
        nn.init.normal_(self.rel_static.weight, std=cfg.init_scale)
        self.log_s = nn.Parameter(torch.tensor(math.log(cfg.s_init)))
        self.log_base = nn.Parameter(torch.tensor(math.log(cfg.base_init)))
        self.register_buffer("freq_pos", torch.arange(d, dtype=torch.float32) / d)
        self.tau_centre = 0.5 * (cfg.day_lo + cfg.day_hi)
        self.n_days = cfg.day_hi - cfg.day_lo + 1
        if cfg.calendar:
            # phi(day): a learned phase per day and dimension, added to the linear
            # phase before alpha_r scales it (starts at zero: the plain model)
            self.calendar = nn.Embedding(self.n_days, d)
            nn.init.zeros_(self.calendar.weight)
        if cfg.amplitude:
            if not cfg.calendar:
                raise ValueError(
                    "amplitude=True needs calendar=True (it is the calendar's modulus)"
                )
            # rho(day): a learned log-modulus per day and dimension, so the calendar is a
            # complex exponent alpha_r (rho + i theta); modulus_init at start (0: unit
            # modulus; log(1e-2) starts the rotating part as small as TNTComplEx's r * T)
            self.log_modulus_table = nn.Embedding(self.n_days, d)
            nn.init.constant_(self.log_modulus_table.weight, cfg.modulus_init)
        r = cfg.n_relations
        if cfg.alpha == "learned":
            # per relation (shared with its reciprocal); sigmoid(2) ~ 0.88 at start
            self.alpha_logit = nn.Parameter(torch.full((r,), 2.0))
        else:
            if cfg.alpha == "gate":
                if alpha is None or len(alpha) != r:
                    raise ValueError("alpha='gate' needs one gate value per relation")
                vals = torch.as_tensor(np.asarray(alpha, dtype=np.float32))
            else:
                vals = torch.full((r,), 1.0 if cfg.alpha == "one" else 0.0)
            self.register_buffer("alpha_fixed", vals)

    def alpha(self) -> Tensor:
        """``(R,)`` per-relation speed in [0, 1]."""
        if self.cfg.alpha == "learned":
            return torch.sigmoid(self.alpha_logit)
        return self.get_buffer("alpha_fixed")

    def theta(self, r: Tensor, day: Tensor) -> Tensor:
        """Phases ``alpha_r * (s * omega_j * tau + phi_j(day))``: ``(B, D)`` for
        ``day`` of shape ``(B,)``, ``(B, K, D)`` for ``(B, K)``. ``phi`` is zero
        unless the model has a calendar."""
        a = self.alpha()[r % self.cfg.n_relations]
        omega = torch.exp(-self.log_base * self.get_buffer("freq_pos"))
        tau = day.to(omega.dtype) - self.tau_centre
        lin = (torch.exp(self.log_s) * tau)[..., None] * omega
        if self.cfg.calendar:
            lin = lin + self.calendar(self._day_index(day))
        return a.reshape(-1, *([1] * (day.dim()))) * lin

    def _day_index(self, day: Tensor) -> Tensor:
        return _day_index(day, self.cfg, "a calendar phase model")

    def modulus(self, r: Tensor, day: Tensor) -> Tensor | None:
        """``exp(alpha_r * rho(day))``, shaped like :meth:`theta`; ``None`` without amplitude."""
        if not self.cfg.amplitude:
            return None
        a = self.alpha()[r % self.cfg.n_relations]
        rho = self.log_modulus_table(self._day_index(day))
        return torch.exp(a.reshape(-1, *([1] * (day.dim()))) * rho)

    def _rotor(self, r: Tensor, day: Tensor) -> tuple[Tensor, Tensor]:
        """``exp(alpha_r (rho + i theta))`` as (re, im)."""
        th = self.theta(r, day)
        c, s = torch.cos(th), torch.sin(th)
        m = self.modulus(r, day)
        return (c, s) if m is None else (m * c, m * s)

    def relation_operator(self, r: Tensor, day: Tensor) -> tuple[Tensor, Tensor]:
        rr, ri = _split(self.rel_rot(r))
        sr, si = _split(self.rel_static(r))
        if self.cfg.alpha == "zero":
            return rr + sr, ri + si
        cr, ci = _cmul(rr, ri, *self._rotor(r, day))
        return cr + sr, ci + si

    def relation_l4(self, r: Tensor, day: Tensor) -> Tensor:
        rr, ri = _split(self.rel_rot(r))
        m = self.modulus(r, day)
        if m is not None:  # like TNTComplEx: penalise the time-modulated factor
            rr, ri = m * rr, m * ri
        return _mod4(rr, ri) + _mod4(*_split(self.rel_static(r)))

    def time_scores(
        self,
        h: Tensor,
        r: Tensor,
        t: Tensor,
        days: Tensor,
        eh: Tensor | None = None,
        et: Tensor | None = None,
    ) -> Tensor:
        """``(B, K)`` scores of ``(h, r, t)`` at ``K`` days each, *minus* the time-free part.

        ``score_times`` up to a per-row constant (the static factor's term), so any
        softmax over the ``K`` days is unchanged. It is what the time-contrastive loss
        needs, at a fraction of the cost: the rotating coefficient
        ``w = e_h * r * conj(e_t)`` is formed once per fact and the ``K`` phases enter
        only through ``cos`` and ``sin`` in two batched products. The phases are
        constants here (no gradient to ``s``, ``base`` or a learned ``alpha``, which
        learn from the 1-vs-all loss): their gradient would need several ``(B, K, D)``
        temporaries and made this loss cost more than the rest of a training step.
        """
        wr, wi = self._rotating_coefficient(h, r, t, eh, et)
        with torch.no_grad():
            c, s = self._rotor(r, days)  # (B, K, D)
        return torch.einsum("bd,bkd->bk", wr, c) - torch.einsum("bd,bkd->bk", wi, s)

    def _rotating_coefficient(
        self, h: Tensor, r: Tensor, t: Tensor, eh: Tensor | None, et: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """``w = e_h * r * conj(e_t)`` per fact: the score at a day is ``Re <w, rotor(day)>``
        plus the time-free part."""
        hr, hi = _split(self.rows(h, eh))
        tr, ti = _split(self.rows(t, et))
        ur, ui = hr * tr + hi * ti, hi * tr - hr * ti  # e_h * conj(e_t)
        return _cmul(ur, ui, *_split(self.rel_rot(r)))

    def day_rotors(self, r: Tensor) -> tuple[Tensor, Tensor]:
        """Rotors ``exp(alpha_r (rho + i theta))`` at *every* training day: ``(B, n_days, D)``
        for relations ``r`` of shape ``(B,)``, or ``(1, n_days, D)`` when every relation
        has the same speed (``alpha = one``), which is what makes the all-days
        time-contrastive loss one matrix product. Differentiable in the day tables,
        ``s`` and ``base``."""
        days = torch.arange(self.cfg.day_lo, self.cfg.day_hi + 1, device=r.device)
        if self.cfg.alpha == "one":
            return self._rotor(r[:1], days[None, :])
        rows = days[None, :].expand(len(r), -1)
        return self._rotor(r, rows)

    def time_scores_all(
        self, h: Tensor, r: Tensor, t: Tensor, eh: Tensor | None = None, et: Tensor | None = None
    ) -> Tensor:
        """``(B, n_days)`` scores of ``(h, r, t)`` at every training day, minus the
        time-free part (as :meth:`time_scores`), with gradients to every parameter.

        With ``alpha = one`` the rotors are one ``(n_days, D)`` table and the scores are
        two ``(B, D) x (D, n_days)`` products; with per-relation speeds each distinct
        relation in the batch gets its own table.
        """
        wr, wi = self._rotating_coefficient(h, r, t, eh, et)
        if self.cfg.alpha == "one":
            c, s = self.day_rotors(r)
            return wr @ c[0].t() - wi @ s[0].t()
        base = r % self.cfg.n_relations
        out = wr.new_empty(len(r), self.n_days)
        for rel in torch.unique(base):
            sel = (base == rel).nonzero(as_tuple=True)[0]
            c, s = self.day_rotors(rel.reshape(1))
            out[sel] = wr[sel] @ c[0].t() - wi[sel] @ s[0].t()
        return out

    def extra_regularizer(self) -> Tensor:
        """With a calendar: ``smooth * mean_days sum_j (1 - cos(phi_{d+1,j} - phi_{d,j}))``,
        so neighbouring days keep neighbouring phases unless the data say otherwise;
        with amplitude also ``+ (rho_{d+1,j} - rho_{d,j})^2 / 2``."""
        if not self.cfg.calendar or self.n_days < 2:
            return self.ent.weight.new_zeros(())
        w = self.calendar.weight
        pen = (1.0 - torch.cos(w[1:] - w[:-1])).sum()
        if self.cfg.amplitude:  # same small-step scale as 1 - cos: half the squared step
            rho = self.log_modulus_table.weight
            pen = pen + 0.5 * ((rho[1:] - rho[:-1]) ** 2).sum()
        return self.smooth_weight * pen / (self.n_days - 1)

    def spectrum(self) -> dict[str, float]:
        """Current ``s`` (rad/day) and ``base``."""
        with torch.no_grad():
            return {"s": float(torch.exp(self.log_s)), "base": float(torch.exp(self.log_base))}


class TNTComplEx(TKGModel):
    """TNTComplEx with one embedding per day in ``[day_lo, day_hi]``."""

    def __init__(self, cfg: ModelConfig, smooth_weight: float = 1e-2) -> None:
        super().__init__(cfg)
        d = cfg.dim
        self.n_days = cfg.day_hi - cfg.day_lo + 1
        self.rel = nn.Embedding(self.n_rel2, 2 * d)
        self.rel_nt = nn.Embedding(self.n_rel2, 2 * d)
        self.time = nn.Embedding(self.n_days, 2 * d)
        for emb in (self.rel, self.rel_nt, self.time):
            nn.init.normal_(emb.weight, std=cfg.init_scale)
        self.smooth_weight = smooth_weight

    def _time(self, day: Tensor) -> Tensor:
        return self.time(_day_index(day, self.cfg, "TNTComplEx"))

    def relation_operator(self, r: Tensor, day: Tensor) -> tuple[Tensor, Tensor]:
        rr, ri = _split(self.rel(r))
        tr, ti = _split(self._time(day))
        nr, ni = _split(self.rel_nt(r))
        ar, ai = _cmul(rr, ri, tr, ti)
        return ar + nr, ai + ni

    def relation_l4(self, r: Tensor, day: Tensor) -> Tensor:
        rr, ri = _split(self.rel(r))
        tr, ti = _split(self._time(day))
        return _mod4(*_cmul(rr, ri, tr, ti)) + _mod4(*_split(self.rel_nt(r)))

    def extra_regularizer(self) -> Tensor:
        """tkbc's Lambda3: sum over consecutive days of |T_{d+1} - T_d|^4, averaged."""
        w = self.time.weight
        if self.n_days < 2:
            return w.new_zeros(())
        dr, di = _split(w[1:] - w[:-1])
        return self.smooth_weight * _mod4(dr, di).sum() / (self.n_days - 1)


def build_model(
    cfg: ModelConfig, alpha: np.ndarray | None = None, smooth_weight: float = 1e-2
) -> TKGModel:
    """Model from its config (``alpha``: gate values when ``cfg.alpha == 'gate'``)."""
    if cfg.kind == "phase":
        return PhaseRotation(cfg, alpha, smooth_weight)
    if cfg.kind == "tntcomplex":
        return TNTComplEx(cfg, smooth_weight)
    raise ValueError(f"unknown model kind {cfg.kind!r}")
