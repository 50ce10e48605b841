"""YAML reading and writing with PyYAML's C loader/dumper when present, and guards against hostile input.

Invariants: `load_yaml` never raises anything but `ConfigError`; documents nested deeper than `MAX_DEPTH` or
expanding (through aliases) past `MAX_NODES` are refused before any work on them. Bytes are bounded by whoever
reads them (`files.read_bounded`, with the cap the user set), not again here.
The node count (keys, values and items alike) is checked while the parser composes the tree: a document
with too many nodes is refused at node MAX_NODES + 1, before the rest is composed or any of it constructed.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import yaml

from stackctl.errors import ConfigError
from stackctl.heap import gc_paused

try:
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 200
MAX_NODES = 2_000_000


T = TypeVar("T")


class _TooManyNodes(Exception):
    pass


class _CountingLoader(_Loader):
    """The safe loader with a node count: the composer calls `descend_resolver` once for every node it
    composes (a mapping key, a value, a list item, tagged or not; an alias is not a new node), before the
    node exists, so the count is checked while composing."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.composed_nodes = 0

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        self.composed_nodes += 1
        if self.composed_nodes > MAX_NODES:
            raise _TooManyNodes
        super().descend_resolver(current_node, current_index)


def plain_copy(value: T) -> T:
    """A copy of a parsed document's mappings and lists (scalars are immutable and shared)."""

    def copy(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: copy(item) for key, item in node.items()}
        if isinstance(node, list):
            return [copy(item) for item in node]
        return node

    with gc_paused():
        result: T = copy(value)
    return result


def _check_shape(root: Any, source: str) -> None:
    """Measure the document as if every alias were copied, without copying: refuse alias bombs, aliases
    inside themselves, and nesting deeper than MAX_DEPTH (flow or block style alike)."""
    measured: dict[int, tuple[int, int]] = {}  # id -> (expanded size, height)
    active: set[int] = set()  # entered and unfinished: the ancestors of what is being visited
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = [
            c for c in (node.values() if isinstance(node, dict) else node) if isinstance(c, dict | list)
        ]
        if not done:
            if key in active:
                raise ConfigError(
                    f"{source}: a YAML alias refers to a collection that contains it",
                    hint="an anchor (&name) cannot be used (*name) inside itself",
                    code="recursive_alias",
                )
            if key in measured:
                continue
            active.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        active.discard(key)
        size = 1 + len(node) + sum(measured[id(c)][0] for c in children)
        height = 1 + max((measured[id(c)][1] for c in children), default=0)
        if size > MAX_NODES:
            raise ConfigError(
                f"{source}: document too large once its aliases are expanded (more than {MAX_NODES:,} nodes)",
                hint="aliases (*name) that repeat large anchors multiply; write the document out plainly",
                code="document_too_large",
            )
        if height > MAX_DEPTH:
            raise ConfigError(
                f"{source}: document nested too deeply (more than {MAX_DEPTH} levels)",
                code="document_too_deep",
            )
        measured[key] = (size, height)


def load_yaml(text: str | bytes, source: str = "<input>") -> Any:
    """Parse one YAML document safely. Empty input gives None."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{source}: not UTF-8 text (byte {exc.start})", hint="is this a binary file?"
            ) from None
    if "\x00" in text:
        raise ConfigError(
            f"{source}: contains NUL bytes; not a YAML text file", hint="is this a binary file?"
        )
    try:
        data = _construct(_composed(text))  # the safe loader, counting nodes as it composes
    except _TooManyNodes:
        raise ConfigError(
            f"{source}: document has too many nodes (more than {MAX_NODES:,} keys, values and items)",
            hint="split the document or trim it; a run config is far smaller",
            code="document_too_large",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError(f"{source}: invalid YAML{where}: {exc.problem}", code="invalid_yaml") from None
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}", code="invalid_yaml") from None
    if isinstance(data, dict | list):
        _check_shape(data, source)
    return data


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


@functools.lru_cache(maxsize=1)
def _composed(text: str) -> Any:
    with gc_paused():
        return yaml.compose(text, Loader=_CountingLoader)


def compose(text: str) -> Any:
    """The document's node tree (C parser, node count, GC paused), composed once per text: `load_yaml`
    builds its data from it, and the line map of errors and the duplicate-key check read it, so `register`
    parses a 100k-model file once. Callers must not change the nodes. Raises `yaml.YAMLError` (past
    `MAX_NODES` too) or `RecursionError`."""
    try:
        return _composed(text)
    except _TooManyNodes:
        raise yaml.YAMLError(f"more than {MAX_NODES} nodes") from None


def _construct(node: Any) -> Any:
    """The data of a composed document, as `yaml.load` builds it (the safe constructor)."""
    if node is None:
        return None
    loader = _CountingLoader("")
    try:
        with gc_paused():
            return loader.construct_document(node)
    finally:
        loader.dispose()


def scalar_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each path in a YAML document to its 1-based source line. Used only to annotate errors."""
    try:
        node = compose(text)
    except (yaml.YAMLError, RecursionError):
        return {}
    with gc_paused():  # one entry per path: 700k tuples for a 100k-model file
        return _lines_of(node)


def _lines_of(node: Any) -> dict[tuple[str | int, ...], int]:
    lines: dict[tuple[str | int, ...], int] = {}
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(node, ())] if node is not None else []
    seen: set[int] = set()
    while stack:
        current, path = stack.pop()
        lines.setdefault(path, current.start_mark.line + 1)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                stack.append((value_node, (*path, str(key_node.value))))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                stack.append((item, (*path, index)))
    return lines
