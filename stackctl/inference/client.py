"""A client for OpenAI-compatible chat-completions APIs, over httpx, with retries and record/replay.

`InferenceClient` sends `POST /chat/completions` (plain or streamed as server-sent events) and
`GET /models` to a `ProviderEndpoint` (see `stackctl.inference.endpoints`). Only commands that call providers
import this module, so httpx is imported here at the top and nowhere on the CLI's start-up path.

Invariants:
- Every failure is an `UpstreamError` (exit 6) carrying the HTTP status and `Retry-After` when there was an
  answer (else whether it was a timeout or a failed connection) and the provider's own error message
  (OpenAI's `{"error": {"message": ...}}`, or what else it sent, shortened).
- A missing or unsendable API key is an `InvalidInputError` (exit 3) before any request; no message quotes
  a header's value (a transport error that does is masked).
- 408, 409, 429 (unless `RetryPolicy.retry_rate_limits` is off), 5xx, connection errors and timeouts are
  retried, at most `RetryPolicy.attempts` tries in all, after an exponential backoff with jitter, or after
  the provider's `Retry-After` (capped). Other statuses, and a request that httpx refuses to send, fail at
  once.
- A stream is retried only before its first chunk arrives; once a chunk is out, a failure is final. A JSON
  answer to a stream request is not retried: a whole chat.completion (from a provider that ignores
  `stream`) is taken as a one-chunk stream, anything else is a failure with the provider's message. A stream
  that ends without `[DONE]` or a `finish_reason` is a failure ("stream ended early"), never a short answer.
- Text from a provider (or a recording) is valid Unicode when it leaves: a surrogate pair split across
  stream chunks is joined, and a lone surrogate becomes U+FFFD (see `stackctl.inference.surrogates`).
- With a recorder: replay never touches the network; record writes only after a successful, complete call.
- Deadlines: a non-streamed call, retries and backoff included, ends within `Timeouts.total`; a stream waits
  at most `Timeouts.idle` for its first chunk (retries included) and as long between chunks. A call whose
  deadline passes is a `ProviderTimeoutError` (exit 6, HTTP 504) saying how long it waited; no retry is
  started that the deadline leaves no time for. `STACKCTL_TIMEOUT` sets both (see `limits_from_env`).
- An answer is read with a byte cap checked while reading (`max_answer_bytes`, 16 MiB unless
  `STACKCTL_MAX_ANSWER_BYTES` says otherwise): a larger one is an `UpstreamError` (exit 6, HTTP 502) with
  code `answer_too_large`, never retried, and nothing of it is kept.
- The HTTP client (TLS context, connection pool) is the caller's to share (`stackctl.inference.transport`);
  a client made here for one `InferenceClient` is closed with it.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from stackctl import __version__
from stackctl.errors import ProviderTimeoutError, UpstreamError
from stackctl.inference.chunks import Answered, SseReader, completion_chunks, finishes, provider_message
from stackctl.inference.endpoints import ProviderEndpoint, endpoint_for
from stackctl.inference.lean_httpx import httpx
from stackctl.inference.limits import (
    DEFAULT_MAX_ANSWER_BYTES,
    MAX_ANSWER_VAR,
    TIMEOUT_HINT,
    Deadline,
    Timeouts,
)
from stackctl.inference.recording import Recorder, RecordingConfig, describe_request
from stackctl.inference.retries import Retryable, RetryPolicy, retry_after_seconds
from stackctl.inference.surrogates import valid_chunks, valid_json
from stackctl.inference.transport import HttpClients, new_client

T = TypeVar("T")

CHAT_PATH = "/chat/completions"
MODELS_PATH = "/models"


class InferenceClient:
    """Talks to one provider endpoint. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        endpoint: ProviderEndpoint,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        recording: RecordingConfig | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.recorder = Recorder(recording) if recording is not None else None
        self.max_answer_bytes = max_answer_bytes
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._owns_client = http_client is None
        self._http = http_client or new_client(endpoint.base_url, transport)

    def __enter__(self) -> InferenceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    # -- public calls -------------------------------------------------------------------------------------

    def chat(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /chat/completions` without streaming; returns the chat.completion object."""
        body = {k: v for k, v in request.items() if k not in ("stream", "stream_options")}
        answer = self._call_json("POST", CHAT_PATH, body)
        if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list):
            raise self._error(f"answered {describe_request('POST', CHAT_PATH, body)} with no choices")
        return answer

    def chat_stream(self, request: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """`POST /chat/completions` with `stream: true`; yields each parsed chunk as it arrives.

        The request is sent when iteration starts. Pass `stream_options: {"include_usage": true}` in the
        request to get a last chunk with usage."""
        body = {**request, "stream": True}
        recorder = self.recorder
        if recorder is not None and recorder.config.reads:
            recording = recorder.lookup("POST", CHAT_PATH, body, self.max_answer_bytes)
            if recording is not None and recording.chunks is not None:
                yield from valid_chunks(recording.chunks)
                return
            if not recorder.config.writes:
                raise recorder.miss("POST", CHAT_PATH, body)
        chunks: list[dict[str, Any]] = []
        for chunk in valid_chunks(self._stream_live(body)):
            chunks.append(chunk)
            yield chunk
        if recorder is not None:
            recorder.save_stream("POST", CHAT_PATH, body, chunks)

    def list_models(self) -> list[dict[str, Any]]:
        """`GET /models`; returns the `data` list of model objects."""
        answer = self._call_json("GET", MODELS_PATH, None)
        data = answer.get("data") if isinstance(answer, dict) else answer
        if not isinstance(data, list):
            raise self._error(f"answered GET {MODELS_PATH} with no model list")
        return [item for item in data if isinstance(item, dict)]

    # -- plumbing -----------------------------------------------------------------------------------------

    def _error(
        self,
        message: str,
        status: int | None = None,
        *,
        retry_after: float | None = None,
        failure: str | None = None,
    ) -> UpstreamError:
        # A provider may quote the key it was sent ("Incorrect API key provided: sk-..."): masked here.
        return UpstreamError(
            self.endpoint.redact(f"provider {self.endpoint.label} {message}"),
            status=status,
            retry_after=retry_after,
            failure=failure,
        )

    def _headers(self, *, stream: bool = False) -> dict[str, str]:
        if self.endpoint.key_error is not None:
            raise self.endpoint.key_error
        headers = {"User-Agent": f"stackctl/{__version__}", "Accept": "application/json"}
        if stream:
            headers["Accept"] = "text/event-stream"
        headers.update(self.endpoint.headers)
        return headers

    def _call_json(self, method: str, path: str, body: Any) -> Any:
        recorder = self.recorder
        if recorder is not None and recorder.config.reads:
            recording = recorder.lookup(method, path, body, self.max_answer_bytes)
            if recording is not None and recording.chunks is None:
                return valid_json(recording.body)
            if not recorder.config.writes:
                raise recorder.miss(method, path, body)
        deadline = Deadline(self.timeouts.total, self._clock)
        status, answer = self._with_retries(lambda: self._try_json(method, path, body, deadline), deadline)
        answer = valid_json(answer)
        if recorder is not None:
            recorder.save_response(method, path, body, status, answer)
        return answer

    def _with_retries(self, attempt: Callable[[], T], deadline: Deadline) -> T:
        tries = max(1, self.retry.attempts)
        for number in range(1, tries + 1):
            try:
                return attempt()
            except Retryable as failure:
                delay = self._delay(number, failure.retry_after)
                out_of_time = number < tries and delay >= deadline.remaining()
                if number == tries or out_of_time:
                    error = failure.error
                    suffix = f" (after {number} attempts)" if number > 1 else ""
                    if out_of_time:
                        suffix = f" (after {number} attempt{'s' if number > 1 else ''}; no time is left "
                        suffix += f"for another within the {deadline.seconds:g}s deadline)"
                    raise UpstreamError(
                        error.message + suffix,
                        status=error.status,
                        retry_after=error.retry_after,
                        failure=error.failure,
                        hint=error.hint,
                    ) from failure.__cause__
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, failed_tries: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.retry.max_retry_after)
        base = min(self.retry.backoff * 2.0 ** (failed_tries - 1), self.retry.max_backoff)
        # Full-range jitter around the base keeps many clients from retrying in lockstep.
        return base * (0.5 + self._jitter())

    def _timeout(self, deadline: Deadline, read: float) -> httpx.Timeout:
        """One try's timeouts: never past the deadline."""
        left = max(deadline.remaining(), 0.001)
        return httpx.Timeout(
            connect=min(self.timeouts.connect, left), read=min(read, left), write=min(read, left), pool=left
        )

    def _deadline_error(self, what: str, deadline: Deadline, wait: str = "within") -> ProviderTimeoutError:
        message = (
            f"provider {self.endpoint.label} did not answer {what} {wait} the {deadline.seconds:g}s deadline "
            f"(retries included): waited {deadline.elapsed():.1f}s"
        )
        return ProviderTimeoutError(self.endpoint.redact(message), hint=TIMEOUT_HINT, failure="timeout")

    def _too_large(self, what: str) -> UpstreamError:
        error = self._error(f"answered {what} with more than {self.max_answer_bytes} bytes: refused")
        error.code = "answer_too_large"
        error.hint = f"raise the cap with {MAX_ANSWER_VAR} if such answers are expected"
        return error

    def _read_capped(self, response: httpx.Response, deadline: Deadline, what: str) -> bytes:
        """The body, read with the byte cap and the deadline checked as it arrives."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_answer_bytes:
            raise self._too_large(what)
        parts: list[bytes] = []
        size = 0
        for piece in response.iter_bytes():
            size += len(piece)
            if size > self.max_answer_bytes:
                raise self._too_large(what)
            if deadline.passed():
                raise self._deadline_error(what, deadline)
            parts.append(piece)
        return b"".join(parts)

    def _transport_failure(
        self, exc: httpx.TransportError, what: str, deadline: Deadline | None = None
    ) -> UpstreamError | Retryable:
        """The error for a failed exchange: retryable, unless the request itself was at fault or the
        deadline has passed."""
        url = self.endpoint.base_url
        detail = self.endpoint.redact(str(exc))  # httpx may quote a header, and so a key
        if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
            return self._error(f"was not sent {what}, which httpx refused: {detail}")
        if isinstance(exc, httpx.TimeoutException) and deadline is not None and deadline.passed():
            return self._deadline_error(what, deadline)
        kind: str | None = "timeout"
        if isinstance(exc, httpx.ConnectTimeout):
            message = f"did not accept a connection within {self.timeouts.connect:g}s at {url}"
        elif isinstance(exc, httpx.TimeoutException):
            message = f"did not answer {what} within {self.timeouts.read:g}s (read timeout) at {url}"
        elif isinstance(exc, httpx.ConnectError):
            message, kind = f"cannot be reached at {url}: {detail}", "connect"
        else:
            message, kind = f"failed during {what} at {url}: {detail}", None
        failure = Retryable(self._error(message, failure=kind))
        failure.__cause__ = exc
        return failure

    def _status_failure(self, response: httpx.Response, data: bytes, what: str) -> UpstreamError | Retryable:
        payload = _payload(response, data)
        reason = response.reason_phrase or "error"
        message = provider_message(payload, reason)
        retry_after = retry_after_seconds(response.headers)
        error = self._error(
            f"answered {what} with HTTP {response.status_code}: {message}",
            response.status_code,
            retry_after=retry_after,
        )
        if self.retry.should_retry(response.status_code):
            return Retryable(error, retry_after)
        return error

    def _try_json(self, method: str, path: str, body: Any, deadline: Deadline) -> tuple[int, Any]:
        what = describe_request(method, path, body)
        headers = self._headers()
        timeout = self._timeout(deadline, self.timeouts.read)
        try:
            with self._http.stream(
                method, self.endpoint.url(path), json=body, headers=headers, timeout=timeout
            ) as response:
                data = self._read_capped(response, deadline, what)
        except httpx.TransportError as exc:
            raise self._transport_failure(exc, what, deadline) from exc
        if not response.is_success:
            raise self._status_failure(response, data, what)
        try:
            return response.status_code, json.loads(data)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than json recurses
            raise self._error(f"answered {what} with something that is not JSON") from exc

    # -- streaming ----------------------------------------------------------------------------------------

    def _stream_live(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        what = describe_request("POST", CHAT_PATH, body)
        deadline = Deadline(self.timeouts.idle, self._clock)
        response, reader, first = self._with_retries(
            lambda: self._open_stream(body, what, deadline), deadline
        )
        try:
            yield first
            finished = finishes(first)
            try:
                for chunk in reader:
                    finished = finished or finishes(chunk)
                    yield chunk
            except httpx.TimeoutException as exc:
                raise self._idle_timeout(what) from exc
            except httpx.TransportError as exc:
                failure = self._transport_failure(exc, what)
                raise (failure.error if isinstance(failure, Retryable) else failure) from exc
            if not (reader.done or finished):
                raise self._error(f"stream ended early for {what}: no [DONE] and no finish_reason")
        finally:
            response.close()

    def _open_stream(
        self, body: dict[str, Any], what: str, deadline: Deadline
    ) -> tuple[httpx.Response, SseReader | Answered, dict[str, Any]]:
        """Send the request and read up to the first chunk; a failure up to there may be retried (not a JSON
        answer: the provider has decided, see `_whole_answer`)."""
        request = self._http.build_request(
            "POST",
            self.endpoint.url(CHAT_PATH),
            json=body,
            headers=self._headers(stream=True),
            timeout=self._timeout(deadline, min(self.timeouts.read, self.timeouts.idle)),
        )
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise self._transport_failure(exc, what, deadline) from exc
        try:
            if not response.is_success:
                raise self._status_failure(response, self._read_capped(response, deadline, what), what)
            if _is_json(response):
                return self._whole_answer(response, self._read_capped(response, deadline, what), what)
            reader = SseReader(self._lines(response, what), self._error, what)
            first = next(reader, None)
        except httpx.TransportError as exc:
            response.close()
            raise self._transport_failure(exc, what, deadline) from exc
        except BaseException:
            response.close()
            raise
        if first is None:
            response.close()
            raise Retryable(self._error(f"stream ended early for {what}: no chunk before the end"))
        return response, reader, first

    def _lines(self, response: httpx.Response, what: str) -> Iterator[str]:
        """The stream's lines, with the byte cap checked on what arrives (a line never ends is no escape),
        and the idle deadline on its data: blank lines, comments or a line trickled a byte at a time each
        reset the socket's read timeout, but only a `data:` line is progress."""
        size = 0
        pending = b""
        progress = self._clock()
        for piece in response.iter_bytes():
            size += len(piece)
            if size > self.max_answer_bytes:
                raise self._too_large(what)
            pending += piece
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.startswith(b"data:"):
                    progress = self._clock()
                yield line.removesuffix(b"\r").decode("utf-8", "replace")
            if self._clock() - progress > self.timeouts.idle:
                raise self._idle_timeout(what)
        if pending:
            yield pending.removesuffix(b"\r").decode("utf-8", "replace")

    def _idle_timeout(self, what: str) -> ProviderTimeoutError:
        label, idle = self.endpoint.label, self.timeouts.idle
        message = f"provider {label} sent nothing for {idle:g}s mid-stream for {what} (idle deadline)"
        return ProviderTimeoutError(message, hint=TIMEOUT_HINT, failure="timeout")

    def _whole_answer(
        self, response: httpx.Response, data: bytes, what: str
    ) -> tuple[httpx.Response, SseReader | Answered, dict[str, Any]]:
        """A JSON answer to a stream request: a whole chat.completion as chunks, or the provider's error.
        A body that is no JSON but an event stream (mislabelled) is read as the stream it is."""
        payload = _payload(response, data)
        if isinstance(payload, str):
            reader = SseReader(iter(payload.splitlines()), self._error, what)
            first = next(reader, None)
            if first is not None:
                return response, reader, first
        if isinstance(payload, dict) and isinstance(payload.get("choices"), list) and "error" not in payload:
            first, *rest = completion_chunks(payload)
            return response, Answered(rest), first
        message = provider_message(payload, "neither a stream nor a chat.completion")
        raise self._error(f"answered {what} with JSON instead of a stream: {message}")


def _payload(response: httpx.Response, data: bytes) -> Any:
    """A body as JSON, else as text."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return data.decode(response.encoding or "utf-8", "replace")


def _is_json(response: httpx.Response) -> bool:
    media = str(response.headers.get("content-type", "")).partition(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def client_for_provider(
    provider_type: str,
    config: Mapping[str, Any],
    *,
    provider_id: str | None = None,
    api_key: str | None = None,
    unset_secrets: Mapping[str, str] | None = None,
    secret_values: Iterable[str] = (),
    recording: RecordingConfig | None = None,
    timeouts: Timeouts | None = None,
    retry: RetryPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
    http_clients: HttpClients | None = None,
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    sleep: Callable[[float], None] = time.sleep,
) -> InferenceClient:
    """An `InferenceClient` for a provider's rendered config (`remote::fireworks`, `{"url": ..., ...}`).

    With `http_clients`, the call uses the process's shared client of the provider's origin."""
    endpoint = endpoint_for(
        provider_type,
        config,
        provider_id=provider_id,
        api_key=api_key,
        unset_secrets=unset_secrets,
        secret_values=secret_values,
    )
    return InferenceClient(
        endpoint,
        timeouts=timeouts,
        retry=retry,
        recording=recording,
        transport=transport,
        http_client=http_clients.get(endpoint.base_url) if http_clients is not None else None,
        max_answer_bytes=max_answer_bytes,
        sleep=sleep,
    )
