"""A fake OpenAI-compatible provider: a real HTTP server on 127.0.0.1, run in a background thread.

It speaks `GET /v1/models` and `POST /v1/chat/completions` (plain and streamed as server-sent events), records
every request it receives (method, path, headers, JSON body), and answers deterministically: the assistant's
reply echoes the last user message as `echo: <text>` (after a tool result: `tool said: <output>`). It speaks
tools and structured output as a model would: a request with function tools whose last message is the
user's is answered with a call of the first tool (or the one `tool_choice` names; none with
`tool_choice: "none"`), its arguments made from the tool's parameter schema; a `response_format` of
`json_schema` is answered with JSON made from the schema, `json_object` with `{"echo": <text>}`. A test can
script what the next requests meet with a queue of behaviours (`status(500)`, `status(429, retry_after=0)`,
`sleep(2)`, `held()`, `cut_stream_after(1)`, `reply("hi")`, `token_details(cached=3, reasoning=2)`,
`raw_answer(text, content_type)`); once the queue is empty, the default behaviour (normally an echo)
answers.

It binds only to 127.0.0.1, on a port the OS picks, and answers in HTTP/1.0 style (one request per
connection) so that a response body without a length simply ends when the connection closes, which is what
`cut_stream_after` relies on to end a stream early without the final `[DONE]`.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAKE_MODELS = ("fake-model", "fake-model-large")
CREATED = 1_700_000_000


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request. Build these with the functions below."""

    kind: str  # reply | status | sleep | hold | cut | raw
    text: str | None = None
    code: int = 200
    message: str | None = None
    raw_body: str | None = None
    retry_after: float | str | None = None
    seconds: float = 0.0
    chunks: int = 0
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    content_type: str = "application/json"


def reply(text: str) -> Behaviour:
    """Answer successfully with this assistant text instead of the echo."""
    return Behaviour("reply", text=text)


def token_details(*, cached: int, reasoning: int) -> Behaviour:
    """Echo as usual, with usage that reports cached prompt tokens and reasoning completion tokens."""
    return Behaviour("reply", cached_tokens=cached, reasoning_tokens=reasoning)


def status(
    code: int,
    message: str | None = None,
    *,
    retry_after: float | str | None = None,
    raw_body: str | None = None,
) -> Behaviour:
    """Answer with an HTTP error status and an OpenAI error body (or `raw_body` verbatim)."""
    return Behaviour("status", code=code, message=message, retry_after=retry_after, raw_body=raw_body)


def sleep(seconds: float) -> Behaviour:
    """Wait this long before answering normally (to trigger client read timeouts)."""
    return Behaviour("sleep", seconds=seconds)


def held() -> Behaviour:
    """Wait until the test calls `FakeOpenAI.release()` (or the server stops), then answer normally:
    a provider that hangs for exactly as long as a test needs, with no clock involved."""
    return Behaviour("hold")


def cut_stream_after(n_chunks: int) -> Behaviour:
    """For a streamed request: send `n_chunks` SSE chunks, then close the connection without `[DONE]`."""
    return Behaviour("cut", chunks=n_chunks)


def raw_answer(text: str, content_type: str = "text/event-stream") -> Behaviour:
    """Answer 200 with exactly this body (UTF-8), whatever was asked: hand-written SSE, a JSON body..."""
    return Behaviour("raw", raw_body=text, content_type=content_type)


ECHO = Behaviour("reply")


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    queue: deque[Behaviour] = field(default_factory=deque)
    default: Behaviour = ECHO
    models: list[str] = field(default_factory=lambda: list(FAKE_MODELS))
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def next_behaviour(self) -> Behaviour:
        with self.lock:
            return self.queue.popleft() if self.queue else self.default


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _last_message(body: dict[str, Any]) -> dict[str, Any]:
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    return last if isinstance(last, dict) else {}


