"""The `${env.*}` engine: grammar, evaluation, coercion (SPEC section 2)."""

from __future__ import annotations

from typing import Any

import pytest

from stackctl.config.envsubst import Missing, Ref, Substituter, SyntaxProblem, coerce, parse, references

HOME = "/home/tester"
PATH = ("providers", "inference", 0, "config", "url")


def render(text: str, env: dict[str, str] | None = None, kind: str | None = None) -> tuple[Any, Substituter]:
    sub = Substituter(env=env or {}, home=HOME, kind_of=(lambda _path: kind) if kind else None)
    return sub.string(text, PATH), sub


def value_of(text: str, env: dict[str, str] | None = None) -> Any:
    result, sub = render(text, env)
    assert not sub.problems, sub.problems
    return result


def missing_names(text: str, env: dict[str, str] | None = None) -> list[str]:
    _, sub = render(text, env)
    assert not sub.problems.syntax
    return [m.name for m in sub.problems.missing]


# --- the SPEC table: three forms x set / unset / empty --------------------------------------------


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${env.X}", {"X": "value"}, "value"),
        ("${env.X:=default}", {"X": "value"}, "value"),
        ("${env.X:=default}", {}, "default"),
        ("${env.X:=default}", {"X": ""}, "default"),
        ("${env.X:+alt}", {"X": "value"}, "alt"),
        ("${env.X:+alt}", {}, None),
        ("${env.X:+alt}", {"X": ""}, None),
    ],
)
def test_spec_table(text: str, env: dict[str, str], expected: Any) -> None:
    assert value_of(text, env) == expected


@pytest.mark.parametrize("env", [{}, {"X": ""}], ids=["unset", "empty"])
def test_required_unset_or_empty_is_missing(env: dict[str, str]) -> None:
    result, sub = render("${env.X}", env)
    assert sub.problems.missing == [Missing(PATH, "X", None)]
    assert sub.problems.syntax == []
    assert result is None


def test_empty_default_gives_null() -> None:
    assert value_of("${env.X:=}") is None
    assert value_of("${env.X:=}", {"X": ""}) is None


def test_empty_alternative_gives_null_even_when_set() -> None:
    assert value_of("${env.X:+}", {"X": "set"}) is None


def test_every_missing_reference_in_a_string_is_reported() -> None:
    assert missing_names("${env.A}-${env.B}-${env.C:=ok}") == ["A", "B"]


def test_unrelated_variables_are_not_reported() -> None:
    assert missing_names("${env.A}", {"B": "x"}) == ["A"]


# --- several tokens, coercion ---------------------------------------------------------------------


def test_several_tokens_in_one_string() -> None:
    env = {"HOST": "example.org", "PORT": "9000"}
    assert value_of("http://${env.HOST}:${env.PORT}/v1", env) == "http://example.org:9000/v1"
    assert value_of("${env.HOST:=a}${env.NOPE:=b}${env.PORT:+c}", env) == "example.orgbc"


def test_literal_strings_are_never_coerced() -> None:
    for literal in ("8080", "true", "1.5", ""):
        assert value_of(literal) == literal
        assert isinstance(value_of(literal), str)


def test_coercion_applies_to_the_whole_result() -> None:
    assert value_of("x${env.A}", {"A": "1"}) == "x1"
    assert value_of("${env.A}${env.B}", {"A": "1", "B": "2"}) == 12
    assert value_of("${env.A} ", {"A": "1"}) == "1 "


@pytest.mark.parametrize("text", ["true", "TRUE", "True", "tRuE", "false", "FALSE", "False"])
def test_booleans_in_any_case(text: str) -> None:
    assert value_of("${env.B}", {"B": text}) is (text.lower() == "true")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080", 8080),
        ("-3", -3),
        ("+7", 7),
        ("0", 0),
        ("1.5", 1.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        (".5", 0.5),
    ],
)
def test_numbers(text: str, expected: Any) -> None:
    result = value_of("${env.N}", {"N": text})
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "text", ["0123", "00", "-007", "00.5", "1_000", "0x10", "inf", "nan", "1.2.3", "12abc", "1e400", "-1e999"]
)
def test_non_numbers_and_leading_zeros_stay_strings(text: str) -> None:
    assert value_of("${env.N}", {"N": text}) == text


