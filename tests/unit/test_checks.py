"""The checks a run config passes before it is registered (stackctl.registry.checks), without the CLI."""

from __future__ import annotations

from typing import Any

import pytest

from stackctl.catalogue.stack import catalogue_for
from stackctl.config.envsubst import Substituter
from stackctl.errors import ConfigError
from stackctl.registry.checks import prepare, validate_file

HEAD = "image_name: t\nproviders:\n  inference:\n  - provider_id: openai\n    provider_type: remote::openai\n"


def _file(api_key: str) -> str:
    return HEAD + f"    config:\n      api_key: {api_key}\n"


@pytest.mark.parametrize(
    "value",
    ["sk-live-123", "none", "12345", "'$${env.KEY}'", "'prefix'", "[a, b]", "{nested: text}"],
)
def test_literal_secrets_are_refused(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        prepare(_file(value), "run.yaml", {}, catalogue_for({}), home=None)
    assert info.value.code == "literal_secret"
    assert info.value.details[0].startswith("providers.inference[0].config.api_key (run.yaml:7)")


@pytest.mark.parametrize(
    "value",
    [
        "${env.KEY}",
        "${env.KEY:=none}",
        "${env.KEY:=}",
        "'Bearer ${env.KEY}'",
        "''",
        "null",
        "${env.A:+${env.B}}",
    ],
)
def test_references_and_empty_values_pass(value: str) -> None:
    prepared = prepare(_file(value), "run.yaml", {}, catalogue_for({}), home=None)
    assert prepared.stack is not None


def test_a_disabled_provider_is_not_checked() -> None:
    text = _file("sk-live").replace("provider_id: openai", "provider_id: ${env.USE_OPENAI:+openai}")
    assert prepare(text, "run.yaml", {}, catalogue_for({}), home=None).rendered is not None


def test_validate_file_collects_across_checks() -> None:
    text = _file("sk-live") + "image_name: again\n"
    report = validate_file(text, "run.yaml", {}, catalogue_for({}), home=None)
    assert not report.valid
    assert [(p.code, p.line) for p in report.problems] == [("literal_secret", 7), ("duplicate_key", 8)]
    wire: dict[str, Any] = report.to_wire()
    assert set(wire) == {"valid", "problems", "warnings"}


def test_substituter_defers_missing_variables_of_chosen_paths() -> None:
    substituter = Substituter(env={}, defer=lambda path: path[-1] == "api_key")
    doc = substituter.value({"api_key": "${env.KEY}", "url": "${env.URL}"}, ())
    assert doc["api_key"] == "${env.KEY}"  # kept as written: read at call time
    assert [m.name for m in substituter.deferred] == ["KEY"]
    assert [m.name for m in substituter.problems.missing] == ["URL"]
