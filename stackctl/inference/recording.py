"""Record and replay of provider calls, so that CI can run responses without a provider or a secret.

The mode comes from `STACKCTL_INFERENCE_MODE` (live | record | replay | record-if-missing) and the directory
from `STACKCTL_RECORDINGS_DIR`; the caller reads them from an env mapping with `recording_config_from_env` and
hands a `RecordingConfig` to the inference client.

A request is keyed by the sha256 of its method, its path relative to the provider's base URL and its body
with keys sorted. Host, port and headers never enter the key, so a recording made against one server replays
against any other, and no secret or volatile header can change (or leak into) a key. Each recording is one
readable, pretty JSON file `<dir>/<key[:16]>.json` holding the request (method, path, body: never headers or
keys) and the response (status and JSON body, or the list of streamed chunks). Writes are atomic: a temp file
in the same directory, then `os.replace`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from stackctl.errors import InvalidInputError, UpstreamError
from stackctl.files import read_bounded, replace_atomically
from stackctl.inference.limits import DEFAULT_MAX_ANSWER_BYTES

MODE_VAR = "STACKCTL_INFERENCE_MODE"
DIR_VAR = "STACKCTL_RECORDINGS_DIR"
FORMAT_VERSION = 1
_SLACK = 4  # a pretty-printed recording's bytes over its request's and answer's wire bytes, at most


class InferenceMode(StrEnum):
    LIVE = "live"
    RECORD = "record"
    REPLAY = "replay"
    RECORD_IF_MISSING = "record-if-missing"


@dataclass(frozen=True)
class RecordingConfig:
    mode: InferenceMode = InferenceMode.LIVE
    directory: Path | None = None

    @property
    def reads(self) -> bool:
        """Whether recorded answers are looked up before going live."""
        return self.mode in (InferenceMode.REPLAY, InferenceMode.RECORD_IF_MISSING)

    @property
    def writes(self) -> bool:
        """Whether live answers are written down."""
        return self.mode in (InferenceMode.RECORD, InferenceMode.RECORD_IF_MISSING)


def recording_config_from_env(env: Mapping[str, str]) -> RecordingConfig:
    """Build the config from `STACKCTL_INFERENCE_MODE` and `STACKCTL_RECORDINGS_DIR` (unset mode: live)."""
    raw = (env.get(MODE_VAR) or "").strip().lower()
    try:
        mode = InferenceMode(raw) if raw else InferenceMode.LIVE
    except ValueError:
        choices = "|".join(m.value for m in InferenceMode)
        raise InvalidInputError(
            f"{MODE_VAR}={env.get(MODE_VAR)!r} is not a valid mode",
            hint=f"use one of {choices}",
            code="invalid_inference_mode",
        ) from None
    directory = (env.get(DIR_VAR) or "").strip()
    if mode is not InferenceMode.LIVE and not directory:
        raise InvalidInputError(
            f"{MODE_VAR}={mode.value} needs {DIR_VAR}, the directory that holds recordings",
            code="missing_recordings_dir",
        )
    return RecordingConfig(mode, Path(directory).expanduser() if directory else None)


def normalize_body(body: Any) -> str:
    """The body as canonical JSON: sorted keys, no insignificant whitespace."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(method: str, path: str, body: Any) -> str:
    """sha256 over method, base-relative path and normalized body; nothing else."""
    canonical = normalize_body({"method": method.upper(), "path": path, "body": body})
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Recording:
    """One recorded exchange. Exactly one of `body` (plain answer) and `chunks` (stream) is set."""

    key: str
    method: str
    path: str
    request_body: Any
    status: int
    body: Any = None
    chunks: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        response: dict[str, Any] = {"status": self.status}
        if self.chunks is not None:
            response["chunks"] = self.chunks
        else:
            response["body"] = self.body
        return {
            "version": FORMAT_VERSION,
            "key": self.key,
            "request": {"method": self.method, "path": self.path, "body": self.request_body},
            "response": response,
        }

    @classmethod
    def from_json(cls, data: Any) -> Recording:
        """The recording a file holds; a `ValueError` naming the first part of the wrong shape."""
        data = _field(data, "recording", Mapping)
        request = _field(data.get("request"), "request", Mapping)
        response = _field(data.get("response"), "response", Mapping)
        status = _field(response.get("status", 200), "response.status", int)
        chunks = response.get("chunks")
        if chunks is not None:
            _field(chunks, "response.chunks", list)
            for index, chunk in enumerate(chunks):
                _field(chunk, f"response.chunks[{index}]", Mapping)
        return cls(
            key=_field(data.get("key"), "key", str),
            method=_field(request.get("method"), "request.method", str),
            path=_field(request.get("path"), "request.path", str),
            request_body=request.get("body"),
            status=status,
            body=response.get("body"),
            chunks=chunks,
        )


