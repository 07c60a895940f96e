"""One JSON error shape for every failure, and the request-size guard.

Every error body is ``{"error": {"code": ..., "message": ..., "field"?: ...}}``
with a stable ``code`` (the ``PhasememError.code`` where there is one):

=============================  ======  =====================
cause                          status  code
=============================  ======  =====================
missing / bad / revoked key    401     ``unauthorized``
unknown id (or another tenant) 404     ``not_found``
unknown route                  404     ``not_found``
wrong method                   405     ``method_not_allowed``
body over the limit            413     ``payload_too_large``
malformed JSON                 422     ``invalid_json``
a field fails validation       422     ``invalid_input`` (+ ``field``)
feature not in this build      501     ``not_implemented``
anything else                  500     ``internal`` (no details leak)
=============================  ======  =====================
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phasemem.errors import (
    AuthError,
    InvalidInputError,
    MissingExtraError,
    NotFoundError,
    PhasememError,
)

log = logging.getLogger("phasemem.server")

_STATUS: list[tuple[type[PhasememError], int]] = [
    (AuthError, 401),
    (NotFoundError, 404),
    (InvalidInputError, 422),
    (MissingExtraError, 501),
]
_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large", 501: "not_implemented"}  # fmt: skip


class NotImplementedYet(PhasememError):
    """An operation this phasemem's ``Memory`` does not offer (yet)."""

    code = "not_implemented"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            **{k: v for k, v in extra.items() if v is not None},
        }
    }


def _phasemem_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PhasememError)
    status = next((s for t, s in _STATUS if isinstance(exc, t)), 500)
    if isinstance(exc, NotImplementedYet):
        status = 501
    body = exc.to_dict()
    if status == 500:  # the code is stable; the message may hold paths: log it only
        log.error("%s: %s", exc.code, exc.message)
        body = {"code": exc.code, "message": f"internal error ({exc.code})"}
    # Context keys the client gave us are safe to echo; paths are not.
    body.pop("path", None)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errs = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errs):
        first = next(e for e in errs if e.get("type") == "json_invalid")
        msg = f"request body is not valid JSON: {first.get('ctx', {}).get('error', 'parse error')}"
        return JSONResponse(error_body("invalid_json", msg, field="body"), status_code=422)
    first = errs[0] if errs else {}
    if tuple(first.get("loc", ())) == ("body",) and first.get("type") in (
        "model_attributes_type",
        "dict_type",
    ):
        msg = "request body must be a JSON object (send Content-Type: application/json)"
        return JSONResponse(error_body("invalid_json", msg, field="body"), status_code=422)
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    details = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or None, "message": e.get("msg")}
               for e in errs[:20]]  # fmt: skip
    msg = f"{field}: {first.get('msg')}" if field else str(first.get("msg", "invalid request"))
    return JSONResponse(
        error_body("invalid_input", msg, field=field, details=details), status_code=422
    )


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and "parsing the body" in str(exc.detail):
        # e.g. bytes that are not UTF-8: the same answer as any other bad JSON
        return JSONResponse(error_body("invalid_json", "request body is not valid JSON", field="body"),
                            status_code=422)  # fmt: skip
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed(request))
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                        headers=headers or None)  # fmt: skip


def _allowed(request: Request) -> list[str]:
    """Every method any route serves at this path (Starlette names only the
    first route's, and FastAPI makes one route per method)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal", "internal server error"), status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PhasememError, _phasemem_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


class BodyLimit:
    """Reads the whole body first (up to ``max_bytes``), then hands it on.

    Why buffer instead of streaming: a body over the limit is refused with 413
    before any handler runs, and a client that disconnects mid-body never
    reaches a handler at all, so nothing can be half-written by either."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                await _send_json(send, 400, error_body("bad_request", "bad Content-Length"))
                return
            if declared > self.max_bytes:
                await _send_json(send, 413, _too_large(self.max_bytes))
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return  # the client left before sending its body: do nothing
            body = msg.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await _send_json(send, 413, _too_large(self.max_bytes))
                return
            chunks.append(body)
            if not msg.get("more_body", False):
                break
        data = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _too_large(limit: int) -> dict[str, Any]:
    return error_body("payload_too_large", f"request body is over {limit} bytes", limit=limit)


async def _send_json(send: Send, status: int, body: dict[str, Any],
                     extra: Sequence[tuple[bytes, bytes]] = ()) -> None:  # fmt: skip
    """A JSON response from middleware; the body may be unread, so close after it."""
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(raw)).encode()),
                            (b"connection", b"close"), *extra]})  # fmt: skip
    await send({"type": "http.response.body", "body": raw})
