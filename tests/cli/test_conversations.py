from __future__ import annotations

import io
import json
import multiprocessing
import os
import subprocess
import sys

import pytest

import stackctl.cli.conversation_items as items_cli
import stackctl.cli.conversations as conv_cli
from stackctl.conversations import service as core
from stackctl.store.open import open_database

MISSING = "conv_" + "0" * 48


def ok(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def create(cli, *args):
    return ok(cli("conv", "create", *args, "-o", "json"))


def test_full_flow(cli, tmp_path):
    item_file = tmp_path / "item.json"
    item_file.write_text(json.dumps({"type": "message", "role": "user", "content": "first"}))
    conv = create(cli, "--metadata", "topic=demo", "--item", f"@{item_file}")
    assert set(conv) == {"id", "object", "created_at", "metadata"}
    assert conv["object"] == "conversation" and conv["metadata"] == {"topic": "demo"}
    cid = conv["id"]

    assert ok(cli("conv", "get", cid, "-o", "json")) == conv
    updated = ok(cli("conv", "update", cid, "-m", "topic=ops", "-m", "tier=gold", "-o", "json"))
    assert updated["metadata"] == {"topic": "ops", "tier": "gold"}

    added = ok(
        cli(
            "conv",
            "items",
            "create",
            cid,
            "--message",
            "assistant:second",
            "--item",
            '{"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}',
            "-o",
            "json",
        )
    )
    assert added["object"] == "list" and not added["has_more"]
    assert [i["type"] for i in added["data"]] == ["function_call", "message"]  # --item, then --message

    listed = ok(cli("conv", "items", "list", cid, "--limit", "10", "-o", "json"))
    assert set(listed) == {"object", "data", "first_id", "last_id", "has_more"}
    assert len(listed["data"]) == 3 and listed["has_more"] is False
    assert listed["data"][-1]["content"] == [{"type": "input_text", "text": "first"}]
    assert listed["first_id"] == listed["data"][0]["id"] and listed["last_id"] == listed["data"][-1]["id"]

    target = listed["data"][0]["id"]
    assert ok(cli("conv", "items", "get", cid, target, "-o", "json")) == listed["data"][0]
    after_delete = ok(cli("conv", "items", "delete", cid, target, "-o", "json"))
    assert after_delete == updated  # OpenAI returns the conversation
    assert cli("conv", "items", "get", cid, target).exit_code == 4

    deleted = ok(cli("conv", "delete", cid, "-o", "json"))
    assert deleted == {"id": cid, "object": "conversation.deleted", "deleted": True}
    gone = cli("conv", "get", cid, "-o", "json")
    assert gone.exit_code == 4
    assert json.loads(gone.stderr)["error"]["exit_code"] == 4
    assert gone.stdout == ""


def test_items_file_accepts_array_and_json_lines_from_stdin(cli, tmp_path):
    cid = create(cli)["id"]
    lines = "\n".join(json.dumps({"type": "message", "role": "user", "content": str(n)}) for n in range(3))
    assert (
        len(ok(cli("conv", "items", "create", cid, "--items-file", "-", "-o", "json", input=lines))["data"])
        == 3
    )
    array = tmp_path / "items.json"
    array.write_text(json.dumps([{"type": "message", "role": "developer", "content": "x"}]))
    assert len(ok(cli("conv", "items", "create", cid, "--items-file", str(array), "-o", "json"))["data"]) == 1
    texts = [
        i["content"][0]["text"]
        for i in ok(cli("conv", "items", "list", cid, "--order", "asc", "-o", "json"))["data"]
    ]
    assert texts == ["0", "1", "2", "x"]


def test_items_without_type_are_messages(cli, tmp_path):
    short = tmp_path / "short.json"
    short.write_text(json.dumps({"role": "user", "content": "from a file"}))
    cid = create(cli, "--item", '{"role": "user", "content": "x"}', "--items-file", str(short))["id"]
    added = ok(
        cli("conv", "items", "create", cid, "--item", '{"role": "assistant", "content": "y"}', "-o", "json")
    )
    assert [(i["type"], i["role"], i["status"]) for i in added["data"]] == [
        ("message", "assistant", "completed")
    ]
    listed = ok(cli("conv", "items", "list", cid, "--order", "asc", "-o", "json"))["data"]
    assert [i["content"][0]["text"] for i in listed] == ["x", "from a file", "y"]
    assert all(i["type"] == "message" and i["id"].startswith("msg_") for i in listed)


def test_yaml_equals_json_and_table_is_plain(cli):
    import yaml

    cid = create(cli, "--message", "user:hello", "-m", "a=b")["id"]
    as_json = ok(cli("conv", "items", "list", cid, "-o", "json"))
    as_yaml = cli("conv", "items", "list", cid, "-o", "yaml")
    assert yaml.safe_load(as_yaml.stdout) == as_json
    table = cli("conv", "items", "list", cid)
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == ["ID", "TYPE", "ROLE", "STATUS", "SUMMARY"]
    assert "hello" in table.stdout and "\x1b" not in table.stdout
    assert cid in cli("conv", "list").stdout


def test_list_all_merges_every_page(cli):
    cid = create(cli)["id"]
    with open_database(os.environ["STACKCTL_DB"]) as db:
        core.add_items(db, cid, [{"type": "message", "role": "user", "content": str(n)} for n in range(17)])
    merged = ok(cli("conv", "items", "list", cid, "--limit", "5", "--order", "asc", "--all", "-o", "json"))
    assert [i["content"][0]["text"] for i in merged["data"]] == [str(n) for n in range(17)]
    assert merged["has_more"] is False and merged["last_id"] == merged["data"][-1]["id"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["conv", "get", "conv_not.valid"], 3),
        (["conv", "get", "resp_" + "a" * 48], 3),
        (["conv", "get", "conv_" + "a" * 60], 3),
        (["conv", "get", "conv_nonexistent123"], 4),
        (["conv", "get", MISSING], 4),
        (["conv", "items", "list", MISSING], 4),
        (["conv", "items", "list", "CID", "--limit", "0"], 2),
        (["conv", "items", "list", "CID", "--limit", "101"], 2),
        (["conv", "items", "list", "CID", "--order", "sideways"], 2),
        (["conv", "items", "list", "CID", "--after", "msg_missing"], 4),
        (["conv", "items", "get", "CID", "msg_missing"], 4),
        (["conv", "items", "create", "CID"], 2),
        (["conv", "items", "create", "CID", "--message", "robot:hi"], 2),
        (["conv", "items", "create", "CID", "--item", "{not json"], 3),
        (["conv", "items", "create", "CID", "--item", "@/no/such/file.json"], 4),
        (["conv", "items", "create", "CID", "--item", '{"type": "message", "role": "user"}'], 3),
        (["conv", "create", "--metadata", "novalue"], 2),
        (["conv", "create", "--metadata", "k=" + "v" * 513], 3),
        (["conv", "update", "CID"], 2),
        (["conv", "delete", MISSING], 4),
        (["--db", "postgresql://db.example/stack", "conv", "list"], 3),
    ],
)
def test_exit_codes(cli, args, code):
    cid = create(cli, "--message", "user:keep me")["id"]
    before = ok(cli("db", "status", "-o", "json"))["tables"]
    result = cli(*[cid if a == "CID" else a for a in args], "-o", "json")
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["exit_code"] == code
    assert ok(cli("db", "status", "-o", "json"))["tables"] == before  # a failed command changes nothing


