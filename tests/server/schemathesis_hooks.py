"""Schemathesis checks of phasemem's own contracts, loaded through
``SCHEMATHESIS_HOOKS=tests.server.schemathesis_hooks`` by test_schemathesis."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def phasemem_error_shape(ctx: Any, response: Any, case: Any) -> None:
    """Every error is ``{"error": {"code": str, "message": str, "field"?: str}}``."""
    if response.status_code < 400:
        return None
    body = response.json()
    err = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(err, dict)
        and isinstance(err.get("code"), str)
        and isinstance(err.get("message"), str)
    ):
        raise AssertionError(f"error body not in the documented shape: {body!r}"[:500])
    if "field" in err and not isinstance(err["field"], str):
        raise AssertionError(f"error.field is not a string: {err!r}"[:500])
    return None
