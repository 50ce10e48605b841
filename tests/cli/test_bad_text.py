"""Text UTF-8 cannot hold (lone surrogates; non-UTF-8 bytes in argv) is refused before any write, naming the
field; a row stored before that check reads back with U+FFFD and a warning, never a failed read or list."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from stackctl.server.app import create_app

BAD = "\udcff"  # what a 0xff byte in argv becomes (surrogateescape)


def _conversations(cli: Any) -> list[dict[str, Any]]:
    listed = cli("conv", "list", "-o", "json")
    assert listed.exit_code == 0, listed.stderr
    return list(json.loads(listed.stdout)["data"])


def test_cli_metadata_and_messages_that_utf8_cannot_hold_are_refused(cli: Any) -> None:
    for args, field in (
        (["conv", "create", "--metadata", f"k=a{BAD}"], "metadata.k"),
        (["conv", "create", "--message", f"user:hi{BAD}"], "items[0].content"),
    ):
        result = cli(*args)
        assert result.exit_code == 3, result.stderr
        assert f"error: {field} is not valid UTF-8 text" in result.stderr
    assert _conversations(cli) == []
    created = cli("conv", "create", "-o", "json")
    conv_id = json.loads(created.stdout)["id"]
    assert cli("conv", "update", conv_id, "--metadata", f"k={BAD}").exit_code == 3
    assert cli("conv", "items", "create", conv_id, "--message", f"user:{BAD}").exit_code == 3
    assert json.loads(cli("conv", "get", conv_id, "-o", "json").stdout)["metadata"] == {}
    items = cli("conv", "items", "list", conv_id, "-o", "json")
    assert json.loads(items.stdout)["data"] == []


def test_http_lone_surrogates_are_400_naming_the_field(tmp_path: Path) -> None:
    with TestClient(create_app(str(tmp_path / "s.db"))) as client:
        body = b'{"metadata": {"k": "\\ud800"}}'
        answer = client.post("/v1/conversations", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["param"] == "metadata.k"
        body = b'{"items": [{"type": "message", "role": "user", "content": "x\\udfff"}]}'
        answer = client.post("/v1/conversations", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["param"] == "items[0].content[0].text"
        assert answer.json()["error"]["code"] == "invalid_text"
        conv_id = client.post("/v1/conversations", json={}).json()["id"]
        body = b'{"items": [{"type": "message", "role": "user", "content": "\\ud83d"}]}'
        json_type = {"content-type": "application/json"}
        added = client.post(f"/v1/conversations/{conv_id}/items", content=body, headers=json_type)
        assert added.status_code == 400
        assert client.get(f"/v1/conversations/{conv_id}/items").json()["data"] == []


def test_a_stored_bad_row_reads_with_replacement_and_a_warning(cli: Any, isolated_env: Path) -> None:
    created = cli("conv", "create", "--message", "user:fine", "-o", "json")
    conv_id = json.loads(created.stdout)["id"]
    db = sqlite3.connect(isolated_env / "stackctl.db")
    with db:
        db.execute("UPDATE conversations SET metadata = ? WHERE id = ?", ('{"k": "a\\ud800"}', conv_id))
        data = db.execute(
            "SELECT data FROM conversation_items WHERE conversation_id = ?", (conv_id,)
        ).fetchone()
        db.execute("UPDATE conversation_items SET data = ?", (data[0].replace("fine", "fi\\udc80ne"),))
    db.close()
    # A real process: its warning goes to stderr (under pytest, logging is captured instead).
    listed = subprocess.run(
        [sys.executable, "-m", "stackctl", "conv", "list", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "STACKCTL_DB": str(isolated_env / "stackctl.db")},
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["data"][0]["metadata"] == {"k": "a\ufffd"}
    assert listed.stderr.startswith(f"warning: conversation {conv_id} holds text UTF-8 cannot hold")
    for args in (["conv", "get", conv_id], ["conv", "items", "list", conv_id]):
        result = cli(*args, "-o", "json")
        assert result.exit_code == 0, result.stderr
        assert "\ufffd" in result.stdout


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b'{"model": "m", "messages": [{"role": "user", "content": "a\\ud800b"}]}', "messages[0].content"),
        (b'{"model": "a\\ud800b", "messages": [{"role": "user", "content": "hi"}]}', "model"),
        (b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], "stop": "\\udfff"}', "stop"),
    ],
    ids=["content", "model", "stop"],
)
def test_http_chat_completions_with_lone_surrogates_are_400_naming_the_field(
    tmp_path: Path, body: bytes, param: str
) -> None:
    with TestClient(create_app(str(tmp_path / "s.db")), raise_server_exceptions=False) as client:
        answer = client.post(
            "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
        )
    assert answer.status_code == 400, answer.text
    assert (answer.json()["error"]["code"], answer.json()["error"]["param"]) == ("invalid_text", param)
