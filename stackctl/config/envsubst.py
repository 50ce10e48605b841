"""`${env.*}` substitution: parsing, evaluation and coercion. Pure: the environment and home directory are
arguments.

Grammar (a superset of llama-stack's, stricter about typos):
    ${env.NAME}            required; unset or empty is an error
    ${env.NAME:=default}   default when unset or empty; `${env.NAME:=}` gives null
    ${env.NAME:+alt}       alt when set and non-empty, else null
    ${env.NAME:?message}   required, with a custom message
    $${env.NAME}           the literal text `${env.NAME}`
NAME is `[A-Z0-9_]+`. Defaults and alternatives may hold references, expanded only when used. Anything that
starts with `${env.` but breaks the grammar is a `SyntaxProblem`; nothing is kept literally by accident.

Coercion runs only when a substitution took place, on the whole resulting string, unless the field's type
is known (`kind`): then that type decides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Union

from stackctl.config.docpath import DocPath
from stackctl.config.secrets import is_secret_variable

_NAME = re.compile(r"[A-Z0-9_]+")
_TOP = re.compile(r"\$?\$\{env\.")
_BODY = re.compile(r"\$?\$\{env\.|[{}]")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# One reference whose body holds no `$`, `{` or `}`: the common case, matched without the general parser.
_SIMPLE = re.compile(r"\$\{env\.([A-Z0-9_]+)(?::([=+?])([^${}]*))?\}")
# Nested defaults are parsed and evaluated recursively; this keeps hostile input far from the recursion limit.
MAX_NESTING = 64
_ESCAPE = "$${env."
_OPEN = "${env."


@dataclass(frozen=True)
class Ref:
    name: str
    op: str | None  # None, "=", "+", "?"
    body: tuple[Node, ...]
    raw: str


Node = Union[str, Ref]  # noqa: UP007 - a runtime alias used in a forward reference


class SyntaxProblem(Exception):
    """A malformed reference. `hint` suggests the intended form."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Missing:
    """A required variable that is unset or empty."""

    path: DocPath
    name: str
    message: str | None = None


@dataclass
class Problems:
    missing: list[Missing] = field(default_factory=list)
    syntax: list[tuple[DocPath, SyntaxProblem]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.syntax)


def _closing(text: str, pos: int) -> int:
    end = text.find("}", pos)
    return len(text) if end < 0 else end + 1


def _bad_reference(text: str, start: int, name: str, after: int) -> SyntaxProblem:
    raw = text[start : _closing(text, after)]
    rest = text[after:]
    shown = name or "NAME"
    if rest.startswith(":-") or rest.startswith("="):
        value = rest[2 if rest.startswith(":-") else 1 :].split("}", 1)[0]
        return SyntaxProblem(
            f"unsupported operator in '{raw}'", hint=f"use ${{env.{shown}:={value}}} for a default"
        )
    if rest.startswith(":}"):
        return SyntaxProblem(
            f"empty operator in '{raw}'",
            hint=f"use ${{env.{shown}:=}} for an empty default, or ${{env.{shown}}} to require it",
        )
    if rest.startswith(":"):
        return SyntaxProblem(
            f"unknown operator in '{raw}'", hint="operators are :=default, :+alt and :?message"
        )
    if not name and (not rest or rest[0] == "}"):
        return SyntaxProblem(f"missing variable name in '{raw}'", hint="write ${env.NAME}")
    if "}" not in rest:
        return SyntaxProblem(f"unclosed reference '{raw}'", hint="close it with '}'")
    candidate = re.split(r"[:}]", text[start + len(_OPEN) :], maxsplit=1)[0]
    suggestion = re.sub(r"[^A-Z0-9_]", "_", candidate.upper())
    return SyntaxProblem(
        f"invalid variable name '{candidate}' in '{raw}': names use only A-Z, 0-9 and _",
        hint=f"use ${{env.{suggestion}}}" if suggestion else None,
    )


