"""``GET /v1/export`` (issue 12 item 4): streamed from one snapshot, no file
on disk at any point, one user's rows when asked, nothing left behind by a
client that goes away (the snapshot is released, so a later ``forget`` can
still prove the text is gone)."""

from __future__ import annotations

import gc
import json
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the [server] extra")

from fastapi.testclient import TestClient  # noqa: E402

from phasemem.server.app import create_app  # noqa: E402
from phasemem.server.tenants import TenantPool  # noqa: E402


def test_export_streams_one_user_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where a temporary file would go
    pool = TenantPool(tmp_path / "data", embedder="hash-test", facts=False, lexical_index=False)
    key, _ = pool.keys.create("acme")
    mem = pool.get("acme")
    mem.add([{"role": "user", "content": f"alice note number {i}"} for i in range(700)],
            user_id="alice")  # fmt: skip
    mem.add("bob's private diary entry", user_id="bob")
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(tmp_path / "data", pool=pool)) as client:
        r = client.get("/v1/export", params={"user_id": "alice"}, headers=auth)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        rows = [json.loads(x) for x in r.text.splitlines()]
        assert rows[0]["kind"] == "header" and rows[0]["user_id"] == "alice"
        assert all(x["user_id"] == "alice" for x in rows[1:])
        assert sum(x["kind"] == "episode" for x in rows) == 700
        assert "bob" not in r.text
        for _ in range(5):  # clients that read one line and go away
            with client.stream("GET", "/v1/export", headers=auth) as s:
                assert json.loads(next(s.iter_lines()))["kind"] == "header"
        gc.collect()
        assert list(scratch.iterdir()) == []
        assert not list((tmp_path / "data").rglob("*export*"))
        bad = client.get("/v1/export", params={"user_id": "x\n"}, headers=auth)
        assert bad.status_code == 422
        report = mem.forget(user_id="bob")
        assert report["verified"] and report["episodes"] == 1
    pool.close()