def test_too_many_items_writes_nothing(cli):
    many = ["--message"] * 21
    args = [x for pair in zip(many, [f"user:{n}" for n in range(21)], strict=True) for x in pair]
    assert cli("conv", "create", *args).exit_code == 3
    assert ok(cli("conv", "list", "-o", "json"))["data"] == []


def test_an_unreachable_postgresql_is_exit_3_with_the_password_masked(cli):
    result = cli("db", "status", env={"STACKCTL_DB": "postgresql://me:s3cret@127.0.0.1:1/stack"})
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "error: cannot connect to PostgreSQL at postgresql://me:********@127.0.0.1:1/"
    )
    assert "s3cret" not in result.stderr


def test_db_status(cli, tmp_path):
    path = tmp_path / "other.db"
    create(cli)
    report = ok(cli("--db", str(path), "db", "status", "-o", "json"))
    assert report["location"] == str(path) and report["schema_version"] is None and report["pending"]
    assert report["backend"] == "sqlite"
    ok(cli("--db", str(path), "db", "migrate", "-o", "json"))
    report = ok(cli("--db", str(path), "db", "status", "-o", "json"))
    assert report["pending"] == [] and report["tables"]["conversations"] == 0
    assert ok(cli("db", "status", "-o", "json"))["tables"]["conversations"] == 1
    assert "schema_version" in cli("db", "status").stdout


def test_every_command_has_help_with_an_example(cli):
    commands = [["conv", c] for c in ("create", "get", "update", "delete", "list")]
    commands += [["conv", "items", c] for c in ("create", "list", "get", "delete")]
    commands += [["db", "status"], ["db", "migrate"], ["db", "copy"]]
    for command in commands:
        result = cli(*command, "--help")
        assert result.exit_code == 0
        assert "Example: stackctl " in result.stdout, command


