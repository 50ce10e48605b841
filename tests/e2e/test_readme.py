"""The README's shell blocks run as written, against the installed `stackctl` and the fake provider.

Each ```sh block is found by its first line in RUNS (how to run it: what to set up first, what to check
after) or in NOT_RUN (why not, and which test covers it instead); a block in neither fails the test, so
a new example in the README comes with a way to prove it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
INSTALL = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && "

RUN_YAML = """\
image_name: readme
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      base_url: {url}
      api_key: ${{env.OPENAI_API_KEY}}
models:
- model_id: gpt-4.1
  provider_id: openai
  provider_model_id: gpt-4.1
  model_type: llm
"""

# how a block's first line starts -> (shell run before it, shell check run after it)
RUNS: dict[str, tuple[str, str]] = {
    INSTALL: ("", ""),
    "#!/usr/bin/env bash": ("", ""),
    "export STACKCTL_RECORDINGS_DIR=tests/recordings": (
        "stackctl register run.yaml > /dev/null",
        'test "$(ls tests/recordings | wc -l)" -ge 1',
    ),
    "stackctl completion bash > ~/.local/share/bash-completion/completions/stackctl   # bash-completion 2": (
        "mkdir -p ~/.local/share/bash-completion/completions ~/.zfunc ~/.config/fish/completions",
        f"cmp ~/.zfunc/_stackctl {ROOT}/completions/_stackctl"
        f" && cmp ~/.config/fish/completions/stackctl.fish {ROOT}/completions/stackctl.fish",
    ),
}
NOT_RUN = {
    "python -m pytest": "the test suite itself",
    "pip install 'stackctl[postgres]'": (
        "a team's PostgreSQL server: the store, unit and server suites run on the PostgreSQL server .ci/run "
        "starts (tests/pg.py), tests/e2e/test_shared_store.py runs serve --workers and register on it"
    ),
    "stackctl serve                                  # http://127.0.0.1:8321/v1, loopback only": (
        "a server that runs until stopped: tests/e2e/test_serve_openai_sdk.py starts it"
    ),
}


def blocks() -> list[str]:
    return BLOCK.findall(README)


def entry(block: str, table: dict[str, object]) -> str | None:
    first = block.splitlines()[0]
    return next((key for key in table if first.startswith(key)), None)


def test_every_shell_block_is_run_or_says_why_not() -> None:
    found = blocks()
    assert found, "no ```sh blocks found"
    unknown = [b.splitlines()[0] for b in found if entry(b, RUNS) is None and entry(b, NOT_RUN) is None]
    assert unknown == [], "README blocks with no test: add them to RUNS or NOT_RUN"


@pytest.mark.parametrize("block", [b for b in blocks() if entry(b, RUNS)], ids=lambda b: b[:30])
def test_readme_block_runs(block: str, tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    (tmp_path / "run.yaml").write_text(RUN_YAML.format(url=fake_openai.base_url))
    before, after = RUNS[str(entry(block, RUNS))]
    script = block.replace(INSTALL, "")
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STACKCTL_DB": str(tmp_path / "readme.db"),
        "STACKCTL_DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": "sk-test",
        "CI_JOB_ID": "42",
        "NO_COLOR": "1",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    full = f"set -euo pipefail\n{before}\n{script}\n{after}\n"
    done = subprocess.run(
        ["bash", "-c", full], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
