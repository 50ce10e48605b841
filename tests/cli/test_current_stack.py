"""One current stack: --stack, else $STACKCTL_STACK, else `stackctl stacks use`, else the only one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def run_config(name: str) -> str:
    return (
        f"image_name: {name}\nproviders:\n  inference:\n"
        "  - provider_id: vllm\n    provider_type: remote::vllm\n"
        "    config:\n      url: http://127.0.0.1:9/v1\n"
        f"models:\n- model_id: {name}-model\n  provider_id: vllm\n"
    )


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def data(result) -> list[dict]:
    return json.loads(ok(result).stdout)["data"]


@pytest.fixture
def two_stacks(cli, tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(run_config(name))
        ok(cli("register", str(path)))


def test_with_several_stacks_and_none_selected_lists_show_all_and_writes_ask(cli, two_stacks) -> None:
    rows = data(cli("models", "list", "-o", "json"))
    assert sorted((r["stack"], r["identifier"]) for r in rows) == [
        ("alpha", "vllm/alpha-model"),
        ("beta", "vllm/beta-model"),
    ]
    table = ok(cli("models", "list")).stdout
    assert table.splitlines()[0].split()[-1] == "STACK" and "alpha" in table and "beta" in table
    assert ok(cli("models", "get", "vllm/beta-model", "-o", "json"))
    write = cli("models", "register", "extra", "--provider-id", "vllm")
    assert write.exit_code == 2
    assert "2 stacks are registered; say which with --stack" in write.stderr
    assert "stackctl stacks use NAME" in write.stderr
    assert cli("models", "unregister", "vllm/alpha-model").exit_code == 2


def test_stacks_use_selects_the_stack_commands_act_on(cli, two_stacks) -> None:
    ok(cli("stacks", "use", "beta"))
    assert [r["identifier"] for r in data(cli("models", "list", "-o", "json"))] == ["vllm/beta-model"]
    ok(cli("models", "register", "extra", "--provider-id", "vllm"))
    assert {r["identifier"] for r in data(cli("models", "list", "--stack", "beta", "-o", "json"))} == {
        "vllm/beta-model",
        "vllm/extra",
    }
    stacks = {r["name"]: r["current"] for r in data(cli("stacks", "list", "-o", "json"))}
    assert stacks == {"alpha": False, "beta": True}
    # --stack and STACKCTL_STACK win over the selection
    assert [r["stack"] for r in data(cli("models", "list", "--stack", "alpha", "-o", "json"))] == ["alpha"]
    from_env = data(cli("models", "list", "-o", "json", env={"STACKCTL_STACK": "alpha"}))
    assert [r["stack"] for r in from_env] == ["alpha"]
    ok(cli("stacks", "use", "--none"))
    assert len(data(cli("models", "list", "-o", "json"))) == 3


def test_stacks_use_of_an_unknown_stack_is_not_found_and_selects_nothing(cli, two_stacks) -> None:
    missing = cli("stacks", "use", "gamma")
    assert missing.exit_code == 4
    assert all(not r["current"] for r in data(cli("stacks", "list", "-o", "json")))
    assert cli("models", "list", env={"STACKCTL_STACK": "gamma"}).exit_code == 4
    assert cli("stacks", "use").exit_code == 2


def test_deleting_the_current_stack_selects_none(cli, two_stacks) -> None:
    ok(cli("stacks", "use", "alpha"))
    ok(cli("stacks", "delete", "alpha", "--yes"))
    # beta is now the only stack, so it is the default again
    assert [r["name"] for r in data(cli("stacks", "list", "-o", "json")) if r["current"]] == ["beta"]
