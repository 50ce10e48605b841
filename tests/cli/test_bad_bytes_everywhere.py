"""Bytes that are not UTF-8 reaching the registry, the environment or stored rows: refused with exit 3
(nothing written) or read with U+FFFD, never an internal error; and what surrounds the database file (a
dangling link, a FIFO among provider specs) handled as a user would expect."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.runconfigs import dump_tables, write_config

BAD = "\udcff"  # what a 0xff byte in argv or the environment becomes (surrogateescape)

STACK = """\
version: 2
image_name: mini
apis: [inference]
providers:
  inference:
  - provider_id: ollama
    provider_type: remote::ollama
    config:
      url: ${env.OLLAMA_URL:=http://127.0.0.1:9}
models:
- model_id: ${env.MID:=m1}
  provider_id: ollama
  metadata:
    note: hello
"""


@pytest.fixture
def mini(cli: Any, tmp_path: Path) -> Path:
    path = write_config(tmp_path, STACK)
    assert cli("register", str(path)).exit_code == 0
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["models", "register", f"m{BAD}", "--provider-id", "ollama", "--stack", "mini"],
        ["models", "register", "m2", "--provider-id", "ollama", "--stack", "mini", "--set", f"note=x{BAD}"],
        ["stacks", "use", f"mi{BAD}"],
        ["models", "get", f"m{BAD}"],
    ],
    ids=["model-id", "set", "stack-name", "get"],
)
def test_bad_bytes_in_registry_arguments_are_exit_3_and_write_nothing(
    cli: Any, mini: Path, args: list[str]
) -> None:
    before = dump_tables(os.environ["STACKCTL_DB"])
    result = cli(*args)
    assert result.exit_code == 3, result.stderr
    assert "not valid UTF-8" in result.stderr or "UTF-8 cannot hold" in result.stderr
    assert "internal error" not in result.stderr
    assert dump_tables(os.environ["STACKCTL_DB"]) == before


def test_bad_bytes_in_an_env_value_are_refused_naming_it(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK)
    result = cli("register", str(path), "--env", f"MID=m{BAD}")
    assert result.exit_code == 3, result.stderr
    assert "--env MID is not valid UTF-8 text" in result.stderr


def test_an_env_file_that_is_not_utf8_is_refused_not_replaced(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK)
    env_file = tmp_path / "mid.env"
    env_file.write_bytes(b"OLLAMA_URL=http://127.0.0.1:9\nMID=m\xff\n")
    result = cli("register", str(path), "--env-file", str(env_file))
    assert result.exit_code == 3, result.stderr
    assert f"{env_file}:2: not UTF-8 text" in result.stderr
    assert not Path(os.environ["STACKCTL_DB"]).exists()  # nothing registered, nothing created


def test_a_registry_row_holding_an_escaped_surrogate_reads_with_replacement(cli: Any, mini: Path) -> None:
    db = sqlite3.connect(os.environ["STACKCTL_DB"])
    with db:
        db.execute("UPDATE resources SET spec = replace(spec, 'hello', 'he\\ud800llo')")
        db.execute("UPDATE stack_providers SET config = replace(config, 'OLLAMA', 'OLL\\udc80AMA')")
    db.close()
    for args in (["models", "get", "ollama/m1"], ["models", "list"], ["stacks", "show", "mini"]):
        result = cli(*args, "-o", "json")
        assert result.exit_code == 0, (args, result.stderr)
    shown = json.loads(cli("models", "get", "ollama/m1", "-o", "json").stdout)
    assert shown["spec"]["metadata"]["note"] == "he\ufffdllo"


def test_a_row_of_bytes_that_are_not_utf8_is_exit_3_naming_the_file(cli: Any, isolated_env: Path) -> None:
    assert cli("conv", "create").exit_code == 0
    path = isolated_env / "stackctl.db"
    db = sqlite3.connect(path)
    with db:  # another program wrote raw bytes into a text column
        db.execute("UPDATE conversations SET metadata = CAST(X'7B226B223A2022FF227D' AS TEXT)")
    db.close()
    result = cli("conv", "list")
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith(f"error: database {path}: a row holds text that is not UTF-8")
    assert "Traceback" not in result.stderr


def test_a_bad_byte_in_the_environment_reaching_a_write_is_exit_3(tmp_path: Path) -> None:
    # The process environment is not checked variable by variable (most are never used): what reaches a
    # write is refused at the boundary, the transaction rolled back.
    config = write_config(tmp_path, STACK)
    env = {**os.environ, "STACKCTL_DB": str(tmp_path / "s.db")}
    env_bytes = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    env_bytes[b"MID"] = b"m\xff"
    result = subprocess.run(
        [sys.executable, "-m", "stackctl", "register", str(config)],
        capture_output=True,
        env=env_bytes,
        check=False,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 3, stderr
    assert "UTF-8 cannot hold" in stderr and "nothing was written" in stderr
    assert not (tmp_path / "s.db").exists() or dump_tables(str(tmp_path / "s.db"))["resources"] == []


def test_a_dangling_link_as_the_database_creates_a_private_file(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "real.db"
    link = tmp_path / "link.db"
    link.symlink_to(target)
    assert cli("--db", str(link), "conv", "create").exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_among_external_provider_specs_is_not_read(cli: Any, tmp_path: Path) -> None:
    specs = tmp_path / "ext" / "remote" / "inference"
    specs.mkdir(parents=True)
    os.mkfifo(specs / "ff.yaml")  # opening it would wait for a writer forever
    path = write_config(tmp_path, STACK + f"external_providers_dir: {tmp_path / 'ext'}\n")
    result = cli("config", "render", str(path))
    assert result.exit_code == 0, result.stderr