def test_overflow_to_infinity_keeps_the_text() -> None:
    # A number text that float() turns into infinity is no number the file meant: it stays the string.
    assert coerce("1e400") == "1e400"
    assert coerce("1e400", "float") == "1e400"
    assert coerce("1" + "0" * 400, "float") == "1" + "0" * 400
    assert coerce("1e308") == 1e308


def test_defaults_are_coerced_like_values() -> None:
    assert value_of("${env.PORT:=8321}") == 8321
    assert value_of("${env.DEBUG:=False}") is False


def test_known_kind_decides() -> None:
    assert coerce("12345", "str") == "12345"
    assert coerce("true", "str") == "true"
    assert coerce("3", "float") == 3.0
    assert isinstance(coerce("3", "float"), float)
    assert coerce("true", "int") == "true"  # left for validation to reject
    assert coerce("0123", "int") == "0123"
    assert coerce("", "str") is None
    result, _ = render("${env.KEY}", {"KEY": "12345"}, kind="str")
    assert result == "12345"


def test_unknown_kind_coerces() -> None:
    assert coerce("12345") == 12345
    assert coerce("") is None
    assert coerce("text") == "text"


# --- home expansion -------------------------------------------------------------------------------


def test_tilde_at_the_start_of_a_substituted_value_expands() -> None:
    assert value_of("${env.DIR}", {"DIR": "~/data"}) == f"{HOME}/data"
    assert value_of("${env.DIR}", {"DIR": "~"}) == HOME
    assert value_of("${env.DIR:=~/.cache/stack}") == f"{HOME}/.cache/stack"


def test_tilde_elsewhere_is_kept() -> None:
    assert value_of("${env.DIR}", {"DIR": "a/~/b"}) == "a/~/b"
    assert value_of("${env.DIR}", {"DIR": "~user/x"}) == "~user/x"
    assert value_of("~/literal") == "~/literal"


def test_no_home_no_expansion() -> None:
    sub = Substituter(env={"DIR": "~/data"})
    assert sub.string("${env.DIR}", PATH) == "~/data"


# --- nested defaults, escapes, custom messages ----------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"A": "a", "B": "b"}, "a"), ({"B": "b"}, "b"), ({}, "x"), ({"A": "", "B": ""}, "x")],
)
def test_nested_default(env: dict[str, str], expected: str) -> None:
    assert value_of("${env.A:=${env.B:=x}}", env) == expected


def test_nested_default_with_text_around() -> None:
    text = "pre-${env.A:=<${env.B:=x}>}-post"
    assert value_of(text) == "pre-<x>-post"
    assert value_of(text, {"A": "a"}) == "pre-a-post"


def test_unused_default_is_not_evaluated() -> None:
    assert value_of("${env.A:=${env.REQUIRED}}", {"A": "a"}) == "a"
    assert missing_names("${env.A:=${env.REQUIRED}}") == ["REQUIRED"]
    assert value_of("${env.A:+${env.REQUIRED}}") is None
    assert missing_names("${env.A:+${env.REQUIRED}}", {"A": "1"}) == ["REQUIRED"]


def test_braces_balance_inside_a_default() -> None:
    assert value_of("${env.A:={x}}") == "{x}"
    assert value_of('${env.A:={"k": 1}}') == '{"k": 1}'


def test_escape_renders_literal_reference() -> None:
    assert value_of("$${env.X}") == "${env.X}"
    assert value_of("$${env.X}", {"X": "set"}) == "${env.X}"
    assert value_of("a $${env.X} ${env.Y}", {"Y": "2"}) == "a ${env.X} 2"


def test_escape_alone_is_not_coerced() -> None:
    assert value_of("$${env.N}") == "${env.N}"