def _reply_text(body: dict[str, Any]) -> str:
    last = _last_message(body)
    if last.get("role") == "tool":
        text = f"tool said: {last.get('content')}"
    else:
        text = f"echo: {_last_user_text(body)}"
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_object":
        return json.dumps({"echo": text})
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(schema_instance(schema, schema, text))
    return text


def schema_instance(schema: dict[str, Any], root: dict[str, Any], text: str) -> Any:
    """A value that satisfies a JSON schema (objects, arrays, scalars, enums, anyOf, local `$ref`s)."""
    if "$ref" in schema:
        target: Any = root
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        return schema_instance(target, root, text)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return schema_instance(schema[key][0], root, text)
    return _typed_instance(schema, root, text)


def _typed_instance(schema: dict[str, Any], root: dict[str, Any], text: str) -> Any:
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    values: dict[str, Any] = {"string": text, "integer": 1, "number": 1.5, "boolean": True, "null": None}
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: schema_instance(sub, root, text) for name, sub in props.items()}
    if kind == "array":
        return [schema_instance(schema.get("items") or {}, root, text)]
    return values.get(kind, text)


def _tool_call(body: dict[str, Any], completion_id: str) -> dict[str, Any] | None:
    """The call a model would make: of the named or first function tool, when the user spoke last."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"]
    choice = body.get("tool_choice")
    if not tools or choice == "none" or _last_message(body).get("role") != "user":
        return None
    tool = tools[0]
    if isinstance(choice, dict) and choice.get("type") == "function":
        named = (choice.get("function") or {}).get("name")
        tool = next((t for t in tools if t["function"]["name"] == named), tool)
    function = tool.get("function") or {}
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    arguments = json.dumps(schema_instance(parameters, parameters, _last_user_text(body)))
    return {
        "id": f"call_{completion_id.removeprefix('chatcmpl-')}",
        "type": "function",
        "function": {"name": function.get("name"), "arguments": arguments},
    }


def _split_for_stream(text: str) -> list[str]:
    """Split into word-sized pieces that join back to exactly `text`."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch == " ":
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces or [""]