def _parse_ref(text: str, start: int, nesting: int) -> tuple[Ref, int]:
    simple = _SIMPLE.match(text, start)
    if simple is not None:
        name, op, body = simple.groups()
        return Ref(name, op, (body,) if body else (), simple.group()), simple.end()
    pos = start + len(_OPEN)
    match = _NAME.match(text, pos)
    name = match.group() if match else ""
    after = match.end() if match else pos
    if name and text.startswith("}", after):
        return Ref(name, None, (), text[start : after + 1]), after + 1
    if name and text[after : after + 2] in (":=", ":+", ":?"):
        if nesting >= MAX_NESTING:
            raise SyntaxProblem(
                f"references nested more than {MAX_NESTING} levels deep", hint="flatten the chain of defaults"
            )
        body, end = _parse_seq(text, after + 2, top=False, nesting=nesting + 1)
        if end >= len(text):
            raise SyntaxProblem(f"unclosed reference '{text[start:]}'", hint="close it with '}'")
        return Ref(name, text[after + 1], body, text[start : end + 1]), end + 1
    raise _bad_reference(text, start, name, after)


def _parse_seq(text: str, pos: int, *, top: bool, nesting: int = 0) -> tuple[tuple[Node, ...], int]:
    """Parse text and references from pos; in a body, stop at the first unbalanced `}` (returned as end)."""
    parts: list[Node] = []
    buf: list[str] = []
    depth = 0
    pattern = _TOP if top else _BODY
    while True:
        match = pattern.search(text, pos)
        if match is None:
            buf.append(text[pos:])
            pos = len(text)
            break
        token = match.group()
        buf.append(text[pos : match.start()])
        if token == _ESCAPE:
            buf.append(_OPEN)
            pos = match.end()
        elif token == _OPEN:
            literal = "".join(buf)
            if literal:  # no empty text nodes between adjacent references
                parts.append(literal)
            buf = []
            ref, pos = _parse_ref(text, match.start(), nesting)
            parts.append(ref)
        elif token == "{":  # noqa: S105 - a brace, not a password
            depth += 1
            buf.append(token)
            pos = match.end()
        elif depth:  # "}"
            depth -= 1
            buf.append(token)
            pos = match.end()
        else:
            pos = match.start()
            break
    literal = "".join(buf)
    if literal:
        parts.append(literal)
    return tuple(parts), pos


@lru_cache(maxsize=8192)
def parse(text: str) -> tuple[Node, ...]:
    """Split a string into literal text and references. Raises SyntaxProblem."""
    nodes, _ = _parse_seq(text, 0, top=True)
    return nodes


def _expand_home(value: str, home: str | None) -> str:
    if home and (value == "~" or value.startswith("~/")):
        return home + value[1:]
    return value


def _evaluate(
    nodes: tuple[Node, ...],
    env: Mapping[str, str],
    home: str | None,
    missing: list[tuple[str, str | None]],
    read: list[tuple[str, str]] | None = None,
) -> str:
    """The text of parsed nodes. `read` collects (name, value) of every variable whose value was used."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            continue
        value = env.get(node.name) or None  # empty counts as unset
        if node.op is None or node.op == "?":
            if value is None:
                message = "".join(n if isinstance(n, str) else n.raw for n in node.body) or None
                missing.append((node.name, message))
                continue
            if read is not None:
                read.append((node.name, value))
            out.append(_expand_home(value, home))
        elif node.op == "=":
            if value is not None and read is not None:
                read.append((node.name, value))
            chosen = value if value is not None else _evaluate(node.body, env, home, missing, read)
            out.append(_expand_home(chosen, home))
        elif value is not None:  # "+"
            out.append(_expand_home(_evaluate(node.body, env, home, missing, read), home))
    return "".join(out)


def coerce(text: str, kind: str | None = None) -> Any:
    """Turn a substituted string into a typed value. `kind` (a field's declared type) wins when known."""
    if text == "":
        return None
    if kind == "str":
        return text
    lowered = text.lower()
    if kind in (None, "bool") and lowered in ("true", "false"):
        return lowered == "true"
    if kind in (None, "int", "float") and _INT.fullmatch(text):
        try:
            return _finite(float(text), text) if kind == "float" else int(text)
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits): keep the text
            pass
    elif kind in (None, "float") and _FLOAT.fullmatch(text) and not _leading_zero(text):
        return _finite(float(text), text)
    return text


def _finite(number: float, text: str) -> float | str:
    """The number, unless the text overflows to infinity (`1e400`): coercion never invents a value."""
    return number if math.isfinite(number) else text


