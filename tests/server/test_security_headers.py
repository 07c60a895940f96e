"""Every response of the REST server carries the security headers, whichever
layer answers it (FastAPI, KeyAuth, BodyLimit, the direct search path, the
static files, Starlette's 500 handler), and no served page loads anything
from another origin."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from phasemem.server.security import CSP
from tests.server.conftest import EMBEDDER, Server

EXPECTED = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _has_headers(r: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert r.headers.get(name) == value, (r.request.url, r.status_code, name, r.headers)
    assert "default-src 'self'" in CSP and "'unsafe-inline'" not in CSP


def test_every_layer_sends_the_headers(server: Server) -> None:
    user = f"h-{uuid.uuid4().hex[:6]}"
    with server.client(server.key_a) as c:
        before = c.get("/v1/healthz").json()["search"]["served"]
        answers = {
            "page": c.get("/"),
            "static js": c.get("/static/app.js"),
            "static css": c.get("/static/style.css"),
            "static 404": c.get("/static/nope.js"),
            "schema": c.get("/openapi.json"),
            "health": c.get("/v1/healthz"),
            "route 200": c.get("/v1/whoami"),
            "add 201": c.post(
                "/v1/memories", json={"user_id": user, "messages": "I live in Porto."}
            ),
            "fast search": c.post("/v1/search", json={"query": "Porto", "user_id": user}),
            "route 422": c.post("/v1/search", json={"query": "", "user_id": user}),
            "route 404": c.get("/v1/nowhere"),
            "route 405": c.put("/v1/search", json={}),
            "body 413": c.post("/v1/memories", content=b"x" * 70_000),
        }
        assert c.get("/v1/healthz").json()["search"]["served"] == before + 1  # the direct path
    with server.client(None) as anon:
        answers["auth 401"] = anon.get("/v1/whoami")
    statuses = {k: r.status_code for k, r in answers.items()}
    assert statuses == {"page": 200, "static js": 200, "static css": 200, "static 404": 404,
                        "schema": 200, "health": 200, "route 200": 200, "add 201": 201,
                        "fast search": 200, "route 422": 422, "route 404": 404, "route 405": 405,
                        "body 413": 413, "auth 401": 401}  # fmt: skip
    for r in answers.values():
        _has_headers(r)


def test_no_cdn_and_no_remote_assets(server: Server) -> None:
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/docs").status_code == 404 and c.get("/redoc").status_code == 404
        html = c.get("/").text
        for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert c.get(path).status_code == 200, path
    remote = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?\s*(?:https?:)?//""", re.I)
    assert not remote.search(html) and "cdn" not in html.lower()
    # nor in any file the page is made of (the SVG namespace URI is not an asset)
    web = Path(__file__).resolve().parents[2] / "phasemem" / "web"
    for f in web.iterdir():
        text = f.read_text(encoding="utf-8")
        assert not remote.search(text) and "cdn" not in text.lower(), f
        assert "<script>" not in text and " style=" not in text, f  # nothing inline: CSP refuses it


def test_a_500_carries_the_headers_too(tmp_path: Path) -> None:
    """Starlette answers an unhandled exception from its outermost error layer,
    outside any ``add_middleware`` layer: the headers must still be there."""
    from starlette.testclient import TestClient

    from phasemem.server.app import create_app
    from phasemem.server.keys import KeyStore

    app = create_app(tmp_path, embedder=EMBEDDER, facts=False, lexical_index=False)

    @app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    ks = KeyStore(tmp_path / "keys.db")
    key = ks.create("t", "test")[0]
    ks.close()
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/v1/boom", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 500 and "kaboom" not in r.text
    _has_headers(r)


@pytest.mark.parametrize("inner", [b"sameorigin", b"SAMEORIGIN"])
def test_inner_layers_cannot_weaken_them(inner: bytes) -> None:
    import asyncio

    from phasemem.server.security import SecurityHeaders

    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200,  # type: ignore[operator]
                    "headers": [(b"x-frame-options", inner), (b"content-type", b"text/plain")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]

    async def send(msg: dict[str, object]) -> None:
        sent.append(msg)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    asyncio.run(SecurityHeaders(app)({"type": "http"}, receive, send))  # type: ignore[arg-type]
    headers = sent[0]["headers"]
    assert [v for k, v in headers if k == b"x-frame-options"] == [b"DENY"]  # type: ignore[attr-defined]
    assert (b"content-type", b"text/plain") in headers  # type: ignore[operator]
