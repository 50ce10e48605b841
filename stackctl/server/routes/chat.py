"""`/v1/chat/completions`: plain or streamed, through the registry and providers (see
`stackctl.responses.chat`), so clients that speak chat completions work against `serve`.

A stream is `data: <chunk json>` lines ending with `data: [DONE]`, as OpenAI sends them; a provider failure
after the first byte becomes one `data: {"error": ...}` line and the stream ends (the status is sent).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse, StreamingResponse

from stackctl.errors import StackctlError
from stackctl.responses import chat as core
from stackctl.responses.service import serve_client_factory
from stackctl.server.deps import DB, Env
from stackctl.server.errors import from_stackctl
from stackctl.server.schemas import RESPONSE_ERRORS

log = logging.getLogger("stackctl.server")

ChatBody = Annotated[dict[str, Any], Body(description="An OpenAI chat completions request.")]

router = APIRouter(prefix="/v1/chat", tags=["chat"], responses=RESPONSE_ERRORS)  # type: ignore[arg-type]


def _sse(chunks: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    try:
        for chunk in chunks:
            yield f"data: {json.dumps(chunk, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()
    except StackctlError as exc:
        log.warning("chat stream ended with %s: %s", exc.code, exc.message)
        yield b"data: " + from_stackctl(exc).body + b"\n\n"
        return
    yield b"data: [DONE]\n\n"


@router.post("/completions", summary="Create a chat completion (streamed with stream: true)")
def create_chat_completion(db: DB, env: Env, body: ChatBody) -> Any:
    plan = core.plan_chat(db, body, env)
    if not plan.stream:
        return JSONResponse(core.complete_chat(plan, env, serve_client_factory))
    chunks = core.stream_chat(plan, env, serve_client_factory)
    # Starlette runs a sync iterator in its thread pool, one step at a time.
    return StreamingResponse(
        _sse(chunks), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
