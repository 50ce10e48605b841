"""`stackctl serve` start-up: config checked before binding, loopback by default, a warning when exposed.

uvicorn is replaced by a recorder here; the real server is exercised in tests/e2e.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from stackctl.cli.server_options import is_loopback

EVERYWHERE = "0.0.0.0"  # noqa: S104 - the address under test

VALID = """\
version: 2
image_name: demo
apis: [inference]
providers:
  inference:
    - provider_id: ollama
      provider_type: remote::ollama
      config:
        url: http://127.0.0.1:11434
"""


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    uvicorn = pytest.importorskip("uvicorn")
    calls: list[dict[str, Any]] = []

    def record(app: Any, **kwargs: Any) -> None:
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(uvicorn, "run", record)
    return calls


def test_defaults_to_loopback_without_warning(cli, started):
    result = cli("serve")
    assert result.exit_code == 0, result.stderr
    assert (started[0]["host"], started[0]["port"]) == ("127.0.0.1", 8321)
    assert "warning" not in result.stderr
    assert result.stdout == ""


def test_non_loopback_without_key_warns(cli, started):
    result = cli("serve", "--host", EVERYWHERE, "--port", "9000")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: serving on 0.0.0.0 without an api key")
    assert started[0]["port"] == 9000


def test_non_loopback_with_key_from_env_is_quiet(cli, started):
    result = cli("serve", "--host", EVERYWHERE, env={"STACKCTL_API_KEY": "k"})
    assert result.exit_code == 0
    assert "warning" not in result.stderr


def test_valid_config_is_accepted(cli, started, tmp_path: Path):
    config = tmp_path / "run.yaml"
    config.write_text(VALID)
    assert cli("serve", "--config", str(config)).exit_code == 0
    assert len(started) == 1


def test_bad_config_fails_fast_with_exit_3(cli, started, tmp_path: Path):
    config = tmp_path / "run.yaml"
    config.write_text("kind: nonsense\n")
    result = cli("serve", "--config", str(config))
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ")
    assert started == []


def test_bad_port_is_usage_error(cli, started):
    assert cli("serve", "--port", "70000").exit_code == 2
    assert started == []


def test_help_has_an_example(cli):
    result = cli("serve", "--help")
    assert result.exit_code == 0
    assert "Example: " in result.stdout


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        (EVERYWHERE, False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


LOCAL = """\
version: 2
image_name: local
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      base_url: http://127.0.0.1:9/v1
      api_key: ${env.SERVE_TEST_KEY:=none}
models:
- model_id: gpt-4.1
  provider_id: openai
  provider_model_id: gpt-4.1
server:
  host: 127.0.0.2
  port: 8555
