"""The ceiling for `bench/serve_ceiling.py`: a raw asyncio HTTP/1.1 server that stores nothing and answers
canned bodies.

It answers by route (method + path shape) with bodies it was given, keeps connections alive, and reads each
request whole before answering, so that the same client against it measures what HTTP on this machine costs
with no server work at all. It also plays the inference provider (`POST /v1/chat/completions`, plain or
streamed), optionally answering after `delay` seconds, and counts the provider calls in flight.

Bound to 127.0.0.1 only, on a port the OS picks. Run it as its own process (`python -m bench.ceiling
[--delay S] [--canned FILE]`, which prints the port), so that it shares no interpreter lock with the client:
`GET /v1/in_flight` says how many provider calls it holds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import sys
import threading

Route = tuple[str, str]  # (method, route name)
Canned = dict[Route, tuple[bytes, str]]  # -> (body, content type)

_ID = r"[A-Za-z0-9_]+"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/v1/conversations"), "create"),
    ("POST", re.compile(rf"/v1/conversations/{_ID}/items"), "add"),
    ("GET", re.compile(rf"/v1/conversations/{_ID}/items"), "list"),
    ("GET", re.compile(rf"/v1/conversations/{_ID}"), "retrieve"),
    ("POST", re.compile(r"/v1/responses"), "responses"),
    ("POST", re.compile(r"/v1/chat/completions"), "chat"),
    ("GET", re.compile(r"/v1/health"), "health"),
    ("GET", re.compile(r"/v1/in_flight"), "in_flight"),
]

CHAT_TEXT = "echo: benchmark"


def _chat_bodies() -> tuple[bytes, bytes]:
    completion = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": CHAT_TEXT}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_700_000_000}
    chunks = [
        {
            **base,
            "model": "fake-model",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
        },
        *(
            {**base, "model": "fake-model", "choices": [{"index": 0, "delta": {"content": piece}}]}
            for piece in ("echo: ", "benchmark")
        ),
        {**base, "model": "fake-model", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**base, "model": "fake-model", "choices": [], "usage": completion["usage"]},
    ]
    stream = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    return json.dumps(completion).encode(), stream.encode()


def route_of(method: str, path: str) -> str | None:
    for route_method, pattern, name in ROUTES:
        if method == route_method and pattern.fullmatch(path):
            return name
    return None


class CannedServer:
    """A running ceiling server. `canned[(route, stream)]` is the body for a route; `stream` is whether the
    request asked for one (`"stream": true`)."""

    def __init__(self, delay: float = 0.0) -> None:
        completion, stream = _chat_bodies()
        self.canned: dict[tuple[str, bool], tuple[bytes, str]] = {
            ("chat", False): (completion, "application/json"),
            ("chat", True): (stream, "text/event-stream"),
            ("health", False): (b'{"status":"OK"}', "application/json"),
        }
        self.delay = delay
        self.in_flight = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, name="bench-ceiling", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> CannedServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        def close() -> None:
            if self._server is not None:
                self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        self._loop.run_forever()

    def _count(self, step: int) -> None:
        with self._lock:
            self.in_flight += step

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                route = route_of(method, target.split("?", 1)[0])
                stream = b'"stream":true' in body.replace(b" ", b"")
                if route == "chat":
                    self._count(1)
                    try:
                        if self.delay:
                            await asyncio.sleep(self.delay)
                    finally:
                        self._count(-1)
                answer = self.canned.get((route or "", stream)) or self.canned.get((route or "", False))
                if route == "in_flight":
                    answer = (str(self.in_flight).encode(), "application/json")
                status, (data, media) = (
                    ("200 OK", answer) if answer else ("404 Not Found", (b"{}", "application/json"))
                )
                head = f"HTTP/1.1 {status}\r\ncontent-type: {media}\r\ncontent-length: {len(data)}\r\n\r\n"
                writer.write(head.encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()


def save_canned(canned: dict[tuple[str, bool], tuple[bytes, str]], path: str) -> None:
    rows = [
        [route, stream, base64.b64encode(body).decode(), media]
        for (route, stream), (body, media) in canned.items()
    ]
    with open(path, "w", encoding="utf-8") as out:
        json.dump(rows, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each chat completion")
    parser.add_argument("--canned", help="a file of canned bodies (from save_canned)")
    args = parser.parse_args()
    server = CannedServer(args.delay)
    if args.canned:
        with open(args.canned, encoding="utf-8") as source:
            for route, stream, body, media in json.load(source):
                server.canned[(route, stream)] = (base64.b64decode(body), media)
    server.start()
    sys.stdout.write(f"{server.port}\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


if __name__ == "__main__":
    main()
