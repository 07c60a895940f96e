"""Request and response bodies of the REST API (what the OpenAPI schema shows).

Validation here is only of shape (types, lengths, ranges); the library
validates meaning (text, scope ids, times) and its ``InvalidInputError``
becomes the same 422 shape with the field named.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from phasemem.models import EPISODE_API_NAMES, EPISODE_FIELDS, Episode

#: Scope ids (user, agent, session, source): 1-256 printable characters (no
#: C0/C1 control character; lone surrogates are refused when the JSON is read).
#: The library's ``check_scope_value`` is the rule; this shows it in the schema.
SCOPE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
Scope = Field(min_length=1, max_length=256, pattern=SCOPE_PATTERN)
TimeValue = str | float | int
Text = Annotated[str, Field(min_length=1, max_length=32_000)]


def _scope(**kw: Any) -> Any:
    return Field(default=None, min_length=1, max_length=256, pattern=SCOPE_PATTERN, **kw)


class _Body(BaseModel):
    # strict: a JSON 0 is not a boolean and false is not a time.
    model_config = ConfigDict(extra="forbid", strict=True)


class Message(_Body):
    content: str = Field(min_length=1, max_length=32_000)
    role: Literal["user", "assistant", "system", "tool"] | None = None
    name: str | None = Field(default=None, max_length=200, description="Who said it.")
    occurred_at: TimeValue | None = None
    metadata: dict[str, Any] | None = None


class AddRequest(_Body):
    messages: Text | Message | list[Message] = Field(
        description="A text, one message, or a list of messages (one transaction)."
    )
    user_id: str = Scope
    agent_id: str | None = Field(default=None, min_length=1, max_length=256)
    session_id: str | None = Field(default=None, min_length=1, max_length=256)
    occurred_at: TimeValue | None = Field(
        default=None, description="ISO date/time or epoch seconds."
    )
    metadata: dict[str, Any] | None = None
    source: str | None = Field(
        default=None, min_length=1, max_length=256,
        description='Where it came from: "kind:name" ("web:example.com"), a kind, or a channel name.',
    )  # fmt: skip
    source_kind: str | None = Field(
        default=None, description="user, assistant, tool, web, email, agent or import."
    )
    actor: str | None = Field(default=None, min_length=1, max_length=256)


class UpdateRequest(_Body):
    text: str = Field(min_length=1, max_length=32_000)
    user_id: str | None = _scope()


class Filters(_Body):
    occurred_after: TimeValue | None = None
    occurred_before: TimeValue | None = None
    role: str | None = None
    speaker: str | None = None
    source: str | None = None
    metadata: dict[str, Any] | None = None


class SearchRequest(_Body):
    query: str = Field(min_length=1, max_length=4000)
    user_id: str = Scope
    agent_id: str | None = _scope()
    session_id: str | None = _scope()
    limit: int = Field(default=10, ge=1, le=1000)
    filters: Filters | None = None
    preset: Literal["balanced", "lexical", "dense", "rrf"] | None = None
    as_of: TimeValue | None = Field(default=None, description="Search as the store stood then.")
    trace: bool = False


class ContextRequest(_Body):
    query: str = Field(min_length=1, max_length=4000)
    user_id: str = Scope
    budget_tokens: int = Field(default=1500, ge=16, le=32_000)
    as_of: TimeValue | None = None
    source: str | None = _scope()


class VerdictRequest(_Body):
    user_id: str = Scope


class PinRequest(_Body):
    text: str = Field(min_length=1, max_length=4000)
    user_id: str = Scope


class ForgetRequest(_Body):
    user_id: str = Scope


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    model_config = ConfigDict(extra="allow")


class ErrorBody(BaseModel):
    error: ErrorDetail


class Results(BaseModel):
    results: list[dict[str, Any]]
    model_config = ConfigDict(extra="allow")


class Page(BaseModel):
    results: list[dict[str, Any]]
    next_offset: int | None = Field(
        description="Pass as offset for the next page; null at the end."
    )


def _episode_model() -> type[BaseModel]:
    """The memory as the API shows it, derived from the one declaration of an
    episode (:class:`phasemem.models.Episode`, its API names and ISO times), so
    the schema cannot drift from what ``Episode.to_dict`` returns."""
    hints = typing.get_type_hints(Episode)
    fields: dict[str, Any] = {}
    for name in EPISODE_FIELDS:
        kind = hints[name]
        if name.endswith("_at"):  # times are ISO-8601 strings in JSON
            kind = str | None if name == "updated_at" else str
        fields[EPISODE_API_NAMES.get(name, name)] = (kind, ...)
    return create_model("Memory", **fields)


MemoryOut = _episode_model()


class Whoami(BaseModel):
    tenant: str
    key_id: str


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in (
        (401, "Missing, invalid or revoked API key"),
        (404, "Unknown id (ids of other tenants are unknown too)"),
        (413, "Request body over the limit"),
        (422, "Malformed JSON or an invalid field (named in error.field)"),
        (501, "Not offered by this phasemem build"),
    )
}
