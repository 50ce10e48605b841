from __future__ import annotations

import contextlib
import json
import os
import sys

import pytest

from stackctl import __version__


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"stackctl {__version__}\n"


def test_help_lists_exit_codes(cli):
    result = cli("--help")
    assert result.exit_code == 0
    assert "Exit codes" in result.stdout
    assert "130 interrupted" in result.stdout


def test_unknown_command_is_usage_error(cli):
    result = cli("no-such-command")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")


def test_unknown_flag_is_usage_error_json(cli):
    result = cli("config", "--bogus", "-o", "json")
    assert result.exit_code == 2
    body = json.loads(result.stderr)
    assert body["error"]["exit_code"] == 2
    assert body["error"]["code"] == "usage_error"


def test_a_reader_that_went_away_ends_the_command_quietly_with_0(monkeypatch: pytest.MonkeyPatch) -> None:
    from stackctl.cli.main import run

    read_end, write_end = os.pipe()
    os.close(read_end)  # `stackctl ... | head` after head has exited: every write is EPIPE
    closed = os.fdopen(write_end, "w")
    monkeypatch.setattr(sys, "stdout", closed)
    try:
        assert run(["providers", "list", "-o", "json"]) == 0
    finally:
        monkeypatch.undo()
        with contextlib.suppress(OSError):
            closed.close()


def test_help_lists_the_commands_as_built_ones_would_without_building_them():
    import typer

    from stackctl.cli.main import _SUBCOMMANDS, app

    group = typer.main.get_command(app)
    with group.make_context("stackctl", [], resilient_parsing=True) as ctx:
        listed = group.get_help(ctx)
        assert all(group.commands.built(name) is None for name in _SUBCOMMANDS)  # nothing was built
        for name in _SUBCOMMANDS:
            group.commands[name]  # now build every one
        assert group.get_help(ctx) == listed
    assert "tool-groups  Registered tool groups" in listed
