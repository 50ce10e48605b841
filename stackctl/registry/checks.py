"""Every check a run config must pass before it is registered, and `config validate`'s report of them.

`prepare` is the one way from file text to what `register` applies: the file's own checks (the `FILE_CHECKS`
table: duplicate mapping keys, literal secrets), then the render (secret fields whose variables are unset
are warnings: they are read at call time), then the resolver; it raises at the first failing stage.
`validate_file` runs the same stages but collects: every problem of the file in one run, each with its path
and `file:line`, and the warnings. A check is a function `(FileContext) -> list[Problem]`; adding one to
`FILE_CHECKS` (raw document) or `DOCUMENT_CHECKS` (rendered and resolved) makes both `register` and
`config validate` apply it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stackctl.config.docpath import DocPath, format_path
from stackctl.config.envsubst import Ref, Substituter, SyntaxProblem, parse
from stackctl.config.rendered import Rendered
from stackctl.config.resolver import ResolvedStack
from stackctl.config.secrets import has_literal_url_secret, is_secret_name, mask_error
from stackctl.errors import ConfigError, StackctlError
from stackctl.models.kinds import KINDS

LITERAL_SECRET_HINT = "write the field as a reference, e.g. api_key: ${env.NAME} or ${env.NAME:=none}"  # noqa: S105


@dataclass(frozen=True)
class Problem:
    """One problem of a file: what, where in the document, and on which line of which file."""

    message: str
    path: str | None = None
    file: str | None = None
    line: int | None = None
    code: str = "invalid_config"

    def text(self) -> str:
        where = f"{self.path} ({self.file}:{self.line})" if self.path and self.line else self.path
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "file": self.file,
            "line": self.line,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class FileContext:
    """What a check may look at: the file's text and source name, its YAML, the environment, the schemas,
    and (for document checks) the render and the resolved stack."""

    text: str
    source: str
    raw: Mapping[str, Any]
    env: Mapping[str, str]
    schemas: Any
    lines: dict[DocPath, int] = field(default_factory=dict)
    rendered: Rendered | None = None
    stack: ResolvedStack | None = None

    def problem(self, path: DocPath, message: str, code: str = "invalid_config") -> Problem:
        return Problem(message, format_path(path), self.source, self.lines.get(path), code)


Check = Callable[[FileContext], list[Problem]]


def duplicate_keys(ctx: FileContext) -> list[Problem]:
    """A key given twice in one YAML mapping: PyYAML keeps the last silently, so a typo'd copy wins."""
    import yaml

    from stackctl.config.yamlio import compose
    from stackctl.heap import gc_paused

    try:
        root = compose(ctx.text)
    except (yaml.YAMLError, RecursionError):
        return []  # the loader reports it
    with gc_paused():  # a walk of every node, building plain data only
        return _duplicate_keys(ctx, root)


def _duplicate_keys(ctx: FileContext, root: Any) -> list[Problem]:
    import yaml

    problems: list[Problem] = []
    stack: list[tuple[Any, DocPath]] = [(root, ())] if root is not None else []
    seen_nodes: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in first:
                    problems.append(
                        Problem(
                            f"duplicate key '{key}' (first given on line {first[key]})",
                            format_path((*path, key)),
                            ctx.source,
                            line,
                            "duplicate_key",
                        )
                    )
                else:
                    first[key] = line
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
    return sorted(problems, key=lambda p: p.line or 0)


