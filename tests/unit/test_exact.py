"""The pydantic-free validators (config/exact.py, catalogue/conform.py) answer only when certain, as pydantic.

Two properties, over documents that mix well-typed values with arbitrary ones:
- whenever it accepts a run config, pydantic accepts it too and dumps the very same JSON, key order included;
- whenever it says a provider config conforms, the provider's pydantic model finds no violation.
And it must accept well-typed input, or the render path would pay for pydantic after all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stackctl.catalogue.conform import config_conforms
from stackctl.catalogue.load import load_catalogue
from stackctl.catalogue.schema import build_model, violations
from stackctl.catalogue.spec import ConfigField, ProviderSpec
from stackctl.catalogue.stack import catalogue_for
from stackctl.config import exact
from stackctl.config.layout import normalize_layout
from stackctl.config.substitute import substitute_config
from stackctl.distros.templates import read_template, template_info, template_names
from stackctl.models import table as table_module
from stackctl.models.runconfig import RunConfig
from stackctl.models.table import TABLE_PATH, build_table, table_text

TABLE = build_table()
CATALOGUE = load_catalogue()
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
WILD_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["8321", "true", "1.5", "a,b", ""])
    | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5) | st.integers(0, 3), inner, max_size=3)
    ),
    max_leaves=8,
)


DEEP: list[Any] = []
for _ in range(300):
    DEEP = [DEEP]
CYCLE: list[Any] = []
CYCLE.append(CYCLE)


def pydantic_dump(doc: Any) -> dict[str, Any] | None:
    try:
        return RunConfig.model_validate(doc).model_dump(mode="json", exclude_unset=True)
    except ValidationError:
        return None


def typed(declared: list[Any], wild: bool) -> st.SearchStrategy[Any]:
    """Values of a table type; with `wild`, any value may also be arbitrary instead."""
    kind = declared[0]
    strategy: st.SearchStrategy[Any]
    if kind == "str":
        strategy = st.text(max_size=8)
    elif kind == "int":
        strategy = st.integers(min_value=-(2**62), max_value=2**62)
    elif kind == "any":
        strategy = JSON_VALUES
    elif kind == "optional":
        strategy = st.none() | typed(declared[1], wild)
    elif kind == "list":
        strategy = st.lists(typed(declared[1], wild), max_size=3)
    elif kind == "dict":
        strategy = st.dictionaries(st.text(max_size=5), typed(declared[1], wild), max_size=3)
    else:
        assert kind == "model", declared
        strategy = model_documents(declared[1], wild)
    return st.one_of(strategy, strategy, strategy, WILD_VALUES) if wild else strategy


@st.composite
def _model_document(draw: st.DrawFn, name: str, wild: bool) -> dict[str, Any]:
    model = TABLE["models"][name]
    doc: dict[str, Any] = {}
    for field_name, field in model["fields"].items():
        present = field["required"] and not (wild and draw(st.integers(0, 9)) == 0)
        if present or draw(st.booleans()):
            doc[field_name] = draw(typed(field["type"], wild))
    if model["extra"] == "allow" or wild:
        doc.update(
            draw(st.dictionaries(st.sampled_from(["extra", "image_nam", "x_y"]), JSON_VALUES, max_size=2))
        )
    return doc


def model_documents(name: str, wild: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.deferred(lambda: _model_document(name, wild))


def test_table_is_in_step_with_the_models() -> None:
    assert TABLE_PATH.read_text(encoding="utf-8") == table_text(), "run python -m stackctl.models.table"
    assert table_module.main(["--check"]) == 0


def test_table_check_fails_on_a_stale_file_until_it_is_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "runconfig_table.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(table_module, "TABLE_PATH", stale)
    assert table_module.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert table_module.main([]) == 0
    assert table_module.main(["--check"]) == 0
    assert json.loads(stale.read_text()) == TABLE


@PROPERTY
@given(model_documents(TABLE["root"], wild=True))
def test_an_accepted_document_dumps_exactly_as_pydantic_does(doc: dict[str, Any]) -> None:
    fast = exact.dump_run_config(doc)
    if fast is not None:
        slow = pydantic_dump(doc)
        assert slow is not None, doc
        assert json.dumps(fast) == json.dumps(slow)


@PROPERTY
@given(model_documents(TABLE["root"], wild=False))
def test_every_well_typed_document_is_accepted(doc: dict[str, Any]) -> None:
    fast = exact.dump_run_config(doc)
    assert fast is not None, doc
    assert json.dumps(fast) == json.dumps(pydantic_dump(doc))


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        (
            {"image_name": "s", "providers": {}, "server": {"port": "8321"}},
            "a string where an int is declared",
        ),
        ({"image_name": "s", "providers": {}, "version": True}, "a bool where an int is declared"),
        ({"image_name": "s", "providers": {}, "logging": {"at": float("inf")}}, "a float JSON cannot hold"),
        ({"image_name": "s", "providers": {}, "telemetry": {1: "a"}}, "a key that is not a string"),
        ({"image_name": "s", "providers": {}, "imagename": "x"}, "an unknown top-level key"),
        ({"providers": {}}, "a missing required key"),
        ({"image_name": "s", "providers": {}, "logging": {"\ud800": 1}}, "a key UTF-8 cannot hold"),
        ({"image_name": "s\udc80", "providers": {}}, "a value UTF-8 cannot hold"),
        ({"image_name": "s", "providers": {}, "logging": {"k": DEEP}}, "nesting past the depth bound"),
        ({"image_name": "s", "providers": {}, "logging": {"k": CYCLE}}, "a value that contains itself"),
        ({"image_name": 10**5000, "providers": {}}, "an int too long to write as text"),
    ],
)
def test_anything_not_certain_is_left_to_pydantic(doc: dict[str, Any], why: str) -> None:
    assert exact.dump_run_config(doc) is None, why


def test_before_rules_apply_as_in_the_models() -> None:
    entry = {"provider_id": "a", "provider_type": "t", "config": None}
    doc = {"image_name": 2024, "shields": None, "providers": {"inference": [entry]}}
    fast = exact.dump_run_config(doc)
    assert fast == {
        "image_name": "2024",
        "providers": {"inference": [{"provider_id": "a", "provider_type": "t", "config": {}}]},
        "shields": [],
    }
    assert json.dumps(fast) == json.dumps(pydantic_dump(doc))


@pytest.mark.parametrize("name", template_names())
def test_every_shipped_template_takes_the_fast_path(name: str, tmp_path: Path) -> None:
    text, source = read_template(name)
    env = dict.fromkeys(template_info(name)["required_env"], "dummy-value")
    schemas = catalogue_for({})
    doc = normalize_layout(substitute_config(text, source, env, home=str(tmp_path), schemas=schemas))
    fast = exact.dump_run_config(doc)
    assert fast is not None
    assert json.dumps(fast) == json.dumps(pydantic_dump(doc))
    for api, entries in fast["providers"].items():
        for entry in (e for e in entries if e["provider_id"] is not None):  # disabled ones stay unexpanded
            spec = CATALOGUE.get(api, entry["provider_type"])
            assert config_conforms(spec, entry.get("config")), (api, entry)


# --- provider configs ---------------------------------------------------------------------------------------


def field_values(field: ConfigField) -> st.SearchStrategy[Any]:
    scalars: dict[str, st.SearchStrategy[Any]] = {
        "str": st.text(max_size=8),
        "int": st.integers(min_value=-(2**62), max_value=2**62),
        "float": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53),
        "bool": st.booleans(),
        "dict": st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=3),
        "any": JSON_VALUES,
    }
    if field.kind == "list":
        items = st.lists(scalars[field.items or "any"], max_size=3)
        values = items | st.text(max_size=8) if field.items == "str" else items
    else:
        values = st.one_of(*(scalars[kind] for kind in field.kinds))  # a union such as bool|str
    return values if field.required else st.none() | values


@st.composite
def provider_configs(draw: st.DrawFn, wild: bool) -> tuple[ProviderSpec, dict[str, Any]]:
    spec = draw(st.sampled_from(CATALOGUE.providers))
    config: dict[str, Any] = {}
    for field in spec.fields:
        if field.required or draw(st.booleans()):
            config[field.name] = draw(field_values(field) | WILD_VALUES if wild else field_values(field))
    if wild and draw(st.integers(0, 4)) == 0:
        config[draw(st.sampled_from(["urll", "api_kye", "extra"]))] = draw(JSON_VALUES)
    if wild and spec.fields and draw(st.integers(0, 4)) == 0:
        config.pop(spec.fields[0].name, None)
    return spec, config


@PROPERTY
@given(provider_configs(wild=True))
def test_a_conforming_provider_config_has_no_violation(case: tuple[ProviderSpec, dict[str, Any]]) -> None:
    spec, config = case
    if config_conforms(spec, config):
        assert violations(spec, build_model(spec), config) == [], (spec.key, config)


@PROPERTY
@given(provider_configs(wild=False))
def test_every_well_typed_provider_config_conforms(case: tuple[ProviderSpec, dict[str, Any]]) -> None:
    spec, config = case
    assert config_conforms(spec, config), (spec.key, config)
    assert violations(spec, build_model(spec), config) == []


def test_a_config_pydantic_would_coerce_is_still_valid_through_the_fallback() -> None:
    config = {"url": "http://127.0.0.1:8000/v1", "max_tokens": "4096"}
    spec = CATALOGUE.get("inference", "remote::vllm")
    assert not config_conforms(spec, config)
    assert CATALOGUE.validate_config("remote::vllm", config, api="inference") == []