_TYPE_KINDS = {bool: ("bool",), int: ("int", "float"), float: ("float",)}


def coerce_kind(text: str, kind: str | None) -> Any:
    """`coerce`, also for a union kind such as `bool|str` (members joined with `|`)."""
    if kind is not None and "|" in kind:
        return _coerce_union(text, kind.split("|"))
    return coerce(text, kind)


def _coerce_union(text: str, members: list[str]) -> Any:
    """A union kind (`bool|str`): the default rule's value when the union has its type, else the first member
    that takes the text (`str` takes any)."""
    value = coerce(text)
    if any(kind in members for kind in _TYPE_KINDS.get(type(value), ("str",))):
        return float(value) if type(value) is int and "int" not in members else value
    if "str" in members:
        return text
    for kind in members:
        typed = coerce(text, kind)
        if not isinstance(typed, str):
            return typed
    return text


def _leading_zero(text: str) -> bool:
    digits = text.lstrip("+-")
    return len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()


KindFn = Callable[[DocPath], "str | None"]


@dataclass
class Substituter:
    """Expands every string in a document. Collects problems instead of stopping at the first."""

    env: Mapping[str, str]
    home: str | None = None
    kind_of: KindFn | None = None
    problems: Problems = field(default_factory=Problems)
    # The lists that lost `__disabled__` elements, by source path: the source index of each element kept
    # (see `stackctl.config.origins`), and the source path of each element dropped.
    kept: dict[DocPath, tuple[int, ...]] = field(default_factory=dict)
    dropped: list[DocPath] = field(default_factory=list)
    # Paths whose missing variables are not problems now (secret fields, read at call time): the string
    # keeps its reference text and the variables are listed in `deferred`.
    defer: Callable[[DocPath], bool] | None = None
    deferred: list[Missing] = field(default_factory=list)
    # Secret values read (see `stackctl.config.secrets.is_secret_variable`): the value of every variable
    # used in a field `secret_path` calls secret, or whose name looks secret. Masked wherever they land.
    secret_path: Callable[[DocPath], bool] | None = None
    secret_values: set[str] = field(default_factory=set)

    def _note(self, name: str, value: str, path: DocPath) -> None:
        if value in self.secret_values:
            return
        if is_secret_variable(name) or (self.secret_path is not None and self.secret_path(path)):
            self.secret_values.add(value)

    def string(self, text: str, path: DocPath) -> Any:
        if "${" not in text:
            return text
        before = len(self.problems.missing)
        value = self._string(text, path)
        if len(self.problems.missing) > before and self.defer is not None and self.defer(path):
            self.deferred.extend(self.problems.missing[before:])
            del self.problems.missing[before:]
            return text
        return value

    def _string(self, text: str, path: DocPath) -> Any:
        whole = _SIMPLE.fullmatch(text)
        if whole is not None:  # the common case: the string is one plain reference
            return self._typed(self._simple(whole, path), path)
        try:
            nodes = parse(text)
        except SyntaxProblem as exc:
            self.problems.syntax.append((path, exc))
            return text
        if all(isinstance(n, str) for n in nodes):  # only escapes
            return "".join(nodes)  # type: ignore[arg-type]
        missing: list[tuple[str, str | None]] = []
        read: list[tuple[str, str]] = []
        result = _evaluate(nodes, self.env, self.home, missing, read)
        for name, used in read:
            self._note(name, used, path)
        for name, message in missing:
            self.problems.missing.append(Missing(path, name, message))
        return self._typed(result, path)

    def _simple(self, match: re.Match[str], path: DocPath) -> str:
        """Evaluate a reference whose default or alternative holds no reference (as `_evaluate` would)."""
        name, op, body = match.groups()
        value = self.env.get(name) or None
        if op is None or op == "?":
            if value is None:
                self.problems.missing.append(Missing(path, name, body or None))
                return ""
            chosen = value
            self._note(name, value, path)
        elif op == "=":
            chosen = value if value is not None else body
            if value is not None:
                self._note(name, value, path)
        else:
            chosen = body if value is not None else ""
        return _expand_home(chosen, self.home)

    def _typed(self, result: str, path: DocPath) -> Any:
        # The field's kind matters only where the default rule would change the type, so it is looked up
        # only then.
        value = coerce(result)
        if isinstance(value, str) or value is None or self.kind_of is None:
            return value
        return coerce_kind(result, self.kind_of(path))

    def value(self, value: Any, path: DocPath) -> Any:
        if isinstance(value, str):
            return self.string(value, path)
        if isinstance(value, dict):
            return {k: self.value(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return self.sequence(value, path)
        return value

    def _problem_count(self) -> int:
        return len(self.problems.missing) + len(self.problems.syntax)

    def sequence(self, items: list[Any], path: DocPath) -> list[Any]:
        """Expand a list. Mappings whose provider_id resolves to `__disabled__` are dropped unexpanded (and
        recorded in `kept` and `dropped`). In a provider list (`providers.API`) those whose provider_id
        resolves to null stay, with the rest of the mapping unexpanded; anywhere else (resources) they are
        expanded where their variables are set and kept as written where not."""
        out: list[Any] = []
        dropped: list[int] = []
        keep_unexpanded = is_provider_list(path)
        for index, item in enumerate(items):
            if isinstance(item, dict) and "provider_id" in item:
                expanded = self._entry(item, (*path, index), keep_unexpanded)
                if expanded is None:
                    dropped.append(index)
                    self.dropped.append((*path, index))
                else:
                    out.append(expanded)
            else:
                out.append(self.value(item, (*path, index)))
        if dropped:
            gone = set(dropped)
            self.kept[path] = tuple(i for i in range(len(items)) if i not in gone)
        return out

    def _entry(self, item: dict[Any, Any], path: DocPath, keep_unexpanded: bool) -> dict[Any, Any] | None:
        """A list element with a provider_id, expanded; None when its provider_id is `__disabled__`."""
        known = self._problem_count()
        provider_id = self.value(item["provider_id"], (*path, "provider_id"))
        if provider_id == "__disabled__":
            return None
        # An id that failed to resolve does not disable the entry: expand the rest too, so that one run
        # reports every problem.
        if provider_id is None and self._problem_count() == known:
            if keep_unexpanded:
                self._note_unexpanded(item, path)
                return {**item, "provider_id": None}
            # A resource of a disabled provider is skipped, never fails: each field is expanded where it
            # can be (so its id reads as registered, or resolves to null and drops it) and kept as written
            # where a variable is missing.
            return {
                k: None if k == "provider_id" else self._if_expandable(v, (*path, k)) for k, v in item.items()
            }
        return {k: provider_id if k == "provider_id" else self.value(v, (*path, k)) for k, v in item.items()}

    def _if_expandable(self, value: Any, path: DocPath) -> Any:
        trial = Substituter(
            env=self.env,
            home=self.home,
            kind_of=self.kind_of,
            defer=self.defer,
            secret_path=self.secret_path,
            secret_values=self.secret_values,  # shared: what the trial reads is read
        )
        expanded = trial.value(value, path)
        return value if trial._problem_count() else expanded

    def _note_unexpanded(self, item: Any, path: DocPath) -> None:
        """A disabled provider is kept as written, but the values of the variables its secret fields (or
        secret-looking names) use are secrets wherever else they land."""
        for where, ref in references(item, path):
            value = self.env.get(ref.name)
            if value:
                self._note(ref.name, value, where)


def is_provider_list(path: DocPath) -> bool:
    """Whether a path is a run config's list of provider entries for one API (`providers.inference`)."""
    return len(path) == 2 and path[0] == "providers"


def references(value: Any, path: DocPath = (), problems: Problems | None = None) -> list[tuple[DocPath, Ref]]:
    """Every well-formed reference in a document (nested defaults included), with its path; malformed ones
    go to `problems` when given."""
    found: list[tuple[DocPath, Ref]] = []
    stack: list[tuple[Any, DocPath]] = [(value, path)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, dict):
            stack.extend((v, (*where, k)) for k, v in reversed(list(current.items())))
        elif isinstance(current, list):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(current))))
        elif isinstance(current, str) and "${" in current:
            try:
                nodes = parse(current)
            except SyntaxProblem as exc:
                if problems is not None:
                    problems.syntax.append((where, exc))
                continue
            pending = list(nodes)
            while pending:
                node = pending.pop(0)
                if isinstance(node, Ref):
                    found.append((where, node))
                    pending.extend(node.body)
    return found
