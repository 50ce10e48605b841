"""`POST /v1/chat/completions` passed through to the provider that the registry names for the model.

The same registry, providers, client (retries, masking) and record/replay as responses: the body goes to
the provider as the client sent it, except that `model` becomes the provider's model id; the answer (or each
streamed chunk) comes back with `model` set to the registered identifier. Nothing is stored.

Invariants:
- The body is checked (`model` a string, `messages` a non-empty list) and the model resolved before the
  provider is called, so those errors are a 400/404 with `param`, never a broken stream.
- A stream is the provider's chunks; one that fails after its first chunk ends with an error chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stackctl.errors import InvalidInputError
from stackctl.registry.routing import ModelTarget, resolve_model
from stackctl.responses.service import default_client_factory
from stackctl.responses.turn import ClientFactory
from stackctl.store.database import Database
from stackctl.text import refuse_bad_text


@dataclass(frozen=True)
class ChatPlan:
    target: ModelTarget
    body: dict[str, Any]
    stream: bool


def plan_chat(db: Database, body: Mapping[str, Any], env: Mapping[str, str]) -> ChatPlan:
    """Check the body and find the provider; raises before any provider call."""
    for name, value in body.items():  # text UTF-8 cannot hold can be neither sent nor looked up
        refuse_bad_text(name, "a parameter name")
        refuse_bad_text(value, str(name))
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise InvalidInputError("model is required", code="missing_required_parameter", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidInputError(
            "messages must be a non-empty list", code="missing_required_parameter", param="messages"
        )
    target = resolve_model(db, body["model"], env)
    sent = {**body, "model": target.provider_model_id}
    return ChatPlan(target, sent, bool(body.get("stream")))


def complete_chat(
    plan: ChatPlan, env: Mapping[str, str], client_factory: ClientFactory | None = None
) -> dict[str, Any]:
    """The provider's chat.completion, named by the registered identifier."""
    with (client_factory or default_client_factory)(plan.target, env) as client:
        answer = client.chat(plan.body)
    return {**answer, "model": plan.target.identifier}


def stream_chat(
    plan: ChatPlan, env: Mapping[str, str], client_factory: ClientFactory | None = None
) -> Iterator[dict[str, Any]]:
    """The provider's chunks as they arrive, named by the registered identifier; raises `UpstreamError`."""
    with (client_factory or default_client_factory)(plan.target, env) as client:
        for chunk in client.chat_stream(plan.body):
            yield {**chunk, "model": plan.target.identifier}
