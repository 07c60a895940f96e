"""The LLM extractor against a real local HTTP server speaking the OpenAI protocol."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytest.importorskip("httpx")

from phasemem.errors import ExtractionError, InvalidInputError  # noqa: E402
from phasemem.extract import (  # noqa: E402
    ExtractedFact,
    Extraction,
    ExtractionInput,
    Extractor,
    LLMExtractor,
    RuleExtractor,
)

WED = datetime(2023, 5, 10, 14, 0, tzinfo=UTC)
ITEM = ExtractionInput(
    "I moved to Lisbon last month. My sister Ana lives in Porto.", "Maya", WED, "Tom"
)

Reply = tuple[int, str, float]  # status, body, delay in seconds


class FakeOpenAI(ThreadingHTTPServer):
    """Answers POST /v1/chat/completions with whatever ``reply`` returns; records requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.reply: Callable[[dict[str, Any]], Reply] = lambda req: (500, "{}", 0.0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        req = {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
        self.server.requests.append(req)
        status, text, delay = self.server.reply(req)
        if delay:
            time.sleep(delay)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    srv = FakeOpenAI()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def chat(content: str, status: int = 200, delay: float = 0.0) -> Callable[[dict[str, Any]], Reply]:
    body = json.dumps({"id": "x", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})  # fmt: skip
    return lambda req: (status, body, delay)


class Recorder(Extractor):
    """A fallback that says it was used."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def extract(self, item: ExtractionInput) -> Extraction:
        self.seen.append(item.text)
        return Extraction(facts=(ExtractedFact("fallback", "was", "used", None, None),))

    def extract_batch(self, items: Sequence[ExtractionInput]) -> list[Extraction]:
        return [self.extract(i) for i in items]


GOOD = {
    "entities": [{"name": "Lisbon", "type": "GPE"}, {"name": "Ana", "type": "PERSON"}],
    "facts": [
        {"subject": "Maya", "relation": "Live In", "object": "Lisbon", "valid_at": "2023-04-01",
         "invalid_at": None, "negated": False, "confidence": 0.9},
        {"subject": "Ana", "relation": "live in", "object": "Porto", "valid_at": None,
         "invalid_at": None, "negated": False},
        {"subject": "Maya", "relation": "have sister", "object": "Ana"},
    ],
}  # fmt: skip


def test_good_json_is_used_and_the_protocol_is_openai(server: FakeOpenAI) -> None:
    server.reply = chat(json.dumps(GOOD))
    fb = Recorder()
    ex = LLMExtractor(server.url, "test-model", api_key="sk-test", fallback=fb).extract(ITEM)
    assert fb.seen == []
    assert [(f.subject, f.relation, f.object) for f in ex.facts] == [
        ("Maya", "live in", "Lisbon"),
        ("Ana", "live in", "Porto"),
        ("Maya", "have sister", "Ana"),
    ]
    assert ex.facts[0].valid_at == datetime(2023, 4, 1, tzinfo=UTC)
    assert [e.name for e in ex.entities] == ["Lisbon", "Ana"]
    assert [t.text for t in ex.temporals] == ["last month"]  # times are resolved locally
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test"
    body = req["json"]
    assert body["model"] == "test-model"
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user = json.loads(body["messages"][1]["content"])
    assert user == {"text": ITEM.text, "speaker": "Maya", "listener": "Tom",
                    "occurred_at": "2023-05-10T14:00:00+00:00"}  # fmt: skip


def test_fenced_json_and_foreign_relation_names_are_accepted(server: FakeOpenAI) -> None:
    reply = {"facts": [{"subject": "Maya", "relation": "Wohnt  in", "object": "Lisbon"}]}
    server.reply = chat("```json\n" + json.dumps(reply) + "\n```")
    ex = LLMExtractor(server.url, "m", fallback=Recorder()).extract(ITEM)
    assert [(f.relation, f.object) for f in ex.facts] == [("wohnt in", "Lisbon")]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (chat("this is not json {"), "not JSON"),
        (chat(json.dumps(GOOD), status=500), "500"),
        (chat(json.dumps({"facts": "none"})), "must be lists"),
        (chat(json.dumps({"facts": [{"subject": "Maya", "relation": "live in"}]})), "object"),
        (
            chat(
                json.dumps(
                    {
                        "facts": [
                            {
                                "subject": "Maya",
                                "relation": "x",
                                "object": "y",
                                "valid_at": "last May",
                            }
                        ]
                    }
                )
            ),
            "ISO",
        ),  # fmt: skip
        (
            chat(
                json.dumps(
                    {
                        "facts": [
                            {"subject": "Maya", "relation": "x", "object": "y", "confidence": 7}
                        ]
                    }
                )
            ),
            "confidence",
        ),  # fmt: skip
        (
            chat(json.dumps({"facts": [{"subject": "Maya", "relation": "date", "object": "*"}]})),
            "'*'",
        ),
        (chat(json.dumps([1, 2, 3])), "object"),
        (lambda req: (200, "<html>gateway</html>", 0.0), "JSON"),
        (lambda req: (200, json.dumps({"choices": []}), 0.0), "IndexError"),
    ],
    ids=[
        "malformed",
        "http500",
        "facts-not-list",
        "missing-object",
        "bad-date",
        "bad-confidence",
        "positive-wildcard",
        "not-an-object",
        "html",
        "no-choices",
    ],  # fmt: skip
)
def test_bad_output_falls_back(server: FakeOpenAI, reply: Callable, reason: str) -> None:
    server.reply = reply
    fb = Recorder()
    llm = LLMExtractor(server.url, "m", fallback=fb)
    ex = llm.extract(ITEM)
    assert fb.seen == [ITEM.text]
    assert [(f.subject, f.object) for f in ex.facts] == [("fallback", "used")]
    assert llm.stats.fallbacks == 1
    assert reason in (llm.stats.last_fallback_reason or "")


def test_timeout_and_refused_connection_fall_back(server: FakeOpenAI) -> None:
    server.reply = chat(json.dumps(GOOD), delay=1.0)
    fb = Recorder()
    assert (
        LLMExtractor(server.url, "m", timeout=0.2, fallback=fb).extract(ITEM).facts[0].subject
        == "fallback"
    )
    dead = LLMExtractor("http://127.0.0.1:9/v1", "m", timeout=0.5, fallback=fb)
    assert dead.extract(ITEM).facts[0].subject == "fallback"
    assert len(fb.seen) == 2


def test_default_fallback_is_the_rule_extractor(server: FakeOpenAI) -> None:
    server.reply = chat("nope")
    llm = LLMExtractor(server.url, "m")
    ex = llm.extract(ITEM)
    assert ("Maya", "live in", "Lisbon") in {(f.subject, f.relation, f.object) for f in ex.facts}
    assert isinstance(llm._fallback, RuleExtractor)


def test_no_fallback_raises(server: FakeOpenAI) -> None:
    server.reply = chat("nope")
    with pytest.raises(ExtractionError):
        LLMExtractor(server.url, "m", fallback=None).extract(ITEM)


def test_invented_facts_are_dropped(server: FakeOpenAI) -> None:
    reply = {"facts": [
        {"subject": "Maya", "relation": "live in", "object": "Lisbon"},
        {"subject": "Maya", "relation": "work at", "object": "Google"},  # not in the text
        {"subject": "Maya's sister", "relation": "live in", "object": "Porto"},
        {"subject": "Bob", "relation": "like", "object": "Lisbon"},  # unknown person
    ]}  # fmt: skip
    server.reply = chat(json.dumps(reply))
    llm = LLMExtractor(server.url, "m", fallback=Recorder())
    ex = llm.extract(ITEM)
    assert [(f.subject, f.object) for f in ex.facts] == [
        ("Maya", "Lisbon"),
        ("Maya's sister", "Porto"),
    ]
    assert llm.stats.dropped_ungrounded == 2


def test_batch_falls_back_only_for_failed_items(server: FakeOpenAI) -> None:
    answers = iter([chat(json.dumps(GOOD)), chat("broken"), chat(json.dumps({"facts": []}))])
    server.reply = lambda req: next(answers)(req)
    fb = Recorder()
    items = [ITEM, ExtractionInput("Hi!", "Tom", WED), ExtractionInput("Haha", "Tom", WED)]
    out = LLMExtractor(server.url, "m", fallback=fb).extract_batch(items)
    assert len(out) == 3 and fb.seen == ["Hi!"]
    assert out[2].facts == ()


def test_configuration_errors() -> None:
    with pytest.raises(InvalidInputError):
        LLMExtractor("localhost:8000", "m")
    with pytest.raises(InvalidInputError):
        LLMExtractor.from_env(prefix="PHASEMEM_TEST_UNSET_")


def test_missing_httpx_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from phasemem.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "httpx", None)  # makes "import httpx" raise ImportError
    with pytest.raises(MissingExtraError, match=r"phasemem\[llm\]"):
        LLMExtractor("http://127.0.0.1:9/v1", "m")


def test_the_previous_turn_reaches_the_model_and_the_store(server: FakeOpenAI) -> None:
    """A short answer ("A Pixel 7.") needs the question before it: the LLM extractor
    sends it as "previous", and ``Memory.add`` passes it along the same path as rules."""
    from phasemem import Memory

    reply = {"entities": [], "facts": [{"subject": "Maya", "relation": "use phone",
                                        "object": "Pixel 7", "negated": False}]}  # fmt: skip
    server.reply = chat(json.dumps(reply))
    llm = LLMExtractor(server.url, "test-model", fallback=None)
    with Memory(":memory:", embedder="hash-test", extractor=llm) as m:
        m.add([{"role": "assistant", "name": "Tom", "content": "What phone is it?"},
               {"role": "user", "name": "Maya", "content": "A Pixel 7."}],
              user_id="maya", session_id="s", occurred_at="2023-05-10")  # fmt: skip
        assert [f.object for f in m.facts(user_id="maya", relation="use phone")] == ["Pixel 7"]
    sent = [json.loads(r["json"]["messages"][1]["content"]) for r in server.requests]
    answer = next(u for u in sent if u["text"] == "A Pixel 7.")
    assert answer["previous"] == "What phone is it?"
    assert "previous" not in next(u for u in sent if u["text"] == "What phone is it?")
