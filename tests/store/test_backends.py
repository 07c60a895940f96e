"""The backend registry the contract runs on: a backend that cannot run here
is skipped with its reason, never failed, and never silently dropped from the
comparisons of the backends that can."""

from __future__ import annotations

import pytest

from tests.store import backends
from tests.store.backends import BACKENDS, Backend, available, register, require


def test_the_built_in_backends_are_registered_and_available() -> None:
    assert list(BACKENDS)[:3] == ["sqlite-file", "sqlite-memory", "memory"]
    assert {"sqlite-file", "sqlite-memory", "memory"} <= {b.name for b in available()}


def test_an_unavailable_backend_skips_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def no_server() -> str:
        asked.append("x")
        return "no server on this machine"

    monkeypatch.setattr(backends, "BACKENDS", dict(BACKENDS))
    monkeypatch.setattr(backends, "_REASONS", {})
    register(Backend("absent", lambda folder: "absent://", unavailable=no_server))
    with pytest.raises(pytest.skip.Exception, match="backend absent: no server on this machine"):
        require("absent")
    assert "absent" not in {b.name for b in available()}
    assert require("memory").name == "memory"
    assert asked == ["x"]  # probed once per run
    with pytest.raises(ValueError, match="twice"):
        register(Backend("memory", lambda folder: "memory://"))