def _is_literal(value: Any) -> bool:
    """Whether a secret field's value holds a secret written out (no reference at all)."""
    if isinstance(value, dict | list):
        return any(_is_literal(v) for v in (value.values() if isinstance(value, dict) else value))
    if isinstance(value, str):
        return _is_literal_text(value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_literal_text(value: str) -> bool:
    if not value.strip():
        return False  # empty: no secret
    try:
        nodes = parse(value) if "${" in value else (value,)
    except SyntaxProblem:
        return False  # the render reports it
    return not any(isinstance(node, Ref) for node in nodes)


def _secret_leaves(value: Any, path: DocPath, marked: set[str]) -> list[DocPath]:
    """Paths under `value` of secret fields (by name, or marked at the top level) holding literal text."""
    found: list[DocPath] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = (*path, key)
            secret = isinstance(key, str) and (is_secret_name(key) or (len(child) == 5 and key in marked))
            if secret:
                if _is_literal(item):
                    found.append(child)
            else:
                found.extend(_secret_leaves(item, child, marked))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_secret_leaves(item, (*path, index), marked))
    elif isinstance(value, str) and "@" in value and has_literal_url_secret(value):
        found.append(path)  # a URL with a literal password or token (`http://user:pass@host`) in any field
    return found


def _enabled_providers(ctx: FileContext) -> list[tuple[DocPath, str, str, Any]]:
    substituter = Substituter(env=ctx.env)
    out: list[tuple[DocPath, str, str, Any]] = []
    providers = ctx.raw.get("providers")
    for api, entries in (providers if isinstance(providers, dict) else {}).items():
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            provider_id = substituter.value(entry.get("provider_id"), ("providers", api, index))
            if provider_id is None or provider_id == "__disabled__":
                continue  # never stored
            out.append((("providers", api, index), str(api), str(entry.get("provider_type")), entry))
    return out


def literal_secrets(ctx: FileContext) -> list[Problem]:
    """Secret fields of what `register` stores (enabled providers' configs, resources) that hold literal
    text: the database would hold the secret. A reference (`${env.KEY}`, `${env.KEY:=none}`) is fine."""
    marked_of = getattr(ctx.schemas, "secret_fields", None)
    paths: list[DocPath] = []
    for base, api, provider_type, entry in _enabled_providers(ctx):
        marked = set(marked_of(api, provider_type)) if marked_of is not None else set()
        paths.extend(_secret_leaves(entry.get("config"), (*base, "config"), marked))
    containers: list[tuple[DocPath, Any]] = [((), ctx.raw)]
    if isinstance(ctx.raw.get("registered_resources"), dict):
        containers.append((("registered_resources",), ctx.raw["registered_resources"]))
    for prefix, container in containers:
        for key in {kind.key for kind in KINDS.values()} | {"vector_stores"}:
            items = container.get(key)
            if isinstance(items, list):
                paths.extend(_secret_leaves(items, (*prefix, key), set()))
    return [
        ctx.problem(path, "a literal secret; it would be stored in the database", "literal_secret")
        for path in paths
    ]


def resources_match_stack(ctx: FileContext) -> list[Problem]:
    """Resources naming providers the stack has (or can default to), each once."""
    from stackctl.registry.apply import desired_resources, stack_providers

    assert ctx.rendered is not None and ctx.stack is not None
    _, disabled = stack_providers(ctx.raw, ctx.env)
    try:
        desired_resources(ctx.rendered.document, ctx.stack, disabled, ctx.rendered.origins)
    except ConfigError as exc:  # a provider id or a duplicate id it quotes may be a secret's value
        return problems_of(mask_error(exc, ctx.rendered.secret_values), ctx)
    return []


def ids_hold_no_secret(ctx: FileContext) -> list[Problem]:
    """Ids are stored and shown as they render (they name things; only specs keep their references): an
    id that a secret value renders into would put the secret in the database and in every listing."""
    from stackctl.config.secrets import secret_pattern
    from stackctl.models.kinds import KINDS

    assert ctx.rendered is not None
    pattern = secret_pattern(ctx.rendered.secret_values)
    if pattern is None:
        return []
    doc, origins = ctx.rendered.document, ctx.rendered.origins
    at: list[DocPath] = []
    for api, entries in (doc.get("providers") or {}).items():
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and pattern.search(str(entry.get("provider_id") or "")):
                at.append(("providers", api, index, "provider_id"))
    for kind in KINDS.values():
        names = sorted({kind.id_field, "provider_id", kind.provider_id_field or kind.id_field})
        for index, item in enumerate(doc.get(kind.key) or []):
            for name in names:
                if isinstance(item, dict) and pattern.search(str(item.get(name) or "")):
                    at.append((kind.key, index, name))
    message = "an id from a secret value: ids are stored and shown as they render; name it plainly"
    return [ctx.problem(origins.source_path(path), message, "secret_in_id") for path in at]


