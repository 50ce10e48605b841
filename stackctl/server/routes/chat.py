"""`/v1/chat/completions`: plain or streamed, through the registry and providers (see
`stackctl.responses.chat`), so clients that speak chat completions work against `serve`.

A stream is `data: <chunk json>` lines ending with `data: [DONE]`, as OpenAI sends them; a provider failure
after the first byte becomes one `data: {"error": ...}` line and the stream ends (the status is sent).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, StreamingResponse

from stackctl.errors import StackctlError
from stackctl.responses import chat as core
from stackctl.server.errors import from_stackctl
from stackctl.server.provider_calls import ProviderCalls, busy
from stackctl.server.schemas import RESPONSE_ERRORS
from stackctl.store.open import Pool

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
async def create_chat_completion(request: Request, body: ChatBody) -> Any:
    # As `POST /v1/responses`: the provider call runs on the provider calls' own threads and slots.
    calls: ProviderCalls = request.app.state.provider_calls
    if not calls.admit():
        return busy(calls.limit)
    env: Mapping[str, str] = request.app.state.env
    streaming = False
    try:
        plan = await calls.run(_plan, request.app.state.pool, body, env)
        if not plan.stream:
            return JSONResponse(await calls.run(core.complete_chat, plan, env, calls.factory))
        chunks = _sse(core.stream_chat(plan, env, calls.factory))
        streaming = True
    finally:
        if not streaming:  # from here on the stream holds the slot and gives it back when it ends
            calls.release()
    return StreamingResponse(
        _stepped(chunks, calls), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def _plan(pool: Pool, body: dict[str, Any], env: Mapping[str, str]) -> core.ChatPlan:
    db = pool.acquire()
    try:
        return core.plan_chat(db, body, env)
    finally:
        db.close()


async def _stepped(chunks: Iterator[bytes], calls: ProviderCalls) -> AsyncIterator[bytes]:
    """The stream's pieces, each read on a provider-call thread; the slot is given back when it ends."""
    try:
        while True:
            piece = await calls.run(next, chunks, None)
            if piece is None:
                return
            yield piece
    finally:
        calls.release()
