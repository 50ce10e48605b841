"""The HTTP app in-process (FastAPI's TestClient): errors, limits, auth, models, the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from stackctl.server.app import create_app
from stackctl.store import registry
from stackctl.store.open import open_database
from tests.cli.test_responses import run_config
from tests.fakes import FakeOpenAI

ERROR_KEYS = {"message", "type", "param", "code"}
MISSING = "conv_" + "0" * 48
MISSING_RESP = "resp_" + "0" * 48


@pytest.fixture
def db_path(db_location: str) -> str:
    return db_location


@pytest.fixture
def client(db_path: str) -> Iterator[TestClient]:
    with TestClient(create_app(db_path, max_body_bytes=4096), raise_server_exceptions=False) as test_client:
        yield test_client


def _error(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_KEYS
    return dict(body["error"])


def test_create_and_list_have_the_openai_wire_shape(client: TestClient) -> None:
    created = client.post(
        "/v1/conversations",
        json={"metadata": {"a": "b"}, "items": [{"type": "message", "role": "user", "content": "hi"}]},
    )
    assert created.status_code == 200
    conv = created.json()
    assert set(conv) == {"id", "object", "created_at", "metadata"}
    page = client.get(f"/v1/conversations/{conv['id']}/items").json()
    assert set(page) == {"object", "data", "first_id", "last_id", "has_more"}
    assert page["data"][0]["content"] == [{"type": "input_text", "text": "hi"}]


def test_items_without_type_are_messages(client: TestClient) -> None:
    created = client.post("/v1/conversations", json={"items": [{"role": "user", "content": "hi"}]})
    assert created.status_code == 200, created.text
    cid = created.json()["id"]
    added = client.post(
        f"/v1/conversations/{cid}/items", json={"items": [{"role": "assistant", "content": "yo"}]}
    )
    assert added.status_code == 200, added.text
    assert added.json()["data"][0]["type"] == "message"
    page = client.get(f"/v1/conversations/{cid}/items", params={"order": "asc"}).json()
    assert [(i["type"], i["role"], i["status"]) for i in page["data"]] == [
        ("message", "user", "completed"),
        ("message", "assistant", "completed"),
    ]
    assert all(i["id"].startswith("msg_") for i in page["data"])
    neither = client.post("/v1/conversations", json={"items": [{"content": "no role"}]})
    _error(neither, 400)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/v1/conversations/nope", 400, "invalid_id"),
        ("get", f"/v1/conversations/{MISSING}", 404, "conversation_not_found"),
        ("get", "/v1/conversations/conv_nonexistent123", 404, "conversation_not_found"),
        ("get", "/v1/conversations/conv_bad.id", 400, "invalid_id"),
        ("get", "/v1/conversations/conv_" + "a" * 60, 400, "invalid_id"),
        ("get", "/v1/responses/resp_nonexistent123", 404, "response_not_found"),
        ("get", "/v1/responses/conv_" + "a" * 48, 400, "invalid_id"),
        ("delete", f"/v1/conversations/{MISSING}", 404, "conversation_not_found"),
        ("get", f"/v1/conversations/{MISSING}/items", 404, "conversation_not_found"),
        ("get", "/v1/responses/nope", 400, "invalid_id"),
        ("get", f"/v1/responses/{MISSING_RESP}", 404, "response_not_found"),
        ("delete", f"/v1/responses/{MISSING_RESP}", 404, "response_not_found"),
        ("get", f"/v1/responses/{MISSING_RESP}/input_items", 404, "response_not_found"),
        ("get", f"/v1/responses?after={MISSING_RESP}", 404, "response_not_found"),
        ("get", "/v1/nowhere", 404, "route_not_found"),
        ("put", "/v1/health", 405, "method_not_allowed"),
    ],
)
def test_errors_are_openai_error_objects(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    assert _error(client.request(method, path), status)["code"] == code


def test_not_found_and_malformed_messages(client: TestClient) -> None:
    missing = _error(client.get("/v1/conversations/conv_nonexistent123"), 404)
    assert missing["message"] == "Conversation 'conv_nonexistent123' not found"
    malformed = _error(client.get("/v1/conversations/msg_abc"), 400)
    assert "expected an id that begins with 'conv_'" in malformed["message"]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"metadata": {"k": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "nested too deeply"),
        (b'{"metadata": {"k": ' + b"9" * 5000 + b"}}", "integer string conversion"),
    ],
    ids=["deep", "long-integer"],
)
def test_json_the_parser_gives_up_on_is_invalid_json(db_path: str, body: bytes, why: str) -> None:
    with TestClient(create_app(db_path)) as test_client:  # the default body limit (1 MiB)
        answer = test_client.post(
            "/v1/conversations", content=body, headers={"content-type": "application/json"}
        )
    error = _error(answer, 400)
    assert error["code"] == "invalid_json"
    assert error["message"].startswith("request body is not valid JSON: ") and why in error["message"]


def test_bad_json_and_schema_violations_are_400_naming_the_param(client: TestClient) -> None:
    bad = client.post("/v1/conversations", content=b"{", headers={"content-type": "application/json"})
    assert _error(bad, 400)["code"] == "invalid_json"
    wrong_type = client.post(
        "/v1/conversations", json={"items": [{"type": "message", "role": "x", "content": "y"}]}
    )
    error = _error(wrong_type, 400)
    assert error["param"] == "items[0].message.role" or "items[0]" in str(error["message"])
    not_a_number = client.get(f"/v1/conversations/{MISSING}/items", params={"limit": "many"})
    assert _error(not_a_number, 400)["param"] == "limit"


TWENTY_ONE = [{"type": "message", "role": "user", "content": "x"}] * 21
SEVENTEEN_KEYS = {f"k{n}": "v" for n in range(17)}


@pytest.mark.parametrize(
    ("method", "path", "body", "param", "words"),
    [
        ("post", "/v1/conversations", {"items": TWENTY_ONE}, "items", "at most 20"),
        ("post", "/v1/conversations", {"metadata": SEVENTEEN_KEYS}, "metadata", "at most 16"),
        ("post", "/v1/conversations/CID/items", {"items": TWENTY_ONE}, "items", "at most 20"),
        ("post", "/v1/conversations/CID", {"metadata": SEVENTEEN_KEYS}, "metadata", "at most 16"),
        ("get", "/v1/conversations/CID/items?limit=0", None, "limit", "between 1 and 100"),
        ("get", "/v1/conversations/CID/items?limit=500", None, "limit", "between 1 and 100"),
        ("get", "/v1/responses?limit=0", None, "limit", "between 1 and 100"),
        ("get", "/v1/responses?limit=101", None, "limit", "between 1 and 100"),
        ("get", f"/v1/responses/{MISSING_RESP}/input_items?limit=0", None, "limit", "between 1 and 100"),
    ],
)
def test_limit_violations_are_400_and_write_nothing(
    client: TestClient, method: str, path: str, body: object, param: str, words: str
) -> None:
    # SPEC: limit violations are exit 3, which the server maps to 400 (OpenAI answers 400 too).
    conv = client.post("/v1/conversations", json={"metadata": {"keep": "me"}}).json()
    error = _error(client.request(method, path.replace("CID", conv["id"]), json=body), 400)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert words in str(error["message"])
    assert client.get(f"/v1/conversations/{conv['id']}").json() == conv
    assert client.get(f"/v1/conversations/{conv['id']}/items").json()["data"] == []


def test_core_input_errors_are_400(client: TestClient) -> None:
    conv = client.post("/v1/conversations", json={}).json()
    metadata = client.post(
        f"/v1/conversations/{conv['id']}", json={"metadata": {f"k{n}": "v" for n in range(17)}}
    )
    assert _error(metadata, 400)["code"] == "invalid_metadata"
    include = client.get(f"/v1/conversations/{conv['id']}/items", params={"include": "nonsense"})
    _error(include, 400)
    item = {"type": "message", "id": "mine", "role": "user", "content": "x"}
    assert client.post(f"/v1/conversations/{conv['id']}/items", json={"items": [item]}).status_code == 200
    duplicate = client.post(f"/v1/conversations/{conv['id']}/items", json={"items": [item]})
    assert _error(duplicate, 400)["code"] == "duplicate_item_id"


def test_body_limit_is_enforced_before_parsing(client: TestClient) -> None:
    declared = client.post(
        "/v1/conversations", content=b"x" * 5000, headers={"content-type": "application/json"}
    )
    assert _error(declared, 413)["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    streamed = client.post(
        "/v1/conversations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert _error(streamed, 413)["code"] == "request_too_large"


def test_api_key_is_required_when_configured(db_path: str) -> None:
    with TestClient(create_app(db_path, "s3cret")) as keyed:
        assert _error(keyed.post("/v1/conversations", json={}), 401)["code"] == "invalid_api_key"
        wrong = keyed.post("/v1/conversations", json={}, headers={"authorization": "Bearer nope"})
        assert _error(wrong, 401)["message"] == "invalid api key"
        right = keyed.post("/v1/conversations", json={}, headers={"authorization": "Bearer s3cret"})
        assert right.status_code == 200
        backend = "postgresql" if db_path.startswith("postgresql") else "sqlite"
        assert keyed.get("/v1/health").json() == {"status": "OK", "backend": backend}
        head = keyed.head("/v1/health")  # a load balancer's check: no key, no body
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-type"] == "application/json"
        assert keyed.get("/openapi.json").status_code == 401


def test_models_lists_registered_models(db_path: str) -> None:
    with open_database(db_path) as db, db.transaction():
        registry.upsert_stack(db, "demo", None, 100)
        for identifier in ("openai/gpt-4.1", "ollama/llama3"):
            resource = {
                "stack": "demo",
                "kind": "model",
                "identifier": identifier,
                "provider_id": identifier.split("/")[0],
                "spec": {"model_id": identifier},
            }
            registry.put_resource(db, resource, 100)
    with TestClient(create_app(db_path)) as test_client:
        body = test_client.get("/v1/models").json()
    assert body == {
        "object": "list",
        "data": [
            {"id": "ollama/llama3", "object": "model", "created": 100, "owned_by": "ollama"},
            {"id": "openai/gpt-4.1", "object": "model", "created": 100, "owned_by": "openai"},
        ],
    }


def test_openapi_document_describes_bodies_and_errors(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    create = document["paths"]["/v1/conversations"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ConversationCreateRequest"
    )
    assert create["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "Conversation"
    )
    assert "422" not in create["responses"]  # schema violations are 400, as with OpenAI
    for status in ("400", "404", "413"):
        assert create["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith(
            "ErrorResponse"
        )
    listing = document["paths"]["/v1/conversations/{conversation_id}/items"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"limit", "after", "order", "include"}
    assert document["paths"]["/v1/models"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]["$ref"].endswith("ModelList")


def test_unexpected_errors_are_500_without_internals(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stackctl.conversations import wire

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(wire, "conversation_wire", boom)
    error = _error(client.get(f"/v1/conversations/{MISSING}"), 500)
    assert "secret internals" not in str(error["message"])
    assert error["type"] == "server_error"


def test_response_create_errors_before_any_provider_call(client: TestClient) -> None:
    unknown_model = client.post("/v1/responses", json={"model": "nope", "input": "hi"})
    assert _error(unknown_model, 404)["code"] == "model_not_found"
    both = {"model": "nope", "input": "hi", "conversation": MISSING, "previous_response_id": MISSING_RESP}
    _error(client.post("/v1/responses", json=both), 400)
    streamed = client.post("/v1/responses", json={"model": "nope", "input": "hi", "stream": True})
    assert streamed.headers["content-type"].startswith("application/json")
    _error(streamed, 404)
    assert _error(client.post("/v1/responses", json={"input": "no model"}), 400)["param"] == "model"
    _error(client.get("/v1/responses?limit=0"), 400)
    assert _error(client.get("/v1/responses?order=sideways"), 400)["param"] == "order"


def test_response_metadata_over_the_limits_is_400_before_any_provider_call(
    db_path: str, fake_openai: FakeOpenAI, cli: object, tmp_path: Path
) -> None:
    run_yaml = tmp_path / "run.yaml"
    run_yaml.write_text(run_config(fake_openai.base_url))
    registered = cli("--db", db_path, "register", str(run_yaml), env={"OPENAI_API_KEY": "sk-register"})  # type: ignore[operator]
    assert registered.exit_code == 0, registered.stderr
    with TestClient(create_app(db_path, env={"OPENAI_API_KEY": "sk-x"})) as test_client:
        for metadata in ({f"k{n}": "v" for n in range(17)}, {"k": "v" * 513}, {"k" * 65: "v"}):
            body = {"model": "fake-model", "input": "hi", "metadata": metadata}
            assert _error(test_client.post("/v1/responses", json=body), 400)["code"] == "invalid_metadata"
            streamed = test_client.post("/v1/responses", json={**body, "stream": True})
            assert _error(streamed, 400)["code"] == "invalid_metadata"
        assert test_client.get("/v1/responses").json()["data"] == []
    assert fake_openai.requests == []


def test_provider_configs_render_from_the_injected_env(
    db_path: str, fake_openai: FakeOpenAI, cli: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    run_yaml = tmp_path / "run.yaml"
    run_yaml.write_text(run_config(fake_openai.base_url))
    registered = cli("--db", db_path, "register", str(run_yaml), env={"OPENAI_API_KEY": "sk-register"})  # type: ignore[operator]
    assert registered.exit_code == 0, registered.stderr
    with TestClient(create_app(db_path, env={"OPENAI_API_KEY": "sk-injected"})) as test_client:
        created = test_client.post("/v1/responses", json={"model": "fake-model", "input": "hi"})
    assert created.status_code == 200, created.text
    assert created.json()["output"][0]["content"][0]["text"] == "echo: hi"
    assert "output_text" not in created.json()
    sent = {k.lower(): v for k, v in fake_openai.requests[-1].headers.items()}
    assert sent["authorization"] == "Bearer sk-injected"


def test_an_unset_key_is_a_400_naming_the_variable(
    db_path: str, fake_openai: FakeOpenAI, cli: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    run_yaml = tmp_path / "run.yaml"
    run_yaml.write_text(run_config(fake_openai.base_url))
    registered = cli("--db", db_path, "register", str(run_yaml))  # type: ignore[operator]
    assert registered.exit_code == 0, registered.stderr  # an unset secret is only a warning at register
    with TestClient(create_app(db_path, env={}), raise_server_exceptions=False) as test_client:
        created = test_client.post("/v1/responses", json={"model": "fake-model", "input": "hi"})
    error = _error(created, 400)
    assert error["message"] == (
        "provider openai: api_key comes from ${env.OPENAI_API_KEY}, which is not set in this environment"
    )
    assert fake_openai.requests == []


@pytest.mark.parametrize(
    ("status", "failure", "expected"),
    [
        (400, None, 400),
        (401, None, 401),
        (403, None, 403),
        (404, None, 404),
        (422, None, 422),
        (408, None, 504),
        (500, None, 502),
        (503, None, 503),
        (504, None, 504),
        (None, "timeout", 504),
        (None, "connect", 503),
        (None, None, 502),
    ],
)
def test_provider_failures_keep_their_status_class(
    status: int | None, failure: str | None, expected: int
) -> None:
    from stackctl.errors import UpstreamError
    from stackctl.server.errors import from_stackctl

    answer = from_stackctl(UpstreamError("provider openai failed", status=status, failure=failure))
    assert answer.status_code == expected


def test_a_provider_429_keeps_its_retry_after() -> None:
    from stackctl.errors import UpstreamError
    from stackctl.server.errors import from_stackctl

    answer = from_stackctl(UpstreamError("slow down", status=429, retry_after=2.2))
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "3")
    assert b'"code":"rate_limit_exceeded"' in answer.body
    assert "retry-after" not in from_stackctl(UpstreamError("slow down", status=429)).headers
