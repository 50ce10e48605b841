"""`STACKCTL_RETRIES` as read from an environment mapping, and when a spinner is wanted at all."""

from __future__ import annotations

import io
import os

import pytest

from stackctl.cli.spinner import wanted
from stackctl.errors import InvalidInputError
from stackctl.inference.limits import DEFAULT_RETRIES, retries_from_env
from stackctl.inference.retries import RetryPolicy


def test_the_default_is_todays_three_tries() -> None:
    assert retries_from_env({}) == retries_from_env({"STACKCTL_RETRIES": " "}) == DEFAULT_RETRIES == 2
    assert RetryPolicy().attempts == DEFAULT_RETRIES + 1


@pytest.mark.parametrize(("text", "retries"), [("0", 0), (" 5 ", 5), ("10", 10)])
def test_a_whole_number_is_taken(text: str, retries: int) -> None:
    assert retries_from_env({"STACKCTL_RETRIES": text}) == retries


@pytest.mark.parametrize("text", ["-1", "1.5", "abc", "²", "1e3"])
def test_anything_else_is_exit_3_naming_the_variable(text: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        retries_from_env({"STACKCTL_RETRIES": text})
    assert info.value.exit_code == 3
    assert info.value.message == f"STACKCTL_RETRIES must be a whole number >= 0, not {text!r}"


def test_no_spinner_off_a_terminal_or_on_a_dumb_one() -> None:
    assert not wanted(io.StringIO(), {"TERM": "xterm"})
    closed = io.StringIO()
    closed.close()
    assert not wanted(closed, {})
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "w", closefd=False) as pipe:
            assert not wanted(pipe, {"TERM": "xterm"})
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_spinner_on_a_terminal_even_with_no_color() -> None:
    import pty

    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as tty:
            assert wanted(tty, {"TERM": "xterm", "NO_COLOR": "1"})
            assert not wanted(tty, {"TERM": "dumb"})
    finally:
        os.close(master)
        os.close(slave)
