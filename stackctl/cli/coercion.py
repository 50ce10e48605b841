"""Parameter coercion for the common option types, without pydantic.

typer 0.29 coerces every parameter value through a pydantic `TypeAdapter`, built on first use: importing
pydantic and building the adapters costs about as much as importing typer, on every command that takes
an option. The values a CLI sees are almost always plain (a string, a decimal integer, a choice of an
enum, a list of strings), and for those the result is known without pydantic. `install` gives every
parameter a coercer that returns exactly what typer's adapter would for those values and hands every
other value (and every other type) to typer's own coercion, so results stay typer's. A value typer
refuses for an integer, float or choice is a usage error worded as click words it (`'abc' is not a valid
integer.`, `0 is not in the range 1<=x<=100.`), never in pydantic's words.

Relies on typer internals (`_TyperParameter.get_runtime_param`, `_runtime_param`, `build_runtime_param`,
`coerce_cli_choice`); the pin typer<0.30 keeps them stable and tests/cli/test_coercion.py compares the
results with typer's own for each kind of value.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, get_args, get_origin

from typer import BadParameter
from typer._coercion import TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_choice
from typer.core import _TyperParameter

_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_MISS = object()


class PlainCoercion:
    """A parameter's runtime coercion: plain values here, the rest through typer's adapter."""

    def __init__(self, descriptor: TypeDescriptor) -> None:
        self.descriptor = descriptor
        self.parameter_info = descriptor.parameter_info
        self.annotation = descriptor.annotation
        self._typer: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        annotation: Any = self.annotation
        if isinstance(value, list | tuple) and get_origin(annotation) is list:
            (item_type,) = get_args(annotation)
            items = [_plain(item_type, self.parameter_info, item, ctx) for item in value]
            if all(item is not _MISS for item in items):
                return items
        elif not isinstance(value, list | tuple):
            plain = _plain(self.annotation, self.parameter_info, value, ctx)
            if plain is not _MISS:
                return plain
        if self._typer is None:
            self._typer = build_runtime_param(self.descriptor)
        try:
            return self._typer.coerce(value, param=param, ctx=ctx)
        except BadParameter as exc:
            message = _click_wording(self.annotation, self.parameter_info, value)
            if message is None:
                raise
            raise BadParameter(message, ctx=exc.ctx, param=exc.param) from None


def _click_wording(annotation: Any, info: Any, value: Any) -> str | None:
    """click's message for a refused integer, float or choice (the first refused one of a list)."""
    if isinstance(value, list | tuple) and get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        found = (_click_wording(item_type, info, item) for item in value)
        return next((message for message in found if message), None)
    if annotation is int or annotation is float:
        return _number_wording(annotation, info, value)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        names = [str(choice.value) for choice in annotation]
        given = str(value.value if isinstance(value, Enum) else value)
        folded = given if info.case_sensitive else given.lower()
        if folded in (names if info.case_sensitive else [n.lower() for n in names]):
            return None
        return f"{given!r} is not {'one of ' if len(names) > 1 else ''}{', '.join(map(repr, names))}."
    return None


def _number_wording(annotation: type, info: Any, value: Any) -> str | None:
    kind = "integer" if annotation is int else "float"
    try:
        number = annotation(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return f"{value!r} is not a valid {kind}."
    low, high = info.min, info.max
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = (
            f"{low}<=x<={high}"
            if low is not None and high is not None
            else f"x>={low}"
            if low is not None
            else f"x<={high}"
        )
        return f"{number} is not in the range {bounds}."
    return None


def _plain(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    """What typer's adapter returns for a plain value of `annotation`, or _MISS when it is not plain."""
    plain: Any = _MISS
    if info.parser is not None:
        pass
    elif annotation is str:
        plain = value if isinstance(value, str) else _MISS
    elif annotation is int and info.clamp is not True:
        plain = _integer(value)
        below = plain is not _MISS and info.min is not None and plain < info.min
        if below or (plain is not _MISS and info.max is not None and plain > info.max):
            plain = _MISS  # out of range: typer's path reports it
    elif isinstance(annotation, type) and issubclass(annotation, Enum) and isinstance(value, str | Enum):
        choices = list(annotation)
        try:
            plain = coerce_cli_choice(value, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx)
        except ValueError:
            plain = _MISS  # not a choice: typer's path reports it
    return plain


def _integer(value: Any) -> Any:
    if type(value) is int:
        return value
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value)
    return _MISS


def install() -> None:
    """Make every typer parameter (help options included) start with a PlainCoercion. Idempotent."""
    if getattr(_TyperParameter.get_runtime_param, "plain", False):
        return
    typer_get_runtime_param = _TyperParameter.get_runtime_param

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None and self.type_descriptor.file_annotation is None:
            self._runtime_param = PlainCoercion(self.type_descriptor)
        return typer_get_runtime_param(self)

    get_runtime_param.plain = True  # type: ignore[attr-defined]
    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
