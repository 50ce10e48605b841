"""`stackctl distro ...` and the shipped templates; every catalogue sample config renders and validates."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from stackctl.catalogue.load import load_catalogue
from stackctl.catalogue.stack import catalogue_for
from stackctl.config.pipeline import render_config
from stackctl.distros.adhoc import storage_block
from stackctl.distros.templates import template_info, template_names

EXPECTED = {
    "starter", "ollama", "fireworks", "together", "vllm", "openai", "postgres-demo",
    "meta-reference-gpu", "nvidia", "watsonx", "open-benchmark",
}  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable a template or sample could reference leaks in from the developer's shell."""
    for name in list(os.environ):
        if re.fullmatch(r"[A-Z0-9_]+", name) and name not in (
            "HOME",
            "PATH",
            "STACKCTL_DB",
            "STACKCTL_DATA_DIR",
            "NO_COLOR",
        ):
            monkeypatch.delenv(name)


def test_every_expected_distribution_ships() -> None:
    assert set(template_names()) >= EXPECTED


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_renders_and_validates_with_only_required_env(cli, name: str) -> None:  # type: ignore[no-untyped-def]
    info = template_info(name)
    args = [f"--env={var}=dummy-value" for var in info["required_env"]]
    result = cli("config", "validate", "--distro", name, *args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["image_name"] == name
    rendered = cli("distro", "render", name, *args)
    assert rendered.exit_code == 0, rendered.stderr


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if template_info(n)["required_env"]))
def test_template_without_its_required_env_fails(cli, name: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "render", "--distro", name)
    assert result.exit_code == 3
    assert template_info(name)["required_env"][0] in result.stderr
    # validate checks as register does: an unset secret variable is a warning (it is read at call time),
    # any other one an error; either way the variable is named.
    validated = cli("config", "validate", "--distro", name)
    assert all(var in validated.stderr for var in template_info(name)["required_env"])


@pytest.mark.usefixtures("clean_env")
def test_starter_needs_no_env(cli) -> None:  # type: ignore[no-untyped-def]
    assert template_info("starter")["required_env"] == []
    assert cli("distro", "render", "starter").exit_code == 0


def _required(spec) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from stackctl.config.envsubst import references

    return {ref.name: "dummy" for _, ref in references(dict(spec.sample)) if ref.op in (None, "?")}


@pytest.mark.parametrize("spec", load_catalogue().providers, ids=lambda s: f"{s.api}-{s.provider_type}")
def test_every_sample_config_renders_and_validates(spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With an empty env (plus only the variables the sample has no default for) the sample is valid."""
    import yaml

    doc = {
        "image_name": "sample",
        "providers": {
            spec.api: [
                {
                    "provider_id": "p",
                    "provider_type": spec.provider_type,
                    "config": spec.sample_config(tmp_path),
                }
            ]
        },
        # The backends the samples' store references name, as adhoc writes them.
        "storage": storage_block(str(tmp_path)),
    }
    rendered = render_config(
        yaml.safe_dump(doc), "sample", _required(spec), home=str(tmp_path), schemas=catalogue_for({})
    )
    assert rendered.document["providers"][spec.api][0]["provider_type"] == spec.provider_type


def test_list(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("distro", "list", "-o", "json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["object"] == "list"
    assert {row["name"] for row in body["data"]} >= EXPECTED
    assert all(row["description"] for row in body["data"])
    assert "starter" in cli("distro", "list").stdout


def test_show(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("distro", "show", "fireworks", "-o", "json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["required_env"] == ["FIREWORKS_API_KEY"]
    assert body["providers"]["inference"][0]["provider_type"] == "remote::fireworks"
    assert "remote::fireworks" in cli("distro", "show", "fireworks").stdout


@pytest.mark.parametrize("name", ["../../etc", "..", ".hidden", "a/b", "ollama\n"])
def test_show_rejects_path_names(cli, name: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    opened: list[str] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        opened.append(str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    result = cli("distro", "show", name)
    assert result.exit_code == 3
    assert "invalid distribution name" in result.stderr
    assert opened == []


def test_unknown_distro_is_not_found_with_suggestion(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("distro", "show", "firework")
    assert result.exit_code == 4
    assert "did you mean 'fireworks'" in result.stderr
    assert cli("distro", "render", "firework").exit_code == 4


def test_render_takes_config_render_options(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("distro", "render", "fireworks", "--env", "FIREWORKS_API_KEY=12345", "-o", "json")
    assert result.exit_code == 0, result.stderr
    config = json.loads(result.stdout)["providers"]["inference"][0]["config"]
    assert config["api_key"] == "********"
    shown = cli(
        "distro", "render", "fireworks", "-e", "FIREWORKS_API_KEY=12345", "-o", "json", "--show-secrets"
    )
    assert json.loads(shown.stdout)["providers"]["inference"][0]["config"]["api_key"] == "12345"
    missing = cli("distro", "render", "fireworks", env={"FIREWORKS_API_KEY": None})
    assert missing.exit_code == 3