def _usage(body: dict[str, Any], text: str, behaviour: Behaviour) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages") or [])
    completion = len(text.split())
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if behaviour.cached_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": behaviour.cached_tokens, "audio_tokens": 0}
    if behaviour.reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": behaviour.reasoning_tokens}
    return usage


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    # -- plumbing ---------------------------------------------------------------------------------------

    def _record(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        state = self.server.state
        with state.lock:
            state.requests.append(RecordedRequest(self.command, self.path, headers, body))
        return body

    def _send_json(self, code: int, payload: Any, extra_headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error_behaviour(self, behaviour: Behaviour) -> None:
        extra = {} if behaviour.retry_after is None else {"Retry-After": str(behaviour.retry_after)}
        if behaviour.raw_body is not None:
            data = behaviour.raw_body.encode()
            self.send_response(behaviour.code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            return
        message = behaviour.message or f"fake provider error {behaviour.code}"
        # A provider that quotes the credentials it was sent ("Incorrect API key provided: ...").
        message = message.replace("<authorization>", self.headers.get("Authorization") or "")
        error = {"error": {"message": message, "type": "fake_error", "code": str(behaviour.code)}}
        self._send_json(behaviour.code, error, extra)

    def _send_raw(self, behaviour: Behaviour) -> None:
        data = (behaviour.raw_body or "").encode()
        self.send_response(200)
        self.send_header("Content-Type", behaviour.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _behaviour(self) -> Behaviour | None:
        """The behaviour for this request after any scripted sleep, or None if the server is stopping."""
        behaviour = self.server.state.next_behaviour()
        state = self.server.state
        if behaviour.kind == "sleep":
            if state.stopping.wait(behaviour.seconds):
                return None
            behaviour = ECHO
        if behaviour.kind == "hold":
            while not state.released.wait(0.02):
                if state.stopping.is_set():
                    return None
            behaviour = ECHO
        return behaviour

    # -- routes -----------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._record()
        behaviour = self._behaviour()
        if behaviour is None:
            return
        if behaviour.kind == "status":
            self._send_error_behaviour(behaviour)
            return
        if self.path.rstrip("/") != "/v1/models":
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        data = [
            {"id": model, "object": "model", "created": CREATED, "owned_by": "fake"}
            for model in self.server.state.models
        ]
        self._send_json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:
        body = self._record()
        behaviour = self._behaviour()
        if behaviour is None:
            return
        if behaviour.kind == "status":
            self._send_error_behaviour(behaviour)
            return
        if behaviour.kind == "raw":
            self._send_raw(behaviour)
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        if not isinstance(body, dict) or not body.get("model") or not isinstance(body.get("messages"), list):
            self._send_json(400, {"error": {"message": "model and messages are required", "type": "invalid"}})
            return
        text = behaviour.text if behaviour.text is not None else _reply_text(body)
        if body.get("stream"):
            self._stream(body, text, behaviour)
        else:
            self._send_json(200, self._completion(body, text, behaviour))

    # -- completions ------------------------------------------------------------------------------------

    def _completion_id(self) -> str:
        with self.server.state.lock:
            return f"chatcmpl-fake{len(self.server.state.requests):04d}"

    def _completion(self, body: dict[str, Any], text: str, behaviour: Behaviour) -> dict[str, Any]:
        completion_id = self._completion_id()
        call = _tool_call(body, completion_id) if behaviour.text is None else None
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if call is not None:
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": CREATED,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "stop" if call is None else "tool_calls",
                    "logprobs": None,
                }
            ],
            "usage": _usage(body, text, behaviour),
        }

    def _stream_chunks(self, body: dict[str, Any], text: str, behaviour: Behaviour) -> list[dict[str, Any]]:
        base = {"id": self._completion_id(), "object": "chat.completion.chunk", "created": CREATED}
        base["model"] = body["model"]

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        call = _tool_call(body, base["id"]) if behaviour.text is None else None
        chunks = [chunk({"role": "assistant", "content": ""})]
        if call is None:
            chunks += [chunk({"content": piece}) for piece in _split_for_stream(text)]
            chunks.append(chunk({}, "stop"))
        else:
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            head = {"index": 0, "id": call["id"], "type": "function"}
            head["function"] = {"name": call["function"]["name"], "arguments": arguments[:half]}
            chunks.append(chunk({"tool_calls": [head]}))
            chunks.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}))
            chunks.append(chunk({}, "tool_calls"))
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": _usage(body, text, behaviour)})
        return chunks

    def _stream(self, body: dict[str, Any], text: str, behaviour: Behaviour) -> None:
        cut_after = behaviour.chunks if behaviour.kind == "cut" else None
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        chunks = self._stream_chunks(body, text, behaviour)
        for index, payload in enumerate(chunks):
            if cut_after is not None and index >= cut_after:
                self.close_connection = True
                return
            self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many clients connecting at once are accepted, not made to retry their SYN
    state: _State

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading a stream early (as some tests do on purpose) is not an error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAI:
    """A running fake provider. `base_url` ends with `/v1`, as OpenAI clients expect."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State()
        # A short poll interval keeps shutdown (and so every test's teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-openai", daemon=True
        )
        self.running = False

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        """The URL without `/v1`, as an ollama config writes it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    @property
    def models(self) -> list[str]:
        return self._server.state.models

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, one each, in order."""
        with self._server.state.lock:
            self._server.state.queue.extend(behaviours)

    def release(self) -> None:
        """Let every request held by `held()` go on (and any later one pass at once)."""
        self._server.state.released.set()

    def set_default(self, behaviour: Behaviour) -> None:
        """What every request meets once the queue is empty (for a provider that keeps failing)."""
        self._server.state.default = behaviour

    def start(self) -> FakeOpenAI:
        self._thread.start()
        self.running = True
        return self

    def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        self._server.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
