"""YAML values JSON cannot hold are converted, once, the same way for the registry and for output."""

from __future__ import annotations

import datetime
import json

from stackctl.config.jsonable import json_compatible
from stackctl.config.yamlio import load_yaml


def test_yaml_only_values_become_json() -> None:
    doc = load_yaml(
        "when: 2024-01-01\nat: 2024-01-01 10:00:00\nblob: !!binary aGk=\nodd: .nan\nbig: -.inf\n"
        "1: one\nfalse: off\n~: nothing\nset: !!set {b, a}\nlist: [2024-02-02, 1.5]\n"
    )
    out = json_compatible(doc)
    assert out == {
        "when": "2024-01-01",
        "at": "2024-01-01T10:00:00",
        "blob": "aGk=",
        "odd": None,
        "big": None,
        "1": "one",
        "false": False,
        "null": "nothing",
        "set": ["a", "b"],
        "list": ["2024-02-02", 1.5],
    }
    assert json.loads(json.dumps(out, sort_keys=True, allow_nan=False)) == out


def test_json_values_pass_unchanged() -> None:
    doc = {"a": [1, 2.5, "x", None, True, {"b": {}}]}
    assert json_compatible(doc) == doc
    assert json_compatible(datetime.date(2020, 1, 2)) == "2020-01-02"
