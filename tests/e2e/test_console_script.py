"""The installed `stackctl` console script, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackctl import __version__

pytestmark = pytest.mark.e2e

SCRIPT = Path(sys.executable).parent / "stackctl"

RUN = """\
image_name: ${env.STACK:=e2e}
providers:
  inference:
  - provider_id: openai
    provider_type: remote::vllm
    config:
      api_token: ${env.E2E_API_KEY}
      max_tokens: ${env.E2E_TIMEOUT:=30}
"""


def stackctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.skip(f"console script not installed at {SCRIPT}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("E2E_", "STACK"))}
    env["NO_COLOR"] = "1"
    env["STACKCTL_DB"] = str(cwd / "stackctl.db")
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60, check=False
    )


def test_version(tmp_path: Path) -> None:
    result = stackctl("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"stackctl {__version__}\n"
    assert result.stderr == ""


def test_render_with_env(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text(RUN)
    result = stackctl(
        "config",
        "render",
        "run.yaml",
        "--env",
        "E2E_API_KEY=sk-e2e",
        "--env",
        "E2E_TIMEOUT=5",
        "--show-secrets",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("warning: --env E2E_API_KEY is visible to every user of this machine")
    assert "sk-e2e" not in result.stderr and "E2E_TIMEOUT" not in result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["image_name"] == "e2e"
    assert doc["providers"]["inference"][0]["config"] == {"api_token": "sk-e2e", "max_tokens": 5}


def test_missing_variable_exits_3(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text(RUN)
    result = stackctl("config", "render", "run.yaml", cwd=tmp_path)
    assert result.returncode == 3
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first == "error: run.yaml: missing environment variable(s): E2E_API_KEY"
    assert "providers.inference[0].config.api_token (run.yaml:7)" in result.stderr
    assert "Traceback" not in result.stderr
