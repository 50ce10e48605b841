"""The spinner of `responses create`: the installed console script under a pseudo-terminal (the `pty` module)
and in tmux, with the fake provider on 127.0.0.1 holding its answer until the spinner has been seen.

On a terminal it spins on stderr until the first token and is erased before anything is printed (an error
message included); with NO_COLOR too (it is not colour); never with TERM=dumb or when stderr is a pipe.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes import FakeOpenAI, held

STACKCTL = str(Path(sys.executable).with_name("stackctl"))
ASK = [STACKCTL, "responses", "create", "--model", "fake-model", "--input", "hi"]
SPINNING = b"waiting for fake-model"
ERASE_LINE = b"\x1b[2K"


@pytest.fixture
def env(tmp_path: Path, fake_openai: FakeOpenAI) -> dict[str, str]:
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "STACKCTL_DB": str(tmp_path / "spin.db"),
        "STACKCTL_DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": "sk-test",
    }
    run = tmp_path / "run.yaml"
    run.write_text(
        "image_name: demo\nproviders:\n  inference:\n"
        "  - provider_id: openai\n    provider_type: remote::openai\n"
        f"    config:\n      base_url: {fake_openai.base_url}\n      api_key: ${{env.OPENAI_API_KEY}}\n"
        "models:\n- model_id: fake-model\n  provider_id: openai\n  provider_model_id: fake-model\n"
        "  model_type: llm\n"
    )
    subprocess.run([STACKCTL, "register", str(run)], env=environ, capture_output=True, check=True, timeout=60)
    fake_openai.set_default(held())
    return environ


def on_pty(
    args: list[str], env: dict[str, str], fake: FakeOpenAI, *, release_after: float | None = 0.5
) -> tuple[int, bytes]:
    """Run with stdin, stdout and stderr on one pseudo-terminal; let the provider answer `release_after`
    seconds after the spinner first shows (2 s after the start if it never does; None: never); return the
    exit code and every byte the terminal received."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    received = b""
    started = time.monotonic()
    seen: float | None = None
    try:
        while time.monotonic() - started < 60:
            now = time.monotonic()
            if seen is None and SPINNING in received:
                seen = now
            if release_after is not None and (
                (seen is not None and now - seen >= release_after) or (seen is None and now - started > 2)
            ):
                fake.release()
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                received += data
            elif proc.poll() is not None:
                break
        return proc.wait(timeout=30), received
    finally:
        fake.release()
        os.close(master)
        if proc.poll() is None:
            proc.kill()


def after_spinner(received: bytes) -> bytes:
    """What the terminal got after the spinner's last frame."""
    assert SPINNING in received, received
    return received[received.rindex(SPINNING) + len(SPINNING) :]


@pytest.mark.parametrize(
    ("extra", "first_output"),
    [
        ([], b"FIELD"),
        (["--stream"], b"echo: hi"),
        (["-o", "json"], b"{"),
        (["--stream", "-o", "json"], b'{"type": "response.output_item.added"'),
    ],
)
def test_a_spinner_shows_on_a_terminal_until_the_answer_and_is_erased_first(
    env: dict[str, str], fake_openai: FakeOpenAI, extra: list[str], first_output: bytes
) -> None:
    code, received = on_pty([*ASK, *extra], env, fake_openai)
    assert code == 0, received
    rest = after_spinner(received)
    assert received.count(SPINNING) >= 2, received  # it spins: frame after frame
    assert ERASE_LINE in rest[: rest.index(first_output)], rest  # erased before the first output
    assert b"echo: hi" in rest


def test_the_spinner_is_erased_before_an_error_message(env: dict[str, str], fake_openai: FakeOpenAI) -> None:
    # The deadline passes while the provider holds its answer: the spinner goes, then the error is shown.
    code, received = on_pty([*ASK, "--timeout", "1"], env, fake_openai, release_after=None)
    assert code == 6, received
    rest = after_spinner(received)
    assert ERASE_LINE in rest[: rest.index(b"error: provider openai")], rest


def test_no_spinner_on_a_dumb_terminal(env: dict[str, str], fake_openai: FakeOpenAI) -> None:
    code, received = on_pty(ASK, {**env, "TERM": "dumb"}, fake_openai)
    assert code == 0, received
    assert SPINNING not in received and b"echo: hi" in received


@pytest.mark.parametrize("stream", [False, True])
def test_no_spinner_when_piped(env: dict[str, str], fake_openai: FakeOpenAI, stream: bool) -> None:
    proc = subprocess.Popen(
        [*ASK, *(["--stream"] if stream else [])],
        env={k: v for k, v in env.items() if k != "NO_COLOR"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.0)  # long enough for a spinner to draw frames, had it started
        fake_openai.release()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert b"echo: hi" in out
    assert SPINNING not in err and b"\x1b" not in err and b"\x1b" not in out


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_screen_keeps_no_trace_of_the_spinner(env: dict[str, str], fake_openai: FakeOpenAI) -> None:
    from tests.e2e.test_terminal import Terminal

    terminal = Terminal({k: v for k, v in env.items() if k != "TERM"} | {"TERM": "screen"})
    try:
        terminal.start(" ".join([*ASK, "--stream"]))
        terminal.wait_for(SPINNING.decode())
        fake_openai.release()
        screen = [line for line in terminal.wait_for("__DONE__") if line.strip()]
    finally:
        terminal.close()
    assert screen[0] == "echo: hi", screen
    assert not any(SPINNING.decode() in line for line in screen), screen
