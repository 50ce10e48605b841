"""Reading never creates: commands that only read (or delete) leave a missing database, and its
directories, absent; lists read as empty, gets as not found, with a notice naming the path looked at."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CONV = "conv_" + "a" * 48
RESP = "resp_" + "b" * 48

LISTS = [
    ["conv", "list"],
    ["responses", "list"],
    ["models", "list"],
    ["shields", "list"],
    ["stacks", "list"],
]
NOT_FOUND = [
    ["conv", "get", CONV],
    ["conv", "items", "list", CONV],
    ["conv", "items", "get", CONV, "msg_1"],
    ["conv", "items", "delete", CONV, "msg_1"],
    ["conv", "update", CONV, "--metadata", "k=v"],
    ["conv", "delete", CONV],
    ["responses", "get", RESP],
    ["responses", "input-items", RESP],
    ["responses", "delete", RESP],
    ["stacks", "show", "demo"],
    ["stacks", "delete", "demo"],
    ["models", "get", "m", "--stack", "demo"],
    ["models", "unregister", "m", "--stack", "demo"],
]


@pytest.fixture
def missing(tmp_path: Path) -> Path:
    return tmp_path / "not" / "there" / "stackctl.db"


@pytest.mark.parametrize("args", LISTS, ids=" ".join)
def test_lists_read_a_missing_database_as_empty(cli: Any, missing: Path, args: list[str]) -> None:
    result = cli("--db", str(missing), *args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["data"] == []
    assert result.stderr == f"notice: no database at {missing}: nothing is stored yet\n"
    assert not missing.parent.parent.exists()


@pytest.mark.parametrize("args", NOT_FOUND, ids=" ".join)
def test_gets_on_a_missing_database_are_not_found(cli: Any, missing: Path, args: list[str]) -> None:
    result = cli("--db", str(missing), *args)
    assert result.exit_code == 4, result.stderr
    assert f"notice: no database at {missing}" in result.stderr
    assert not missing.parent.parent.exists()


def test_db_status_creates_nothing(cli: Any, missing: Path) -> None:
    result = cli("--db", str(missing), "db", "status", "-o", "json")
    assert result.exit_code == 0
    assert str(missing) in result.stderr
    assert not missing.parent.parent.exists()


def test_an_existing_database_gets_no_notice(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "here.db"
    assert cli("--db", str(db), "conv", "create").exit_code == 0
    result = cli("--db", str(db), "conv", "list")
    assert result.exit_code == 0
    assert result.stderr == ""