"""


def test_config_is_registered_at_start_and_its_server_block_used(cli, started, tmp_path: Path):
    config = tmp_path / "run.yaml"
    config.write_text(LOCAL)
    result = cli("serve", "--config", str(config))
    assert result.exit_code == 0, result.stderr
    assert (started[0]["host"], started[0]["port"]) == ("127.0.0.2", 8555)
    assert f"registered stack local from {config}: 3 created" in result.stderr  # stack, provider, model
    assert result.stdout == ""
    models = cli("models", "list", "-o", "json")
    assert [m["identifier"] for m in json.loads(models.stdout)["data"]] == ["openai/gpt-4.1"]
    again = cli("serve", "--config", str(config), "--host", "127.0.0.1", "--port", "9001")
    assert (started[1]["host"], started[1]["port"]) == ("127.0.0.1", 9001)
    assert "unchanged" in again.stderr


def test_serve_env_reaches_the_app(cli, started, tmp_path: Path):
    envfile = tmp_path / "vars.env"
    envfile.write_text("FROM_FILE=1\nBOTH=file\n")
    result = cli("serve", "--env-file", str(envfile), "--env", "BOTH=flag")
    assert result.exit_code == 0, result.stderr
    app_env = started[0]["app"].state.env
    assert (app_env["FROM_FILE"], app_env["BOTH"]) == ("1", "flag")


def test_a_file_register_refuses_stops_serve_before_it_binds(cli, started, tmp_path: Path):
    import os

    config = tmp_path / "run.yaml"
    config.write_text(LOCAL.replace("${env.SERVE_TEST_KEY:=none}", "sk-literal"))
    result = cli("serve", "--config", str(config))
    assert result.exit_code == 3
    assert "providers.inference[0].config.api_key" in result.stderr
    assert started == []
    assert not Path(os.environ["STACKCTL_DB"]).exists()


def test_several_workers_get_the_factory_and_the_env_through_the_environment(
    cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    uvicorn = pytest.importorskip("uvicorn")
    seen: list[dict[str, Any]] = []

    def record(app: Any, **kwargs: Any) -> None:
        seen.append({"app": app, "environ": dict(os.environ), **kwargs})

    monkeypatch.setattr(uvicorn, "run", record)
    result = cli("serve", "--workers", "3", "--env", "BOTH=flag", "--api-key", "k")
    assert result.exit_code == 0, result.stderr
    call = seen[0]
    assert (call["app"], call["factory"], call["workers"]) == ("stackctl.server.app:app_from_env", True, 3)
    assert call["environ"]["BOTH"] == "flag"
    assert call["environ"]["STACKCTL_DB"] == os.environ["STACKCTL_DB"]
    assert call["environ"]["STACKCTL_API_KEY"] == "k"
    # Imported by each worker.
    assert call["http"] == "stackctl.server.httptools_protocol:TimedHttpToolsProtocol"
    assert (call["environ"]["STACKCTL_HEADER_TIMEOUT"], call["environ"]["STACKCTL_BODY_TIMEOUT"]) == (
        "10.0",
        "30.0",
    )
    assert "BOTH" not in os.environ  # restored once the server stops
    assert Path(os.environ["STACKCTL_DB"]).exists()  # migrated before any worker started


def test_the_event_loop_and_http_parser_are_named_at_start(cli, started):
    result = cli("serve")  # uvicorn[standard] is a dependency: uvloop and httptools are installed
    assert result.exit_code == 0, result.stderr
    assert "stackctl serve: event loop uvloop, HTTP parser httptools\n" in result.stderr
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert started[0]["loop"] == "uvloop"
    assert issubclass(started[0]["http"], HttpToolsProtocol)  # the parser printed, with a header timeout


def test_header_and_body_timeouts_reach_the_protocol_and_the_app(cli, started, monkeypatch):
    from stackctl.server import app as server_app

    seen: list[dict[str, Any]] = []
    real = server_app.create_app
    monkeypatch.setattr(server_app, "create_app", lambda *a, **k: seen.append(k) or real(*a, **k))
    assert cli("serve", "--header-timeout", "2.5", "--body-timeout", "7").exit_code == 0
    assert started[0]["http"].header_timeout == 2.5
    assert seen[0]["body_timeout"] == 7
    assert cli("serve").exit_code == 0
    assert started[1]["http"].header_timeout == 10
    assert seen[1]["body_timeout"] == 30


def test_api_key_on_the_command_line_warns_and_the_env_does_not(cli, started):
    result = cli("serve", "--api-key", "k")
    assert result.exit_code == 0
    assert "warning: --api-key is visible to every user of this machine in the process list" in result.stderr
    assert "hint: set STACKCTL_API_KEY in the environment instead" in result.stderr
    quiet = cli("serve", env={"STACKCTL_API_KEY": "k"})
    assert "process list" not in quiet.stderr


def test_a_secret_env_on_the_command_line_warns_once_naming_it_not_its_value(cli, started):
    result = cli(
        "serve", "--env", "OPENAI_API_KEY=sk-LEAK-value", "--env", "GH_TOKEN=t-LEAK", "--env", "PORT=1"
    )
    assert result.exit_code == 0, result.stderr
    warning = (
        "warning: --env OPENAI_API_KEY, --env GH_TOKEN are visible to every user of this machine in the "
        "process list\nhint: set OPENAI_API_KEY, GH_TOKEN in the environment, or in a file given with "
        "--env-file, instead\n"
    )
    assert result.stderr.count("process list") == 1 and warning in result.stderr
    assert "LEAK" not in result.stderr
    assert "process list" not in cli("serve", "--env", "MODEL=llama3").stderr


def test_connection_limits_and_keep_alive_reach_uvicorn(cli, started):
    assert cli("serve", "--max-connections", "50").exit_code == 0
    # uvicorn counts the refused request's own connection: one more than 50 serves 50 at once.
    assert (started[0]["limit_concurrency"], started[0]["timeout_keep_alive"]) == (51, 5)


def test_loopback_serves_only_loopback_host_headers(cli, started):
    from fastapi.testclient import TestClient

    assert cli("serve", "--allowed-host", "my.box").exit_code == 0
    app = started[0]["app"]
    with TestClient(app, base_url="http://localhost:8321") as client:
        assert client.get("/v1/health").status_code == 200
        for host in ("127.0.0.1:8321", "[::1]:8321", "my.box", "api.localhost", "127.0.0.2"):
            assert client.get("/v1/health", headers={"host": host}).status_code == 200, host
        rebound = client.get("/v1/health", headers={"host": "evil.example:8321"})
        assert rebound.status_code == 421
        assert rebound.json()["error"]["code"] == "host_not_allowed"


def test_a_non_loopback_bind_without_allowed_hosts_checks_none(cli, started):
    from fastapi.testclient import TestClient

    assert cli("serve", "--host", EVERYWHERE, "--api-key", "k").exit_code == 0
    with TestClient(started[0]["app"]) as client:
        assert client.get("/v1/health", headers={"host": "anything.example"}).status_code == 200


def test_every_interface_with_allowed_hosts_still_serves_loopback_names(cli, started):
    from fastapi.testclient import TestClient

    assert cli("serve", "--host", EVERYWHERE, "--api-key", "k", "--allowed-host", "my.box").exit_code == 0
    with TestClient(started[0]["app"]) as client:
        for host in ("my.box", "localhost:8321", "127.0.0.1:8321"):
            assert client.get("/v1/health", headers={"host": host}).status_code == 200, host
        assert client.get("/v1/health", headers={"host": "evil.example"}).status_code == 421
