"""The one output module: table, json and yaml for every command.

stdout carries data only; notices and warnings go to stderr through `notice`/`warn`. Tables are plain
aligned text (kubectl style); colour is used only on a TTY without NO_COLOR.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any

import typer

from stackctl.config.jsonable import json_compatible, json_key


class Format(str, Enum):
    table = "table"
    json = "json"
    yaml = "yaml"


OUTPUT_HELP = "Output format: table, json or yaml."
OutputOpt = Annotated[Format, typer.Option("--output", "-o", help=OUTPUT_HELP, case_sensitive=False)]
DocOutputOpt = Annotated[
    Format, typer.Option("--output", "-o", help="Output format: yaml or json.", case_sensitive=False)
]

Column = tuple[str, str]  # (header, key)


def use_color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR") is not None or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def to_jsonable(data: Any) -> Any:
    """Turn pydantic models (and containers of them) into plain JSON-able data."""
    to_wire = getattr(data, "to_wire", None)
    if callable(to_wire):
        return to_wire()
    model_dump = getattr(data, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json")
    if isinstance(data, Mapping):
        return {json_key(k): to_jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [to_jsonable(v) for v in data]
    return json_compatible(data)  # dates, binary, sets and .nan from YAML, as JSON can hold them


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, color: bool = False) -> str:
    headers = [header for header, _ in columns]
    cells = [[_cell(row.get(key)) for _, key in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "   ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    head = line(headers)
    if color:
        head = f"\x1b[1m{head}\x1b[0m"
    return "\n".join([head, *(line(r) for r in cells)]) + "\n"


def format_data(
    data: Any,
    fmt: Format,
    *,
    columns: Sequence[Column] | None = None,
    color: bool = False,
) -> str:
    """Render data. For table output a list needs `columns`; a mapping prints as FIELD/VALUE rows."""
    plain = to_jsonable(data)
    if fmt is Format.json:
        return json.dumps(plain, indent=2, ensure_ascii=False) + "\n"
    if fmt is Format.yaml:
        from stackctl.config.yamlio import dump_yaml

        return dump_yaml(plain)
    rows: Any = plain
    if isinstance(plain, Mapping) and plain.get("object") == "list" and "data" in plain:
        rows = plain["data"]
    if isinstance(rows, Mapping):
        pairs = [{"field": k, "value": v} for k, v in rows.items()]
        return format_table(pairs, [("FIELD", "field"), ("VALUE", "value")], color=color)
    if columns is None:
        columns = [(k.upper(), k) for k in (rows[0].keys() if rows else [])]
    if not rows:
        return format_table([], columns, color=color) if columns else "\n"
    return format_table(rows, columns, color=color)


class ReaderGone(Exception):
    """Standard output's reader went away (`stackctl ... | head`): not an error, the command just ends.

    Raised instead of BrokenPipeError because typer turns that one into exit 1 before the boundary sees it.
    """


def write_out(text: str) -> None:
    """Write to standard output now; the only way commands print their results."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError as exc:
        raise ReaderGone from exc


def emit(data: Any, fmt: Format, *, columns: Sequence[Column] | None = None) -> None:
    write_out(format_data(data, fmt, columns=columns, color=use_color(sys.stdout)))


def emit_text(text: str) -> None:
    write_out(text if text.endswith("\n") or not text else text + "\n")


def notice(message: str) -> None:
    sys.stderr.write(message + "\n")


def warn(message: str) -> None:
    prefix = "\x1b[33mwarning:\x1b[0m" if use_color(sys.stderr) else "warning:"
    sys.stderr.write(f"{prefix} {message}\n")
