"""The one output module: table, wide, json and yaml for every command.

stdout carries data only; notices and warnings go to stderr through `notice`/`warn`. JSON and YAML are the
data exactly. Tables are for people: times are relative (`3m ago`; `-o wide` gives the exact UTC time),
unicode is shown as text, JSON cells are compact, and control characters from the data are escaped
(`\\x1b`), never sent to the terminal. On a terminal (or with FORCE_COLOR) a table is drawn with rich to
the terminal's width: a cell that does not fit ends in an ellipsis, a row never wraps. Piped, it is plain
aligned text, complete. Colour only on a terminal (or with FORCE_COLOR), never with NO_COLOR. rich is
imported only when a table is drawn for a terminal, so that scripts start fast.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any

import typer

from stackctl.config.jsonable import json_compatible, json_key


class Format(str, Enum):
    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"

    @property
    def is_table(self) -> bool:
        """table or wide: the formats for people."""
        return self in (Format.table, Format.wide)


def _documents_only(value: Format) -> Format:
    """A command whose output is a document has no table: `-o table` is a usage error (exit 2)."""
    if value.is_table:
        raise typer.BadParameter(f"{value.value!r} is not one of 'yaml', 'json'.")
    return value


OUTPUT_HELP = "Output format: table, wide (exact times), json or yaml."
OutputOpt = Annotated[Format, typer.Option("--output", "-o", help=OUTPUT_HELP, case_sensitive=False)]
DocOutputOpt = Annotated[
    Format,
    typer.Option(
        "--output",
        "-o",
        help="Output format: yaml or json.",
        metavar="[yaml|json]",
        case_sensitive=False,
        callback=_documents_only,
    ),
]

Column = tuple[str, str]  # (header, key)
TIME_KEYS = frozenset({"created_at", "updated_at", "completed_at", "created", "applied_at"})
# C0 and C1 control characters, DEL, and the bidirectional overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_STREAM_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def visible(text: str) -> str:
    """A table cell's text with every control character shown as an escape (`\\x1b`, `\\n`)."""
    return _CONTROL.sub(_escape, text)


def visible_stream(text: str) -> str:
    """Streamed text for a terminal: newlines and tabs kept, every other control character escaped."""
    return _STREAM_CONTROL.sub(_escape, text)


def _env_set(name: str) -> bool:
    return bool(os.environ.get(name))


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def for_terminal(stream: Any) -> bool:
    """Whether output on `stream` is for a person at a terminal (or FORCE_COLOR says to treat it so)."""
    return _env_set("FORCE_COLOR") or _isatty(stream)


def use_color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR") is not None or os.environ.get("TERM") == "dumb":
        return False
    return for_terminal(stream)


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


def relative_time(epoch: float, now: float) -> str:
    """`3m ago`, as kubectl shows an age: seconds, minutes, hours (under two days), then days."""
    seconds = int(now - epoch)
    if seconds < 0:
        return "just now" if seconds > -60 else exact_time(epoch)
    for unit, size, below in (("s", 1, 60), ("m", 60, 3600), ("h", 3600, 172_800)):
        if seconds < below:
            return f"{seconds // size}{unit} ago"
    return f"{seconds // 86_400}d ago"


def exact_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _cell(value: Any, key: str = "", *, wide: bool = False, now: float = 0.0) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in TIME_KEYS and isinstance(value, int | float) and value > 0:
        return exact_time(value) if wide else relative_time(value, now)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return visible(", ".join(str(v) for v in value))
    if isinstance(value, dict | list):
        return visible(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    return visible(str(value))


def table_cells(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, wide: bool = False
) -> list[list[str]]:
    """Each row's cells as shown in a table (times relative unless `wide`, control characters escaped)."""
    now = time.time()
    return [[_cell(row.get(key), key, wide=wide, now=now) for _, key in columns] for row in rows]


def format_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, color: bool = False, wide: bool = False
) -> str:
    """Plain aligned text (kubectl style), every cell complete: for pipes and files."""
    headers = [header for header, _ in columns]
    cells = table_cells(rows, columns, wide=wide)
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
    width: int | None = None,
) -> str:
    """Render data. For table output a list needs `columns`; a mapping prints as FIELD/VALUE rows.

    `width` (a terminal's) draws the table with rich to fit it; without it the table is plain text.
    """
    plain = to_jsonable(data)
    if fmt is Format.json:
        return json.dumps(plain, indent=2, ensure_ascii=False) + "\n"
    if fmt is Format.yaml:
        from stackctl.config.yamlio import dump_yaml

        return dump_yaml(plain)
    wide = fmt is Format.wide
    rows: Any = plain
    if isinstance(plain, Mapping) and plain.get("object") == "list" and "data" in plain:
        rows = plain["data"]
    if isinstance(rows, Mapping):
        now = time.time()
        rows = [{"field": k, "value": _cell(v, k, wide=wide, now=now)} for k, v in rows.items()]
        columns = [("FIELD", "field"), ("VALUE", "value")]
    if columns is None:
        columns = [(k.upper(), k) for k in (rows[0].keys() if rows else [])]
    if not columns:
        return "\n"
    if width is not None:
        from stackctl.cli.tables import draw_table

        return draw_table(
            [h for h, _ in columns], table_cells(rows, columns, wide=wide), width=width, color=color
        )
    return format_table(rows, columns, color=color, wide=wide)


def has_more_notice(plain: Any) -> str | None:
    """The stderr line of a list page that is not the whole list: never a silent truncation."""
    if isinstance(plain, Mapping) and plain.get("object") == "list" and plain.get("has_more"):
        return f"showing {len(plain.get('data') or [])} of more; --all or --limit N"
    return None


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
    if not fmt.is_table:
        write_out(format_data(data, fmt))
        return
    plain = to_jsonable(data)
    width = terminal_width() if for_terminal(sys.stdout) else None
    write_out(format_data(plain, fmt, columns=columns, color=use_color(sys.stdout), width=width))
    more = has_more_notice(plain)
    if more:
        notice(more)


def terminal_width() -> int:
    import shutil

    return max(shutil.get_terminal_size().columns, 20)


def emit_stream_text(text: str) -> None:
    """Streamed model output: escaped for a terminal (shown, never executed), exact into a pipe or file."""
    write_out(visible_stream(text) if _isatty(sys.stdout) else text)


def emit_text(text: str) -> None:
    write_out(text if text.endswith("\n") or not text else text + "\n")


def notice(message: str) -> None:
    sys.stderr.write(message + "\n")


def warn(message: str) -> None:
    prefix = "\x1b[33mwarning:\x1b[0m" if use_color(sys.stderr) else "warning:"
    sys.stderr.write(f"{prefix} {message}\n")
