"""Security headers on every response of the REST server.

Why a raw ASGI middleware and not a FastAPI one: it must wrap everything,
including the answers that never reach FastAPI (``KeyAuth``'s 401,
``BodyLimit``'s 413, ``SearchFastPath``'s searches), so it is the outermost
layer and adds its headers to whatever ``http.response.start`` passes by.

The policy fits the page in ``phasemem/web``: its script, style sheet and
API calls all come from this origin, it has no inline script or style
attribute and no frames, so ``default-src 'self'`` and ``frame-ancestors
'none'`` cost it nothing, and an injected ``<script>`` or remote asset is
refused by the browser. Nothing is served from a CDN (``/docs`` and
``/redoc``, whose HTML loads Swagger UI from one, are off; the schema is at
``/openapi.json``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "SECURITY_HEADERS", "SecurityHeaders"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
_NAMES = {name for name, _ in SECURITY_HEADERS}


class SecurityHeaders:
    """Sets :data:`SECURITY_HEADERS` on every HTTP response (replacing any
    value an inner layer set, so no route can weaken them by accident)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _NAMES]
                message = {**message, "headers": [*kept, *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
