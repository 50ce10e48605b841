"""`stackctl serve` start-up: config checked before binding, loopback by default, a warning when exposed.

uvicorn is replaced by a recorder here; the real server is exercised in tests/e2e.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stackctl.cli.serve import is_loopback

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