def test_required_with_message() -> None:
    result, sub = render("${env.TOKEN:?create one at example.org/tokens}")
    assert sub.problems.missing == [Missing(PATH, "TOKEN", "create one at example.org/tokens")]
    assert result is None
    assert value_of("${env.TOKEN:?whatever}", {"TOKEN": "abc"}) == "abc"


# --- malformed references -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "in_message", "in_hint"),
    [
        ("${env.foo}", "foo", "${env.FOO}"),
        ("${env.FOO:-x}", "${env.FOO:-x}", "${env.FOO:=x}"),
        ("${env.FOO:}", "${env.FOO:}", "${env.FOO:=}"),
        ("${env.FOO=x}", "${env.FOO=x}", "${env.FOO:=x}"),
        ("${env.}", "${env.}", "${env.NAME}"),
        ("${env.A.B}", "A.B", "${env.A_B}"),
        ("${env.FOO", "${env.FOO", "}"),
        ("${env.FOO:=x", "${env.FOO:=x", "}"),
        ("${env.A:=${env.B}", "${env.A:=${env.B}", "}"),
        ("${env.FOO:x}", "${env.FOO:x}", ":="),
        ("ok ${env.A:=${env.b}}", "b", "${env.B}"),
    ],
)
def test_malformed_reference_is_a_syntax_problem(text: str, in_message: str, in_hint: str) -> None:
    with pytest.raises(SyntaxProblem) as caught:
        parse(text)
    assert in_message in caught.value.message
    assert caught.value.hint is not None
    assert in_hint in caught.value.hint


def test_substituter_collects_syntax_problems_with_their_path() -> None:
    result, sub = render("${env.FOO:-x}")
    assert len(sub.problems.syntax) == 1
    path, problem = sub.problems.syntax[0]
    assert path == PATH
    assert "${env.FOO:=x}" in (problem.hint or "")
    assert sub.problems.missing == []
    assert result == "${env.FOO:-x}"


@pytest.mark.parametrize(
    "text",
    ["${FOO}", "$env.FOO", "${ env.FOO }", "$ {env.FOO}", "${ENV.FOO}", "${environment}", "${}", "$", "{}"],
)
def test_text_not_starting_with_env_is_ordinary(text: str) -> None:
    assert parse(text) == (text,)
    assert value_of(text, {"FOO": "x"}) == text


def test_parse_shape() -> None:
    assert parse("a${env.B:=c}d") == ("a", Ref("B", "=", ("c",), "${env.B:=c}"), "d")
    assert parse("${env.X}") == (Ref("X", None, (), "${env.X}"),)
    inner = Ref("B", "=", ("x",), "${env.B:=x}")
    assert parse("${env.A:=${env.B:=x}}") == (Ref("A", "=", (inner,), "${env.A:=${env.B:=x}}"),)


# --- documents ------------------------------------------------------------------------------------


def test_value_walks_nested_documents_with_paths() -> None:
    sub = Substituter(env={"A": "1"})
    doc = {"a": [{"b": "${env.A}"}, "${env.MISSING}"], "n": 3, "t": True, "z": None}
    assert sub.value(doc, ()) == {"a": [{"b": 1}, None], "n": 3, "t": True, "z": None}
    assert sub.problems.missing == [Missing(("a", 1), "MISSING", None)]


def test_references_lists_nested_ones() -> None:
    doc = {"x": ["${env.A:=${env.B}}"], "y": "${env.bad}", "z": "$${env.ESC}"}
    found = [(path, ref.name) for path, ref in references(doc)]
    assert found == [(("x", 0), "A"), (("x", 0), "B")]


def test_integer_past_python_digit_limit_stays_text() -> None:
    # int() refuses more than sys.get_int_max_str_digits() digits (4300 by default).
    huge = "9" * 5000
    assert coerce(huge) == huge
    assert coerce(huge, "int") == huge  # left for validation to reject
    assert value_of("${env.BIG}", {"BIG": huge}) == huge
