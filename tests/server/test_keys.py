"""The cost of a failed authentication is bounded and says nothing.

scrypt and HMAC calls are counted by wrapping them (never wall-clock): an
unknown key id, a revoked one and a real one with a wrong secret must do the
same work, a flood of wrong secrets must run no scrypt, and the correct key
must get through during and after any flood on its id."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import stat
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from phasemem.errors import AuthError
from phasemem.server import keys as K
from phasemem.server.keys import KeyStore, ScryptBudget
from tests.server.conftest import Server


class Counts:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.scrypt = self.hmac = self.compare = 0
        real_hash, real_new, real_cmp = K._hash, hmac.new, hmac.compare_digest

        def scrypt(secret: str, salt: bytes) -> bytes:
            self.scrypt += 1
            return real_hash(secret, salt)

        def new(*a: Any, **kw: Any) -> Any:
            self.hmac += 1
            return real_new(*a, **kw)

        def compare(a: Any, b: Any) -> bool:
            self.compare += 1
            return real_cmp(a, b)

        monkeypatch.setattr(K, "_hash", scrypt)
        monkeypatch.setattr(K.hmac, "new", new)
        monkeypatch.setattr(K.hmac, "compare_digest", compare)

    def snapshot(self) -> tuple[int, int, int]:
        return self.scrypt, self.hmac, self.compare


def _cost(counts: Counts, fn: Callable[[], Any]) -> tuple[tuple[int, int, int], str]:
    before = counts.snapshot()
    try:
        fn()
        outcome = "ok"
    except AuthError as exc:
        outcome = exc.message
    after = counts.snapshot()
    return tuple(a - b for a, b in zip(after, before, strict=True)), outcome  # type: ignore[return-value]


def _wrong(key: str) -> str:
    """The same key id with another well-formed secret."""
    return key[:16] + secrets.token_urlsafe(32)


def test_unknown_revoked_and_wrong_secret_do_the_same_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ks = KeyStore(tmp_path / "keys.db")
    live, _ = ks.create("acme")
    dead, dead_info = ks.create("acme")
    ks.revoke(dead_info.kid)
    counts = Counts(monkeypatch)
    unknown = f"pm_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    costs = {
        "unknown id": _cost(counts, lambda: ks.authenticate(unknown)),
        "revoked id": _cost(counts, lambda: ks.authenticate(dead)),
        "wrong secret": _cost(counts, lambda: ks.authenticate(_wrong(live))),
        "wrong secret, event loop": _cost(
            counts, lambda: ks.authenticate(_wrong(live), slow=False)
        ),
    }
    # no scrypt, one HMAC, one comparison, one message: nothing tells them apart
    assert set(costs.values()) == {((0, 1, 1), "missing or invalid API key")}, costs
    # and the right key is as cheap (no scrypt, even though this process never saw it)
    assert _cost(counts, lambda: ks.authenticate(live, slow=False)) == ((0, 1, 1), "ok")
    ks.close()


def test_a_flood_of_wrong_secrets_runs_no_scrypt_and_never_locks_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ks = KeyStore(tmp_path / "keys.db")
    key, info = ks.create("acme")
    counts = Counts(monkeypatch)
    refused: list[int] = []
    accepted: list[str] = []

    def attacker() -> None:
        n = 0
        for _ in range(300):
            try:
                ks.authenticate(_wrong(key))
            except AuthError:
                n += 1
        refused.append(n)

    def holder() -> None:
        for _ in range(100):
            accepted.append(ks.authenticate(key).tenant)  # type: ignore[union-attr]

    threads = [threading.Thread(target=attacker) for _ in range(4)] + [
        threading.Thread(target=holder)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert refused == [300] * 4 and accepted == ["acme"] * 100
    assert counts.scrypt == 0 and ks.scrypt_runs == 0
    assert ks.authenticate(key).kid == info.kid  # type: ignore[union-attr]
    # a restarted server (a new KeyStore on the same files) still needs no scrypt
    ks.close()
    again = KeyStore(tmp_path / "keys.db")
    for _ in range(50):
        with pytest.raises(AuthError):
            again.authenticate(_wrong(key))
    assert again.authenticate(key).tenant == "acme" and counts.scrypt == 0  # type: ignore[union-attr]
    again.close()


_OLD_SCHEMA = """CREATE TABLE keys (kid TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT,
    salt BLOB NOT NULL, hash BLOB NOT NULL, created_at REAL NOT NULL, revoked_at REAL)"""


def _old_keys_db(path: Path, n: int) -> list[str]:
    """A keys.db as phasemem wrote it before verifiers: scrypt hashes only."""
    conn = sqlite3.connect(path)
    conn.execute(_OLD_SCHEMA)
    made = []
    for i in range(n):
        kid, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_bytes(16)
        conn.execute("INSERT INTO keys VALUES (?,?,?,?,?,?,NULL)",
                     (kid, "old", f"k{i}", salt, K._hash(secret, salt), 1.0))  # fmt: skip
        made.append(f"pm_{kid}_{secret}")
    conn.commit()
    conn.close()
    return made


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_without_a_verifier_get_one_and_their_scrypt_is_budgeted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = _old_keys_db(tmp_path / "keys.db", 4)
    clock = Clock()
    budget = ScryptBudget(per_kid=2, per_kid_every_s=30.0, total=3, total_per_s=0.1)
    ks = KeyStore(tmp_path / "keys.db", scrypt_budget=budget, clock=clock)
    counts = Counts(monkeypatch)
    key = keys[0]

    # slow=False never runs scrypt: the event loop hands the key to a thread
    assert ks.authenticate(key, slow=False) is None and counts.scrypt == 0
    # a flood on one id: at most its bucket of scrypt runs, then the same 401 without scrypt
    wrong = [_wrong(key) for _ in range(40)]
    for w in wrong:
        with pytest.raises(AuthError, match="missing or invalid API key"):
            ks.authenticate(w)
    assert counts.scrypt == 2
    # a secret that failed is remembered: retrying it costs nothing, even with tokens back
    clock.now += 1000
    with pytest.raises(AuthError):
        ks.authenticate(wrong[0])
    with pytest.raises(AuthError):
        ks.authenticate(wrong[1], slow=False)
    assert counts.scrypt == 2
    # the holder gets through once the id has a token again, and gets a verifier
    assert ks.authenticate(key).tenant == "old" and counts.scrypt == 3  # type: ignore[union-attr]
    for _ in range(20):
        assert ks.authenticate(key, slow=False) is not None
        with pytest.raises(AuthError):
            ks.authenticate(_wrong(key))
    assert counts.scrypt == 3
    # other ids share the total bucket: guessing on many ids is bounded as well
    for k in keys[1:]:
        for _ in range(5):
            with pytest.raises(AuthError):
                ks.authenticate(_wrong(k))
    assert counts.scrypt <= 3 + budget.total
    ks.close()


def test_a_lost_pepper_only_costs_one_scrypt_per_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ks = KeyStore(tmp_path / "keys.db")
    key, _ = ks.create("acme")
    ks.close()
    pepper = tmp_path / "keys.pepper"
    assert stat.S_IMODE(pepper.stat().st_mode) == 0o600 and len(pepper.read_bytes()) == 32
    # keys.db alone holds nothing to test a guess against without the pepper
    row = sqlite3.connect(tmp_path / "keys.db").execute("SELECT verifier FROM keys").fetchone()
    assert bytes(row[0]) != hashlib.sha256(key.encode()).digest()
    pepper.unlink()
    counts = Counts(monkeypatch)
    ks = KeyStore(tmp_path / "keys.db")  # a new pepper: the old verifiers are void
    assert ks.authenticate(key, slow=False) is None
    assert ks.authenticate(key).tenant == "acme" and counts.scrypt == 1  # type: ignore[union-attr]
    assert ks.authenticate(key, slow=False) is not None and counts.scrypt == 1
    ks.close()


def test_two_stores_opening_together_share_one_pepper(tmp_path: Path) -> None:
    stores: list[KeyStore] = []
    barrier = threading.Barrier(6)

    def open_one() -> None:
        barrier.wait()
        stores.append(KeyStore(tmp_path / "keys.db"))

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    key, _ = stores[0].create("acme")
    assert all(s.authenticate(key, slow=False) is not None for s in stores)
    assert sorted(p.name for p in tmp_path.iterdir() if "pepper" in p.name) == ["keys.pepper"]
    for s in stores:
        s.close()


def test_server_lets_the_holder_in_after_a_flood_on_its_id(server: Server) -> None:
    user = f"k-{uuid.uuid4().hex[:6]}"
    with server.client(None) as anon:
        for _ in range(30):
            r = anon.get("/v1/whoami", headers={"Authorization": f"Bearer {_wrong(server.key_a)}"})
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    with server.client(server.key_a) as c:
        assert c.get("/v1/whoami").json()["tenant"] == "tenant-a"
        assert c.get("/v1/memories", params={"user_id": user}).status_code == 200
    assert httpx.get(server.url + "/v1/healthz").status_code == 200


def test_a_damaged_pepper_is_a_clear_error(tmp_path: Path) -> None:
    from phasemem.errors import StoreError

    (tmp_path / "keys.pepper").write_bytes(b"short")
    with pytest.raises(StoreError, match=r"keys\.pepper is not 32 bytes"):
        KeyStore(tmp_path / "keys.db")
