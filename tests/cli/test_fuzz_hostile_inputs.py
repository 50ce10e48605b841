"""Fuzzing hostile input: text with lone surrogates anywhere (run configs, variables, metadata, messages,
HTTP bodies), and devices and FIFOs as every file input. Each input is either accepted or refused with a
clear error (exit 3 / HTTP 400); never an internal error, and a refusal writes nothing."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackctl.config.pipeline import render_config
from stackctl.errors import StackctlError

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW_FUZZ = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
# Text with one lone surrogate somewhere in it, among ordinary characters (st.text has no surrogates).
with_surrogate = st.builds("{}{}{}".format, st.text(max_size=8), lone_surrogates, st.text(max_size=8))
RUN_CONFIG = "version: 2\nimage_name: fz\nproviders: {{}}\nlogging:\n  note: {note}\n"


@FUZZ
@given(note=with_surrogate, quoted=st.booleans())
def test_a_run_config_with_lone_surrogates_is_refused_or_rendered(note: str, quoted: bool) -> None:
    text = RUN_CONFIG.format(note=json.dumps(note) if quoted else note)
    try:
        render_config(text, "run.yaml", {}, home="/home/h", validate=False)
    except StackctlError as exc:
        assert exc.exit_code == 3, exc.message


@FUZZ
@given(value=with_surrogate)
def test_a_variable_holding_lone_surrogates_never_crashes_the_render(value: str) -> None:
    text = "version: 2\nimage_name: fz\nproviders: {}\nlogging:\n  note: '${env.NOTE}'\n"
    try:
        render_config(text, "run.yaml", {"NOTE": value}, home="/home/h", validate=False)
    except StackctlError as exc:
        assert exc.exit_code == 3, exc.message


def _conversation_count(cli: Any) -> int:
    listed = cli("conv", "list", "-o", "json")
    assert listed.exit_code == 0, listed.stderr  # a refused write never breaks a later list
    return len(json.loads(listed.stdout)["data"])


@SLOW_FUZZ
@given(value=with_surrogate, where=st.sampled_from(["--metadata", "--message"]))
def test_cli_text_with_lone_surrogates_is_refused_and_nothing_is_stored(
    cli: Any, value: str, where: str
) -> None:
    before = _conversation_count(cli)
    arg = f"k={value}" if where == "--metadata" else f"user:{value}"
    result = cli("conv", "create", where, arg)
    assert result.exit_code == 3, result.stderr
    assert "not valid UTF-8 text" in result.stderr
    assert _conversation_count(cli) == before


@SLOW_FUZZ
@given(value=with_surrogate, field=st.sampled_from(["metadata", "content"]))
def test_http_text_with_lone_surrogates_is_400_and_nothing_is_stored(
    cli: Any, tmp_path_factory: pytest.TempPathFactory, value: str, field: str
) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from stackctl.server.app import create_app

    # json.dumps escapes a lone surrogate as \udXXX: valid JSON text that UTF-8 cannot hold once decoded.
    body: dict[str, Any] = (
        {"metadata": {"k": value}}
        if field == "metadata"
        else {"items": [{"type": "message", "role": "user", "content": value}]}
    )
    location = str(tmp_path_factory.mktemp("fz") / "s.db")
    with TestClient(create_app(location)) as client:
        answer = client.post(
            "/v1/conversations", content=json.dumps(body), headers={"content-type": "application/json"}
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "invalid_text"
    listed = cli("conv", "list", "-o", "json", env={"STACKCTL_DB": location})
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout)["data"] == []


FILE_INPUTS = [
    ["config", "render", "{}"],
    ["config", "render", "--distro", "starter", "--env-file", "{}"],
    ["register", "{}"],
    ["conv", "create", "--items-file", "{}"],
    ["conv", "create", "--item", "@{}"],
    ["responses", "create", "--model", "m", "--input-file", "{}"],
]
CAP = 4096


def _feed(path: Path, chunks: list[bytes], endless: bool) -> threading.Thread:
    """A writer thread feeding the FIFO at `path`: the chunks, then (endless) the same bytes forever, until
    the reader closes its end."""

    def write() -> None:
        try:
            with path.open("wb") as fifo:
                for chunk in chunks:
                    fifo.write(chunk)
                while endless:
                    fifo.write(b"\x00junk" * 1024)
        except (BrokenPipeError, OSError):
            pass  # the reader stopped at its cap, as it should

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@SLOW_FUZZ
@given(
    args=st.sampled_from(FILE_INPUTS),
    chunks=st.lists(st.binary(min_size=1, max_size=2048), max_size=6),
    endless=st.booleans(),
)
def test_a_fifo_fed_anything_is_read_within_the_cap(
    cli: Any, tmp_path_factory: pytest.TempPathFactory, args: list[str], chunks: list[bytes], endless: bool
) -> None:
    fifo = tmp_path_factory.mktemp("fifo") / "input"
    os.mkfifo(fifo)
    before = _conversation_count(cli)
    writer = _feed(fifo, chunks, endless)
    result = cli(*[a.format(fifo) for a in args], env={"STACKCTL_MAX_INPUT_BYTES": str(CAP)})
    if writer.is_alive():  # the command refused before opening the FIFO: open it to release the writer
        with fifo.open("rb") as reader:
            reader.read(1)
    writer.join(10)
    assert not writer.is_alive()
    assert result.exit_code != 1, result.stderr  # never an internal error
    assert "Traceback" not in result.stderr
    if endless or sum(map(len, chunks)) > CAP:
        assert result.exit_code == 3, result.stderr
        assert f"{fifo}: input larger than {CAP:,} bytes" in result.stderr
    if result.exit_code != 0:
        assert _conversation_count(cli) == before  # a refusal writes nothing


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("args", FILE_INPUTS, ids=lambda args: " ".join(args[:3]))
def test_dev_zero_is_refused_at_the_configured_cap(cli: Any, args: list[str]) -> None:
    result = cli(*[a.format("/dev/zero") for a in args], env={"STACKCTL_MAX_INPUT_BYTES": str(CAP)})
    assert result.exit_code == 3, result.stderr
    assert f"/dev/zero: input larger than {CAP:,} bytes" in result.stderr
    assert _conversation_count(cli) == 0


JSON_INPUTS = [
    ["conv", "create", "--items-file", "{}"],
    ["conv", "create", "--item", "@{}"],
    ["responses", "create", "--model", "m", "--input-file", "{}"],
    ["models", "register", "m1", "--set", "metadata={}"],
]
GIVES_UP = {
    "deep": ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
    "long-integer": ("[" + "9" * 5000 + "]", "invalid JSON: Exceeds the limit (4300 digits)"),
}


@pytest.mark.parametrize("args", JSON_INPUTS, ids=lambda args: " ".join(args[:3]))
@pytest.mark.parametrize("case", list(GIVES_UP))
def test_json_the_parser_gives_up_on_is_invalid_input(
    cli: Any, tmp_path: Path, args: list[str], case: str
) -> None:
    text, message = GIVES_UP[case]
    path = tmp_path / "input.json"
    path.write_text(text)
    argv = [a.format(text if a.startswith("metadata=") else path) for a in args]  # --set takes it inline
    result = cli(*argv)
    assert result.exit_code == 3, result.stderr
    assert message in result.stderr
    assert _conversation_count(cli) == 0


def test_an_input_with_a_million_bad_items_is_one_bounded_error(cli: Any, tmp_path: Path) -> None:
    # Each bad item is a problem: the error keeps the first 100 lines and says how many more.
    items = tmp_path / "many.json"
    items.write_text("[" + ",".join(["{}"] * 1_000_000) + "]")
    result = cli("responses", "create", "--model", "m1", "--input-file", str(items))
    assert result.exit_code == 3, result.stderr[:300]
    lines = result.stderr.splitlines()
    assert len(lines) <= 103
    assert "  ... and 999,900 more" in lines
