"""Responses: create (plain or streamed), read, list, delete, and list input items. Shared by CLI and server.

Every entry point takes the database, the environment mapping (provider configs are rendered from it at
call time, and record/replay is configured from it), a clock, and optionally a client factory, so tests and
the HTTP server can inject their own inference client.

Invariants:
- Everything that can be checked without the provider is checked first: the request's shape, that its text
  is valid Unicode (no lone surrogate, as non-UTF-8 bytes in argv give; exit 3), metadata limits,
  `conversation` with `previous_response_id` (`UsageError`, exit 2), the model (exit 3 ambiguous, exit 4
  unknown), the conversation or previous response (exit 4), input item ids new to the conversation (exit 3),
  and that there is at least one message to send (exit 3). Only then is the provider called.
- With a conversation, the context is its WHOLE history in order, preceded by the instructions (as the first
  system message) and followed by the new input. With `previous_response_id`, the context is the chain of
  stored responses (each one's input and output), oldest first; a link that was a conversation turn brings
  its conversation up to and including that turn, never the turns after it.
- After success, in ONE transaction: the input items and all output items are appended to the conversation
  (with the ids the response shows) and, unless `store` is false, the response and its input items are
  stored. On any failure nothing is written. A stream commits before it sends `response.completed`; a stream
  that breaks off, or whose consumer stops reading, writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from stackctl.conversations import service as conv
from stackctl.conversations import wire as item_pages
from stackctl.errors import InvalidInputError, NotFoundError
from stackctl.models.conversations import ItemAdapter
from stackctl.models.lists import list_envelope
from stackctl.models.responses import (
    InputItemList,
    Response,
    ResponseDeleted,
    ResponseList,
    ResponseRequest,
)
from stackctl.registry.routing import ModelTarget, find_model
from stackctl.responses.events import Event, replay_events, stream_events
from stackctl.responses.translation import (
    completion_output,
    usage_of,
)
from stackctl.responses.turn import (
    ClientFactory,
    Clock,
    build_response,
    check_response_id,
    commit_turn,
    plan_turn,
    status_of,
)
from stackctl.store import responses as store
from stackctl.store.database import Database
from stackctl.text import parse_stored

if TYPE_CHECKING:
    from stackctl.inference.client import InferenceClient
    from stackctl.inference.limits import Timeouts
    from stackctl.inference.transport import HttpClients


def provider_clients(
    http_clients: HttpClients | None = None,
    timeouts: Timeouts | None = None,
    *,
    retries: int | None = None,
    pass_rate_limits_on: bool = False,
) -> ClientFactory:
    """A client factory for the targets' providers, recording or replaying as the env says, with the
    deadlines, retries and answer cap the env sets (`timeouts` and `retries` override the env's). With
    `http_clients`, every call shares the process's one HTTP client per provider origin. With
    `pass_rate_limits_on` (a server that passes a provider's 429 on with its Retry-After), a 429 is not
    retried here."""
    from stackctl.inference.client import client_for_provider
    from stackctl.inference.limits import limits_from_env, retries_from_env
    from stackctl.inference.recording import recording_config_from_env
    from stackctl.inference.retries import RetryPolicy

    def make(target: ModelTarget, env: Mapping[str, str]) -> InferenceClient:
        env_timeouts, max_answer_bytes = limits_from_env(env)
        tries = 1 + (retries_from_env(env) if retries is None else retries)
        return client_for_provider(
            target.provider_type,
            target.config,
            provider_id=target.provider_id,
            unset_secrets=target.unset_secrets,
            secret_values=target.secret_values,
            recording=recording_config_from_env(env),
            timeouts=timeouts or env_timeouts,
            max_answer_bytes=max_answer_bytes,
            http_clients=http_clients,
            retry=RetryPolicy(attempts=tries, retry_rate_limits=not pass_rate_limits_on),
        )

    return make


def default_client_factory(
    target: ModelTarget, env: Mapping[str, str], *, pass_rate_limits_on: bool = False
) -> InferenceClient:
    """An inference client of its own for one call (the CLI's case), recording or replaying as the env
    says."""
    return provider_clients(pass_rate_limits_on=pass_rate_limits_on)(target, env)


# --- create ------------------------------------------------------------------------------------------


def create_response(
    db: Database,
    request: ResponseRequest | Mapping[str, Any],
    *,
    env: Mapping[str, str],
    now: Clock = conv.system_clock,
    client_factory: ClientFactory | None = None,
) -> Response:
    """Run one response to completion; raises `UpstreamError` (exit 6) if the provider fails."""
    plan = plan_turn(db, request, env, now)
    with (client_factory or default_client_factory)(plan.target, env) as client:
        completion = client.chat(plan.chat)
    output, finish_reason = completion_output(completion)
    usage = usage_of(completion.get("usage"))
    response = build_response(plan, status_of(finish_reason), output, usage, finish_reason=finish_reason)
    commit_turn(db, plan, response, now)
    return response


def stream_response(
    db: Database,
    request: ResponseRequest | Mapping[str, Any],
    *,
    env: Mapping[str, str],
    now: Clock = conv.system_clock,
    client_factory: ClientFactory | None = None,
) -> Iterator[Event]:
    """Check the request now (errors raise here), then return the events of a streamed response.

    Events follow OpenAI's streaming protocol: `response.created`, `response.in_progress`,
    `response.output_item.added`, `response.content_part.added`, `response.output_text.delta`...,
    `response.output_text.done`, `response.content_part.done`, `response.output_item.done`, then
    `response.completed` (after the commit). On a failure the iterator yields `response.failed` and then
    raises the error.
    """
    plan = plan_turn(db, request, env, now)
    return stream_events(db, plan, env, now, client_factory or default_client_factory)


# --- read, list, delete --------------------------------------------------------------------------------


def response_wire(db: Database, response_id: str) -> dict[str, Any]:
    """A stored response as stored: its wire JSON, with no model in between."""
    check_response_id(response_id)
    data = store.fetch_response_data(db, response_id)
    if data is None:
        raise NotFoundError(f"Response '{response_id}' not found", code="response_not_found")
    wire: dict[str, Any] = parse_stored(data, f"response {response_id}")
    return wire


def _model(wire: Mapping[str, Any]) -> Response:
    # `output_text` is derived: the model recomputes it from `output`.
    return Response.model_validate({key: value for key, value in wire.items() if key != "output_text"})


def get_response(db: Database, response_id: str) -> Response:
    return _model(response_wire(db, response_id))


def replay_response(db: Database, response_id: str, starting_after: int | None = None) -> Iterator[Event]:
    """A stored response's events, as its stream sent them (checked now: a missing response raises here)."""
    return replay_events(get_response(db, response_id), starting_after)


def delete_response(db: Database, response_id: str) -> ResponseDeleted:
    """Delete a stored response and its input items (its conversation, if any, keeps the turn)."""
    check_response_id(response_id)
    with db.transaction():
        if not store.delete_response(db, response_id):
            raise NotFoundError(f"Response '{response_id}' not found", code="response_not_found")
    return ResponseDeleted(id=response_id)


def list_responses_wire(
    db: Database,
    *,
    limit: int = item_pages.DEFAULT_LIMIT,
    after: str | None = None,
    order: conv.Order = "desc",
    model: str | None = None,
) -> dict[str, Any]:
    """Stored responses as stored (a list page of their wire JSON), newest first by default, optionally of
    one model, paged with `after`."""
    item_pages.check_limit(limit)
    item_pages.check_order(order)
    after_seq = None
    if after is not None:
        check_response_id(after)
        after_seq = store.response_seq(db, after)
        if after_seq is None:
            raise NotFoundError(f"Response '{after}' not found", code="response_not_found")
    if model is not None:
        model = _model_filter(db, model)
    rows = store.list_response_data(db, limit=limit + 1, after_seq=after_seq, order=order, model=model)
    page = [parse_stored(data, "a stored response") for data in rows[:limit]]
    return list_envelope(page, has_more=len(rows) > limit)


def list_responses(
    db: Database,
    *,
    limit: int = item_pages.DEFAULT_LIMIT,
    after: str | None = None,
    order: conv.Order = "desc",
    model: str | None = None,
) -> ResponseList:
    page = list_responses_wire(db, limit=limit, after=after, order=order, model=model)
    return ResponseList(data=[_model(wire) for wire in page["data"]], has_more=page["has_more"])


def _model_filter(db: Database, name: str) -> str:
    """A model name as `create` reads it (identifier, or a unique provider model id); else the text itself,
    since responses outlive the registration of their model."""
    try:
        return str(find_model(db, name)["identifier"])
    except (NotFoundError, InvalidInputError):
        return name


def _input_seq(db: Database, response_id: str, item_id: str | None) -> int | None:
    if item_id is None:
        return None
    item_pages.check_item_id(item_id)
    seq = store.input_item_seq(db, response_id, item_id)
    if seq is None:
        raise NotFoundError(f"input item not found in {response_id}: {item_id}", code="item_not_found")
    return seq


def list_input_items_wire(
    db: Database,
    response_id: str,
    *,
    limit: int = item_pages.DEFAULT_LIMIT,
    after: str | None = None,
    before: str | None = None,
    order: conv.Order = "desc",
) -> dict[str, Any]:
    """One page of a stored response's input items as stored (newest first by default)."""
    item_pages.check_limit(limit)
    item_pages.check_order(order)
    check_response_id(response_id)
    if store.response_seq(db, response_id) is None:
        raise NotFoundError(f"Response '{response_id}' not found", code="response_not_found")
    after_seq = _input_seq(db, response_id, after)
    before_seq = _input_seq(db, response_id, before)
    rows = store.fetch_input_item_data(
        db, response_id, limit=limit + 1, after_seq=after_seq, before_seq=before_seq, order=order
    )
    more = len(rows) > limit
    # Read backwards from `before`, the extra row is the farthest from the cursor: the first one.
    backwards = before_seq is not None and after_seq is None
    page = (rows[1:] if more else rows) if backwards else rows[:limit]
    return list_envelope([parse_stored(data, "a stored input item") for data in page], has_more=more)


def list_input_items(
    db: Database,
    response_id: str,
    *,
    limit: int = item_pages.DEFAULT_LIMIT,
    after: str | None = None,
    before: str | None = None,
    order: conv.Order = "desc",
) -> InputItemList:
    page = list_input_items_wire(db, response_id, limit=limit, after=after, before=before, order=order)
    items = [ItemAdapter.validate_python(item) for item in page["data"]]
    return InputItemList(data=items, has_more=page["has_more"])