def ignored_provider_keys(ctx: FileContext) -> list[Problem]:
    """Provider config keys that llama-stack's config classes silently drop: `config render` only warns
    about them (llama-stack loads the file), but what `register` stores must not carry a typo."""
    assert ctx.rendered is not None
    if not ctx.rendered.strict:
        return []
    return problems_of(ConfigError("", details=list(ctx.rendered.strict), code="schema_violation"), ctx)


FILE_CHECKS: list[Check] = [duplicate_keys, literal_secrets]
DOCUMENT_CHECKS: list[Check] = [ids_hold_no_secret, resources_match_stack, ignored_provider_keys]

_DETAIL = re.compile(r"^(?P<path>[\w.\[\]<>-]+)(?: \((?P<file>.+):(?P<line>\d+)\))?: (?P<message>.+)$", re.S)


def problems_of(exc: StackctlError, ctx: FileContext) -> list[Problem]:
    """A stage's error as problems: one per detail line (`path (file:line): message`), with the line looked
    up in the file when the detail gives none."""
    by_text = {format_path(path): line for path, line in ctx.lines.items()}
    if not exc.details:
        return [Problem(exc.message, None, ctx.source, None, exc.code)]
    out = []
    for detail in exc.details:
        match = _DETAIL.match(detail)
        if match is None:
            out.append(Problem(detail, None, ctx.source, None, exc.code))
            continue
        path = match["path"]
        line = int(match["line"]) if match["line"] else by_text.get(path)
        out.append(Problem(match["message"], path, ctx.source, line, exc.code))
    return out


def _context(
    data: str | bytes, source: str, env: Mapping[str, str], schemas: Any
) -> tuple[FileContext, list[Problem]]:
    from stackctl.config.yamlio import load_yaml, scalar_lines

    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    raw = load_yaml(data, source)
    if not isinstance(raw, dict):
        kind = "empty" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError(f"{source}: a run config must be a YAML mapping, got {kind}")
    ctx = FileContext(text, source, raw, env, schemas, scalar_lines(text))
    problems = [problem for check in FILE_CHECKS for problem in check(ctx)]
    return ctx, problems


def _refuse(problems: list[Problem], source: str) -> ConfigError:
    literal = any(p.code == "literal_secret" for p in problems)
    return ConfigError(
        f"{source}: {len(problems)} problem(s)",
        details=[p.text() for p in problems],
        hint=LITERAL_SECRET_HINT if literal else None,
        code="literal_secret" if literal else problems[0].code,
    )


def _render(ctx: FileContext, data: str | bytes, home: str | None) -> None:
    from stackctl.config.pipeline import render_config
    from stackctl.config.resolver import resolve

    ctx.rendered = render_config(  # the document `_context` loaded: the file is loaded once
        data, ctx.source, ctx.env, home=home, schemas=ctx.schemas, defer_secrets=True, parsed=ctx.raw
    )
    # A config's external_providers_dir / external_apis_dir extend the schemas it was validated with.
    schemas: Any = ctx.rendered.schemas or ctx.schemas
    ctx.stack = resolve(
        ctx.rendered.document,
        schemas,
        ctx.source,
        ctx.rendered.origins,
        secret_values=ctx.rendered.secret_values,
    )


