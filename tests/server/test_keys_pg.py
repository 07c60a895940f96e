"""API keys in PostgreSQL: every server on the database sees every key.

Two app instances (each its own tenant pool and key store, as two hosts
would have) share one PostgreSQL: a key made through one is accepted by the
other, a revocation through either is refused by both on the next request,
and the failed-authentication bounds are the file store's."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="needs the [server] extra")
from fastapi.testclient import TestClient  # noqa: E402

from phasemem.errors import AuthError, InvalidInputError, StoreError  # noqa: E402
from phasemem.server import create_app  # noqa: E402
from phasemem.server.keys import PEPPER_ENV  # noqa: E402
from phasemem.server.keys_pg import open_keystore  # noqa: E402
from phasemem.server.tenants import TenantPool  # noqa: E402
from tests.server.conftest import cli  # noqa: E402
from tests.server.test_keys import Counts, _cost, _wrong  # noqa: E402


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch) -> str:
    """A database URL with keys in a schema of this test's own, and one pepper
    for every 'host' of the test (as a deployment gives each server)."""
    from tests.conftest import pg_base_url

    monkeypatch.setenv(PEPPER_ENV, secrets.token_hex(32))
    return pg_base_url()


def _host(tmp: Path, name: str, db: str) -> tuple[TenantPool, TestClient]:
    pool = TenantPool(tmp / name, embedder="hash-test", facts=False, lexical_index=False, db=db)
    client = TestClient(create_app(tmp / name, pool=pool))
    return pool, client


@pytest.fixture
def hosts(tmp_path: Path, db: str) -> Iterator[list[tuple[TenantPool, TestClient]]]:
    made = [_host(tmp_path, "a", db), _host(tmp_path, "b", db)]
    for _, client in made:
        client.__enter__()
    yield made
    for _, client in made:
        client.__exit__(None, None, None)


def _status(client: TestClient, key: str, tenant_user: str = "u1") -> int:
    r = client.post("/v1/search", json={"query": "anything", "user_id": tenant_user},
                    headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    return r.status_code


def test_a_key_made_on_one_host_works_on_the_other_and_revocation_reaches_both(
    hosts: list[tuple[TenantPool, TestClient]],
) -> None:
    (pool_a, a), (pool_b, b) = hosts
    key, info = pool_a.keys.create("acme", "made on a")
    assert _status(a, key) == 200 and _status(b, key) == 200
    # a write through host a is read back through host b with the same key
    r = a.post("/v1/memories", json={"messages": "the launch moved to Friday", "user_id": "u1"},
               headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert r.status_code == 201, r.text
    hits = b.post("/v1/search", json={"query": "launch Friday", "user_id": "u1"},
                  headers={"Authorization": f"Bearer {key}"}).json()["results"]  # fmt: skip
    assert hits and "Friday" in hits[0]["memory"]
    assert [k.kid for k in pool_b.keys.list("acme")] == [info.kid]
    pool_b.keys.revoke(info.kid)
    assert _status(a, key) == 401 and _status(b, key) == 401
    # a wrong secret for a live id is refused by both, the same way
    other, _ = pool_b.keys.create("acme")
    assert _status(a, _wrong(other)) == 401 and _status(b, other) == 200


def test_a_key_cannot_reach_another_tenant_through_either_host(
    hosts: list[tuple[TenantPool, TestClient]],
) -> None:
    (pool_a, a), (_, b) = hosts
    tag = secrets.token_hex(3)
    ka, _ = pool_a.keys.create(f"ta{tag}")
    kb, _ = pool_a.keys.create(f"tb{tag}")
    a.post("/v1/memories", json={"messages": "alpha secret plan", "user_id": "u1"},
           headers={"Authorization": f"Bearer {ka}"})  # fmt: skip
    for client in (a, b):
        got = client.post("/v1/search", json={"query": "alpha secret plan", "user_id": "u1"},
                          headers={"Authorization": f"Bearer {kb}"}).json()["results"]  # fmt: skip
        assert got == []
        mine = client.post("/v1/search", json={"query": "alpha secret plan", "user_id": "u1"},
                           headers={"Authorization": f"Bearer {ka}"}).json()["results"]  # fmt: skip
        assert mine and "alpha" in mine[0]["memory"]


def test_tenant_roles_cannot_read_the_keys_table(
    hosts: list[tuple[TenantPool, TestClient]],
) -> None:
    pool, _ = hosts[0]
    pool.keys.create("acme")
    mem = pool.get("acme")
    with pytest.raises(StoreError, match="permission denied"):
        mem.store._read(f'SELECT hash FROM "{pool.keys.schema}".keys')  # type: ignore[attr-defined]


def test_refusals_cost_the_same_in_postgres(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ks = open_keystore(tmp_path, db)
    live, _ = ks.create("acme")
    dead, dead_info = ks.create("acme")
    ks.revoke(dead_info.kid)
    counts = Counts(monkeypatch)
    unknown = f"pm_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    costs = {
        "unknown id": _cost(counts, lambda: ks.authenticate(unknown)),
        "revoked id": _cost(counts, lambda: ks.authenticate(dead)),
        "wrong secret": _cost(counts, lambda: ks.authenticate(_wrong(live))),
    }
    assert set(costs.values()) == {((0, 1, 1), "missing or invalid API key")}, costs
    assert _cost(counts, lambda: ks.authenticate(live, slow=False)) == ((0, 1, 1), "ok")
    # a flood of wrong secrets runs no scrypt
    for _ in range(200):
        with pytest.raises(AuthError):
            ks.authenticate(_wrong(live))
    assert counts.scrypt == 0 and ks.scrypt_runs == 0
    ks.close()


def test_a_server_with_another_pepper_refuses_to_start(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_keystore(tmp_path / "a", db)
    first.create("acme")
    first.close()
    monkeypatch.setenv(PEPPER_ENV, secrets.token_hex(32))
    with pytest.raises(StoreError, match="same \\$PHASEMEM_KEY_PEPPER"):
        open_keystore(tmp_path / "b", db)
    monkeypatch.setenv(PEPPER_ENV, "not hex")
    with pytest.raises(InvalidInputError, match="64 hex"):
        open_keystore(tmp_path / "b", db)


def test_keys_commands_work_against_postgres(db: str, tmp_path: Path) -> None:
    import json

    def run(*args: str) -> Any:
        res = cli("keys", *args, "--db", db, "--data-dir", str(tmp_path), "--json")
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    made = run("create", "--tenant", "acme", "--name", "ci")
    listed = run("list", "--tenant", "acme")["results"]
    assert [k["kid"] for k in listed] == [made["kid"]] and not (tmp_path / "keys.db").exists()
    ks = open_keystore(tmp_path / "elsewhere", db)  # another host, the same pepper (env)
    assert ks.authenticate(made["key"]).tenant == "acme"  # type: ignore[union-attr]
    assert run("revoke", made["kid"])["revoked_at"] is not None
    with pytest.raises(AuthError):
        ks.authenticate(made["key"])
    ks.close()
    bad = cli("keys", "list", "--db", "/tmp/x.db")
    assert bad.returncode != 0 and "postgresql://" in bad.stderr
