"""Lazy access to PyTorch, with the project's clear message when it is missing."""

from __future__ import annotations

from types import ModuleType

from phasemem.research.tkg.errors import MissingExtraError


def require_torch() -> ModuleType:
    """Return the ``torch`` module or raise :class:`MissingExtraError` naming ``[tkg]``."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised only without torch
        raise MissingExtraError("tkg", "Temporal KG training and scoring") from exc
    return torch


def pick_device(name: str = "auto") -> str:
    """``auto`` -> ``cuda`` when a CUDA device is present, else ``cpu``."""
    torch = require_torch()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name