_SHAPES: dict[type, str] = {Mapping: "an object", list: "a list", str: "a string", int: "an integer"}


def _field(value: Any, name: str, shape: type) -> Any:
    if not isinstance(value, shape) or isinstance(value, bool):
        raise ValueError(f"{name} should be {_SHAPES[shape]}, not {type(value).__name__}")
    return value


def describe_request(method: str, path: str, body: Any) -> str:
    """`POST /chat/completions (model gpt-4.1, stream)`: how errors name a request."""
    notes = []
    if isinstance(body, Mapping):
        if body.get("model"):
            notes.append(f"model {body['model']}")
        if body.get("stream"):
            notes.append("stream")
    suffix = f" ({', '.join(notes)})" if notes else ""
    return f"{method.upper()} {path}{suffix}"


class Recorder:
    """Reads and writes recordings in one directory, as its `RecordingConfig` allows."""

    def __init__(self, config: RecordingConfig) -> None:
        if config.mode is not InferenceMode.LIVE and config.directory is None:
            raise InvalidInputError(f"{MODE_VAR}={config.mode.value} needs a recordings directory")
        self.config = config

    @property
    def mode(self) -> InferenceMode:
        return self.config.mode

    def path_for(self, key: str) -> Path:
        assert self.config.directory is not None
        return self.config.directory / f"{key[:16]}.json"

    def lookup(
        self, method: str, path: str, body: Any, max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    ) -> Recording | None:
        """The recording for this request, or None. A file for another key (prefix clash) is a miss.

        The file is read with a cap checked while reading: a recording holds the request and an answer the
        answer cap admitted, pretty-printed, so a file more than `_SLACK` times both is no recording of it
        (a file linked to a device, say) and is refused without being read whole."""
        if not self.config.reads:
            return None
        key = request_key(method, path, body)
        file = self.path_for(key)
        limit = _SLACK * (len(normalize_body(body)) + max_answer_bytes)
        try:
            with file.open("rb") as handle:
                data = json.loads(read_bounded(handle, str(file), limit))
        except FileNotFoundError:
            return None
        except InvalidInputError:
            raise InvalidInputError(
                f"recording {file} is larger than any recording of this request ({limit:,} bytes)",
                hint="record it again",
                code="bad_recording",
            ) from None
        except (OSError, ValueError, RecursionError) as exc:
            raise InvalidInputError(f"recording {file} cannot be read: {exc}", code="bad_recording") from exc
        try:
            recording = Recording.from_json(data)
        except ValueError as exc:
            raise InvalidInputError(f"recording {file} is malformed: {exc}", code="bad_recording") from exc
        return recording if recording.key == key else None

    def miss(self, method: str, path: str, body: Any) -> UpstreamError:
        """The error for a replay that finds no recording."""
        key = request_key(method, path, body)
        return UpstreamError(
            f"no recording for {describe_request(method, path, body)}, key {key[:16]}, "
            f"in {self.config.directory}",
            hint=f"record it against a live provider with {MODE_VAR}=record (or record-if-missing)",
            code="recording_not_found",
        )

    def save(self, recording: Recording) -> Path:
        """Write one recording atomically; returns its path."""
        file = self.path_for(recording.key)
        file.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(recording.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
        replace_atomically(file, text)
        return file

    def save_response(self, method: str, path: str, body: Any, status: int, response: Any) -> Path | None:
        if not self.config.writes:
            return None
        key = request_key(method, path, body)
        return self.save(Recording(key, method.upper(), path, body, status, body=response))

    def save_stream(self, method: str, path: str, body: Any, chunks: list[dict[str, Any]]) -> Path | None:
        if not self.config.writes:
            return None
        key = request_key(method, path, body)
        return self.save(Recording(key, method.upper(), path, body, 200, chunks=list(chunks)))