def prepare(
    data: str | bytes, source: str, env: Mapping[str, str], schemas: Any, *, home: str | None
) -> FileContext:
    """Check, render and resolve a run config for `register`; raise `ConfigError` at the first failing
    stage, listing all of that stage's problems. Nothing is written."""
    ctx, problems = _context(data, source, env, schemas)
    if problems:
        raise _refuse(problems, source)
    _render(ctx, data, home)
    refused = ids_hold_no_secret(ctx) or ignored_provider_keys(ctx)
    if refused:
        raise _refuse(refused, source)
    return ctx


@dataclass
class Validation:
    """`config validate`'s report."""

    valid: bool
    problems: list[Problem]
    warnings: list[str]
    summary: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "problems": [p.to_dict() for p in self.problems],
            "warnings": self.warnings,
            **self.summary,
        }


_MISSING = re.compile(r"environment variable ([A-Z0-9_]+) is not set")
STAND_IN = "0"  # a value every scalar type accepts or keeps as text: str "0", int 0, float 0.0, bool False


def _substitution_warnings(ctx: FileContext, data: str | bytes, home: str | None) -> list[str]:
    """The warnings of stage 1 alone (unset secrets, dropped resources), for a render that failed later."""
    from stackctl.config.pipeline import render_config

    try:
        substituted = render_config(
            data, ctx.source, ctx.env, home=home, schemas=ctx.schemas, validate=False, defer_secrets=True
        )
    except ConfigError:
        return []
    return substituted.warnings


def _render_collecting(
    ctx: FileContext, data: str | bytes, home: str | None
) -> tuple[list[Problem], list[str]]:
    """Render and resolve, as problems and warnings. Missing variables stop the render before the schemas
    and the resolver see the document: it is rendered once more with a stand-in for each, so that one run
    reports the rest of the file's problems too; problems at the paths of the missing variables are the
    stand-in's, not the file's, and are left out."""
    try:
        _render(ctx, data, home)
    except ConfigError as exc:
        problems = problems_of(exc, ctx)
        names = {found[1] for p in problems if (found := _MISSING.search(p.message))}
        if exc.code != "missing_env_var" or ctx.rendered is not None or not names:
            warnings = ctx.rendered.warnings if ctx.rendered else _substitution_warnings(ctx, data, home)
            return problems, list(warnings)
    else:
        assert ctx.rendered is not None
        return [], list(ctx.rendered.warnings)
    at_missing = {p.path for p in problems}
    env = ctx.env
    ctx.env = {**env, **dict.fromkeys(names, STAND_IN)}
    try:
        _render(ctx, data, home)
    except ConfigError as exc:
        problems += [p for p in problems_of(exc, ctx) if p.path not in at_missing]
    else:
        problems += [p for check in DOCUMENT_CHECKS for p in check(ctx) if p.path not in at_missing]
    warnings = _substitution_warnings(ctx, data, home)
    ctx.env = env
    ctx.rendered = ctx.stack = None  # rendered with stand-ins: not the file's document, no summary of it
    return problems, warnings


def validate_file(
    data: str | bytes, source: str, env: Mapping[str, str], schemas: Any, *, home: str | None
) -> Validation:
    """Every check `register` makes, every problem collected: the file's own checks, the render and the
    resolver (with stand-ins for missing variables, see `_render_collecting`), then the document checks."""
    from stackctl.config.pipeline import summarize

    try:
        ctx, problems = _context(data, source, env, schemas)
    except ConfigError as exc:
        return Validation(False, [Problem(exc.message, None, source, None, exc.code)], [])
    found, warnings = _render_collecting(ctx, data, home)
    problems += found
    summary: dict[str, Any] = {}
    if ctx.rendered is not None and ctx.stack is not None:
        problems += [problem for check in DOCUMENT_CHECKS for problem in check(ctx)]
        summary = summarize(ctx.rendered, ctx.stack)
        warnings = summary.pop("warnings")
        summary.pop("valid")
    problems.sort(key=lambda p: (p.line is None, p.line or 0))  # in file order; unlocated ones last
    return Validation(not problems, problems, warnings, summary if not problems else {})
