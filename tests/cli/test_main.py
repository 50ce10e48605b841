from __future__ import annotations

import json

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
