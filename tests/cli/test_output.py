"""Tables for people, data for scripts: the output module's rules, through the real commands."""

from __future__ import annotations

import json
import time

import pytest

from stackctl.cli.output import relative_time, visible, visible_stream
from stackctl.cli.tables import fit_widths

TERMINAL = {"FORCE_COLOR": "1", "COLUMNS": "80"}  # rich's table, without colour (NO_COLOR is set)
ESC = "\x1b[31mred\x1b[0m"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def create(cli, *args: str) -> str:
    return json.loads(ok(cli("conv", "create", *args, "-o", "json")).stdout)["id"]


def test_relative_times_and_their_units() -> None:
    now = 1_000_000.0
    assert relative_time(now - 5, now) == "5s ago"
    assert relative_time(now - 180, now) == "3m ago"
    assert relative_time(now - 7200, now) == "2h ago"
    assert relative_time(now - 5 * 86400, now) == "5d ago"
    assert relative_time(now + 10, now) == "just now"


def test_control_characters_are_shown_not_sent() -> None:
    assert visible(f"a{ESC}\n\tb\x07\u202e") == "a\\x1b[31mred\\x1b[0m\\n\\tb\\x07\\u202e"
    assert visible_stream(f"line\n\tnext{ESC}\r") == "line\n\tnext\\x1b[31mred\\x1b[0m\\r"
    assert visible("naïve 東京 ✓") == "naïve 東京 ✓"


def test_widths_long_columns_give_way_first_then_right_to_left_then_the_id() -> None:
    assert fit_widths([53, 10, 200], [2, 10, 8], 80) == [53, 10, 13]
    assert fit_widths([10, 5], [2, 5], 80) == [10, 5]  # fits: untouched
    widths = fit_widths([53, 10, 9, 40], [2, 10, 6, 11], 60)
    assert sum(widths) + 2 * 3 == 60 and widths[1:] == [10, 6, 11]
    assert fit_widths([53, 10], [20, 10], 20) == [20, 10]  # floors that do not fit are returned


def test_piped_table_is_plain_complete_and_unicode(cli) -> None:
    long = "x" * 150
    create(cli, "-m", "topic=東京 café", "-m", f"long={long}")
    out = ok(cli("conv", "list")).stdout
    assert "東京 café" in out and "\\u" not in out
    assert long in out  # piped: nothing cut
    assert "\x1b" not in out
    assert '{"long":' in out  # compact JSON cell


def test_terminal_table_fits_80_columns_with_an_ellipsis(cli) -> None:
    conv_id = create(cli, "-m", "topic=" + "y" * 200)
    out = ok(cli("conv", "list", env=TERMINAL)).stdout
    lines = out.splitlines()
    assert len(lines) == 2  # header + one row: nothing wrapped
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].startswith(conv_id)  # the id stays whole
    assert lines[1].endswith("…")
    assert "ago" in lines[1]


def test_terminal_table_has_colour_only_without_no_color(cli) -> None:
    create(cli)
    plain = ok(cli("conv", "list", env=TERMINAL)).stdout
    coloured = ok(cli("conv", "list", env={**TERMINAL, "NO_COLOR": None})).stdout
    assert "\x1b[" not in plain
    assert "\x1b[1m" in coloured  # FORCE_COLOR honoured: bold header


def test_control_characters_from_data_are_escaped_in_tables_but_exact_in_json(cli) -> None:
    conv_id = create(cli, "-m", f"name={ESC}")
    for env in (None, TERMINAL):
        out = ok(cli("conv", "get", conv_id, env=env)).stdout
        assert "\x1b" not in out
        assert '{"name":"\\u001b[31mred\\u001b[0m"}' in out  # a compact JSON cell, as JSON escapes it
    listed = ok(cli("conv", "items", "list", create(cli, "--message", f"user:{ESC}"))).stdout
    assert "\x1b" not in listed and "\\x1b[31mred" in listed
    as_json = json.loads(ok(cli("conv", "get", conv_id, "-o", "json")).stdout)
    assert as_json["metadata"]["name"] == ESC
    as_yaml = ok(cli("conv", "get", conv_id, "-o", "yaml")).stdout
    assert 'name: "\\e[31mred\\e[0m"' in as_yaml  # YAML's own escape, the data exact


def test_wide_gives_exact_times_json_gives_the_number(cli) -> None:
    conv_id = create(cli)
    created = json.loads(ok(cli("conv", "get", conv_id, "-o", "json")).stdout)["created_at"]
    assert isinstance(created, int)
    exact = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
    assert exact in ok(cli("conv", "list", "-o", "wide")).stdout
    table = ok(cli("conv", "list")).stdout
    assert exact not in table and "ago" in table


def test_a_page_that_is_not_the_whole_list_says_so_on_stderr(cli) -> None:
    for _ in range(3):
        create(cli)
    result = ok(cli("conv", "list", "--limit", "2"))
    assert result.stderr == "showing 2 of more; --all or --limit N\n"
    assert len(result.stdout.splitlines()) == 3
    assert ok(cli("conv", "list", "--limit", "3")).stderr == ""
    assert ok(cli("conv", "list", "--limit", "2", "-o", "json")).stderr == ""  # scripts read has_more


@pytest.mark.parametrize(
    "command", ["conv list", "conv items list CID", "responses list", "responses input-items R"]
)
def test_every_paginated_list_takes_all(cli, command: str) -> None:
    result = ok(cli(*command.replace("CID", "x").replace(" R", " x").split(), "--help"))
    assert "--all" in result.stdout


def test_all_follows_every_page(cli) -> None:
    ids = [create(cli) for _ in range(5)]
    merged = json.loads(ok(cli("conv", "list", "--limit", "2", "--all", "-o", "json")).stdout)
    assert [c["id"] for c in merged["data"]] == ids[::-1]
    assert merged["has_more"] is False
    conv_id = create(cli, *[arg for i in range(7) for arg in ("--message", f"user:m{i}")])
    result = ok(cli("conv", "items", "list", conv_id, "--limit", "3", "--all"))
    assert result.stderr == "" and len(result.stdout.splitlines()) == 8


def test_responses_list_table_shows_each_output_text(cli, fake_openai, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    run = tmp_path / "run.yaml"
    run.write_text(
        "image_name: t\nproviders:\n  inference:\n"
        "  - provider_id: openai\n    provider_type: remote::openai\n"
        f"    config:\n      base_url: {fake_openai.base_url}\n      api_key: ${{env.OPENAI_API_KEY}}\n"
        "models:\n- model_id: m\n  provider_id: openai\n  provider_model_id: m\n  model_type: llm\n"
    )
    ok(cli("register", str(run)))
    ok(cli("responses", "create", "--model", "m", "--input", "rivers", "-o", "json"))
    table = ok(cli("responses", "list")).stdout
    assert "echo: rivers" in table.splitlines()[1]
    assert "output_text" not in json.loads(ok(cli("responses", "list", "-o", "json")).stdout)["data"][0]
