"""Every input is read with its byte cap checked while reading: devices, FIFOs, pipes, stdin, env files."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

ZERO = "/dev/zero"


@pytest.mark.skipif(not os.path.exists(ZERO), reason="needs /dev/zero")
@pytest.mark.parametrize(
    "args",
    [
        ["config", "render", ZERO],
        ["config", "render", "--distro", "starter", "--env-file", ZERO],
        ["register", ZERO],
        ["conv", "create", "--items-file", ZERO],
        ["conv", "create", "--item", f"@{ZERO}"],
        ["responses", "create", "--model", "m", "--input-file", ZERO],
    ],
)
def test_an_endless_device_is_refused_at_the_cap(cli: Any, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 3, result.stderr
    assert f"error: {ZERO}: input larger than 10,485,760 bytes\n" in result.stderr


def _fifo_writer(path: Path, total: int) -> threading.Thread:
    def write() -> None:
        try:
            with path.open("wb") as fifo:
                for _ in range(total // 4096):
                    fifo.write(b"a" * 4096)
        except BrokenPipeError:
            pass  # the reader stopped at its cap, as it should

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_read_up_to_the_configured_cap(cli: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "items.fifo"
    os.mkfifo(fifo)
    writer = _fifo_writer(fifo, 1024 * 1024)
    result = cli("conv", "create", "--items-file", str(fifo), env={"STACKCTL_MAX_INPUT_BYTES": "5000"})
    writer.join(10)
    assert result.exit_code == 3, result.stderr
    assert f"{fifo}: input larger than 5,000 bytes" in result.stderr
    assert "STACKCTL_MAX_INPUT_BYTES" in result.stderr  # the hint names the knob
    listed = cli("conv", "list", "-o", "json")
    assert '"data": []' in listed.stdout  # nothing written


def test_stdin_over_the_cap_is_refused(cli: Any) -> None:
    result = cli("config", "render", "-", input=b"a" * 3000, env={"STACKCTL_MAX_INPUT_BYTES": "2048"})
    assert result.exit_code == 3
    assert "stdin: input larger than 2,048 bytes" in result.stderr


def test_an_input_within_the_cap_is_read_whole(cli: Any, tmp_path: Path) -> None:
    items = tmp_path / "items.json"
    items.write_text('[{"type": "message", "role": "user", "content": "hi"}]')
    result = cli("conv", "create", "--items-file", str(items), env={"STACKCTL_MAX_INPUT_BYTES": "100"})
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("value", ["lots", "0", "-5"])
def test_a_bad_cap_is_exit_3(cli: Any, tmp_path: Path, value: str) -> None:
    items = tmp_path / "items.json"
    items.write_text("[]")
    result = cli("conv", "create", "--items-file", str(items), env={"STACKCTL_MAX_INPUT_BYTES": value})
    assert result.exit_code == 3
    assert "STACKCTL_MAX_INPUT_BYTES must be a positive whole number of bytes" in result.stderr


def test_a_raised_cap_admits_a_run_config_past_the_default(cli: Any, tmp_path: Path) -> None:
    # The cap the user raised is the only byte cap: the YAML parser does not apply the default again.
    config = tmp_path / "run.yaml"
    comment = "x" * (10 * 1024 * 1024)
    config.write_text(f"# {comment}\nversion: 2\nimage_name: big\napis: []\nproviders: {{}}\n")
    refused = cli("config", "render", str(config), "-o", "json")
    assert refused.exit_code == 3
    assert "input larger than 10,485,760 bytes" in refused.stderr
    raised = cli("config", "render", str(config), "-o", "json", env={"STACKCTL_MAX_INPUT_BYTES": "20000000"})
    assert raised.exit_code == 0, raised.stderr[:500]
    assert '"image_name": "big"' in raised.stdout
