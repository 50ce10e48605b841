"""Plain coercion must give exactly what typer's pydantic adapters give, and defer to them otherwise."""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
import typer
from typer._coercion import build_runtime_param, resolve_type_descriptor
from typer.core import TyperCommand
from typer.models import OptionInfo

from stackctl.cli.coercion import PlainCoercion


class Colour(str, Enum):
    red = "red"
    green = "green"


class _Param:
    multiple = False
    nargs = 1


CASES: list[tuple[Any, dict[str, Any], Any]] = [
    (str, {}, "text"),
    (str, {}, ""),
    (int, {}, "20"),
    (int, {}, "-3"),
    (int, {}, "0"),
    (int, {}, 7),
    (int, {}, "007"),
    (int, {}, " 3"),
    (int, {"min": 0, "max": 10}, "10"),
    (int, {"min": 0, "max": 10}, "11"),
    (int, {"min": 0, "max": 10, "clamp": True}, "11"),
    (Colour, {"case_sensitive": False}, "RED"),
    (Colour, {}, "green"),
    (Colour, {}, Colour.red),
    (Colour, {}, "blue"),
    (list[str], {}, ("a", "b")),
    (list[int], {}, ("1", "x")),
    (bool, {}, None),
]


def _outcome(coercer: Any, value: Any) -> Any:
    ctx = typer.Context(TyperCommand("probe"))
    try:
        return ("ok", coercer.coerce(value, param=_Param(), ctx=ctx))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


# Values typer refuses: the same refusal (BadParameter), in click's words instead of pydantic's.
CLICK_WORDING = {
    (int, "11"): "11 is not in the range 0<=x<=10.",
    (Colour, "blue"): "'blue' is not one of 'red', 'green'.",
    (list[int], ("1", "x")): "'x' is not a valid integer.",
}


@pytest.mark.parametrize(("annotation", "options", "value"), CASES)
def test_plain_coercion_matches_typer(annotation: Any, options: dict[str, Any], value: Any) -> None:
    descriptor = resolve_type_descriptor(annotation, OptionInfo(**options))
    expected = _outcome(build_runtime_param(descriptor), value)
    got = _outcome(PlainCoercion(descriptor), value)
    if expected[0] == "error" and (annotation, value) in CLICK_WORDING:
        expected = ("error", "BadParameter", CLICK_WORDING[annotation, value])
    assert got == expected
    assert type(got[1]) is type(expected[1])


@pytest.mark.parametrize(
    ("annotation", "options", "value", "message"),
    [
        (int, {}, "abc", "'abc' is not a valid integer."),
        (int, {"min": 1, "max": 100}, "0", "0 is not in the range 1<=x<=100."),
        (int, {"min": 1}, "-5", "-5 is not in the range x>=1."),
        (float, {}, "warm", "'warm' is not a valid float."),
    ],
)
def test_refusals_are_worded_as_click_words_them(
    annotation: Any, options: dict[str, Any], value: Any, message: str
) -> None:
    descriptor = resolve_type_descriptor(annotation, OptionInfo(**options))
    assert _outcome(PlainCoercion(descriptor), value) == ("error", "BadParameter", message)