def test_cli_module_is_small():
    for module in (conv_cli, items_cli):
        with open(module.__file__, encoding="utf-8") as handle:
            assert sum(1 for _ in handle) < 300


def test_thousand_items_in_fifty_batches_page_back_exactly_once(cli):
    cid = create(cli)["id"]
    expected = []
    with open_database(os.environ["STACKCTL_DB"]) as db:
        for batch in range(50):
            items = [{"type": "message", "role": "user", "content": f"{batch}-{n}"} for n in range(20)]
            expected += [i.id for i in core.add_items(db, cid, items, now=lambda: 1_700_000_000)]
    for order, want in (("asc", expected), ("desc", expected[::-1])):
        seen, after = [], []
        while True:
            page = ok(
                cli("conv", "items", "list", cid, "--limit", "7", "--order", order, *after, "-o", "json")
            )
            seen += [i["id"] for i in page["data"]]
            if not page["has_more"]:
                break
            assert len(page["data"]) == 7
            after = ["--after", page["last_id"]]
        assert seen == want


def _writer(path, cid, worker, count, barrier):
    barrier.wait()
    with open_database(path) as db:
        for n in range(count):
            item = {"type": "message", "role": "user", "content": f"w{worker}-{n}", "id": f"w{worker}-{n}"}
            core.add_items(db, cid, [item])


def test_four_concurrent_writers_lose_nothing(cli):
    path = os.environ["STACKCTL_DB"]
    cid = create(cli)["id"]
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_writer, args=(path, cid, w, 250, barrier)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with open_database(path) as db:
        ids = [item.id for item in core.all_items(db, cid)]
    assert len(ids) == len(set(ids)) == 1000
    for w in range(4):
        assert [i for i in ids if i.startswith(f"w{w}-")] == [f"w{w}-{n}" for n in range(250)]


def test_concurrent_cli_processes(cli):
    cid = create(cli)["id"]
    env = {**os.environ}
    script = (
        "import subprocess, sys\n"
        "for batch in range(3):\n"
        "    args = [a for n in range(20) for a in ('--message', f'user:{sys.argv[2]}-{batch}-{n}')]\n"
        "    command = [sys.executable, '-m', 'stackctl', 'conv', 'items', 'create', sys.argv[1], *args]\n"
        "    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, cid, f"p{p}"], env=env) for p in range(4)]
    assert [proc.wait(60) for proc in procs] == [0, 0, 0, 0]
    with open_database(os.environ["STACKCTL_DB"]) as db:
        texts = [item.content[0].text for item in core.all_items(db, cid)]
    assert len(texts) == 240
    for p in range(4):
        assert [t for t in texts if t.startswith(f"p{p}-")] == [
            f"p{p}-{b}-{n}" for b in range(3) for n in range(20)
        ]


NOT_UTF8 = b"\xff\xfe[]"


@pytest.mark.parametrize(
    "args",
    [
        ["conv", "create", "--items-file", "BAD"],
        ["conv", "create", "--item", "@BAD"],
        ["conv", "items", "create", "CID", "--items-file", "BAD"],
    ],
)
def test_file_that_is_not_utf8_exits_3_naming_it(cli, tmp_path, args):
    cid = create(cli)["id"]
    bad = tmp_path / "bad.json"
    bad.write_bytes(NOT_UTF8)
    result = cli(*[{"CID": cid, "BAD": str(bad), "@BAD": f"@{bad}"}.get(a, a) for a in args])
    assert result.exit_code == 3, result.stderr
    assert str(bad) in result.stderr and "UTF-8" in result.stderr
    assert "internal error" not in result.stderr
    assert ok(cli("conv", "items", "list", cid, "-o", "json"))["data"] == []


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
def test_stdin_that_is_not_utf8_exits_3(cli, monkeypatch, errors):
    # A real terminal's stdin may decode with surrogateescape (C locale): the bad bytes must not slip through.
    from stackctl.cli.inputs import read_text
    from stackctl.errors import InvalidInputError

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(NOT_UTF8), encoding="utf-8", errors=errors))
    with pytest.raises(InvalidInputError, match="cannot read stdin: not UTF-8 text"):
        read_text("-")
    result = cli("conv", "create", "--items-file", "-", input=NOT_UTF8)
    assert result.exit_code == 3 and "stdin" in result.stderr and "UTF-8" in result.stderr
