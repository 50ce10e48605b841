"""The installed `stackctl` in a real terminal: tmux, 80 columns wide, reading what the screen shows.

Tables must fit the width without a row wrapping, model output must be shown and never executed, and
`stacks delete` must ask before deleting. Skipped where tmux is not installed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeOpenAI, reply

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
STACKCTL = str(Path(sys.executable).with_name("stackctl"))
WIDTH = 80


class Terminal:
    """One tmux server of its own, with a window of WIDTH columns running a shell command."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.sockets: list[str] = []  # one tmux server per command: no race with a server shutting down
        self.socket = ""

    def tmux(self, *args: str) -> str:
        command = ["tmux", "-f", "/dev/null", "-L", self.socket, *args]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=30).stdout

    def start(self, command: str) -> None:
        """Run `command` (with only `env`) in a window WIDTH columns wide, on a tmux server of its own."""
        self.socket = f"stackctl-test-{uuid.uuid4().hex[:12]}"
        self.sockets.append(self.socket)
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        script = f"env -i {exports} sh -c {shlex.quote(command + '; echo __DONE__')}; sleep 60"
        self.tmux("new-session", "-d", "-x", str(WIDTH), "-y", "60", script)

    def run(self, command: str) -> list[str]:
        """Run `command` to its end; the screen's lines above the end marker, as the screen shows them."""
        self.start(command)
        return self.wait_for("__DONE__")

    def wait_for(self, text: str) -> list[str]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            screen = self.tmux("capture-pane", "-p").splitlines()
            if any(text in line for line in screen):
                return screen[: next(i for i, line in enumerate(screen) if text in line)]
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared")

    def joined(self) -> list[str]:
        """The screen with wrapped rows joined back into the lines the program wrote."""
        return self.tmux("capture-pane", "-p", "-J").splitlines()

    def close(self) -> None:
        for socket in self.sockets:
            kill = ["tmux", "-f", "/dev/null", "-L", socket, "kill-server"]
            subprocess.run(kill, capture_output=True, check=False, timeout=30)


@pytest.fixture
def terminal(tmp_path: Path, fake_openai: FakeOpenAI) -> Iterator[Terminal]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TERM": "screen",
        "STACKCTL_DB": str(tmp_path / "term.db"),
        "STACKCTL_DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": "sk-test",
    }
    run = tmp_path / "run.yaml"
    run.write_text(
        "image_name: demo\nproviders:\n  inference:\n"
        "  - provider_id: openai\n    provider_type: remote::openai\n"
        f"    config:\n      base_url: {fake_openai.base_url}\n      api_key: ${{env.OPENAI_API_KEY}}\n"
        "models:\n- model_id: fake-model-with-a-rather-long-name-for-the-table\n  provider_id: openai\n"
        "  provider_model_id: fake-model-with-a-rather-long-name-for-the-table\n  model_type: llm\n"
    )
    piped = {**env, "NO_COLOR": "1"}

    def stackctl(*args: str) -> str:
        proc = subprocess.run(
            [STACKCTL, *args], env=piped, capture_output=True, text=True, timeout=60, check=False
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    stackctl("register", str(run))
    conv_id = json.loads(stackctl("conv", "create", "-m", "topic=" + "t" * 120, "-o", "json"))["id"]
    for _ in range(2):
        stackctl(
            "responses",
            "create",
            "--model",
            "fake-model-with-a-rather-long-name-for-the-table",
            "--conversation",
            conv_id,
            "--input",
            "tell me a long story " * 8,
            "-o",
            "json",
        )
    term = Terminal(env)
    try:
        yield term
    finally:
        term.close()


@pytest.mark.parametrize(
    "command", ["conv list", "models list", "responses list", "providers list", "conv items list {conv}"]
)
def test_tables_fit_80_columns_without_wrapping(terminal: Terminal, tmp_path: Path, command: str) -> None:
    conv = ""
    if "{conv}" in command:
        listed = subprocess.run(
            [STACKCTL, "conv", "list", "-o", "json"],
            env={**terminal.env, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            check=True,
        )
        conv = json.loads(listed.stdout)["data"][0]["id"]
    screen = terminal.run(f"{STACKCTL} {command.format(conv=conv)}")
    joined = [line for line in terminal.joined() if line.strip()]
    rows = [line for line in screen if line.strip()]
    assert len(rows) >= 2, screen
    assert all(len(line) <= WIDTH for line in joined), joined  # no row was wrapped by the terminal
    assert len([line for line in joined if "__DONE__" not in line]) == len(rows)


def test_streamed_model_output_is_shown_not_executed(terminal: Terminal, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(reply("plain \x1b[2J\x1b]0;pwned\x07 text"))
    screen = terminal.run(
        f"{STACKCTL} responses create --model fake-model-with-a-rather-long-name-for-the-table "
        "--input hi --stream"
    )
    text = "\n".join(screen)
    assert "plain \\x1b[2J\\x1b]0;pwned\\x07 text" in text


def test_stacks_delete_asks_on_a_terminal(terminal: Terminal) -> None:
    terminal.start(f"{STACKCTL} stacks delete demo; echo rc=$?")
    terminal.wait_for("delete stack 'demo' with 1 providers and 1 resources? [y/N]")
    terminal.tmux("send-keys", "n", "Enter")
    screen = "\n".join(terminal.wait_for("rc=130"))
    assert "error: stack 'demo' not deleted" in screen
    kept = subprocess.run(
        [STACKCTL, "stacks", "list", "-o", "json"],
        env=terminal.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(json.loads(kept.stdout)["data"]) == 1
    assert "deleted" in "\n".join(terminal.run(f"{STACKCTL} stacks delete demo --yes"))
