"""Properties of the `${env.*}` engine over generated inputs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackctl.config import envsubst
from stackctl.config.envsubst import Substituter, SyntaxProblem, parse

settings.register_profile("stackctl", max_examples=200, deadline=None)
settings.load_profile("stackctl")

PATH = ("providers", "inference", 0, "config", "field")

# Pieces of the grammar, glued at random: most generated strings are near misses of valid references.
FRAGMENTS = [
    "${env.",
    "$${env.",
    "${",
    "$",
    "{",
    "}",
    "A",
    "B_1",
    "foo",
    ":=",
    ":+",
    ":?",
    ":-",
    ":",
    "=",
    ".",
    "~/",
    " ",
]
grammar_soup = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)
# Almost-references: a name (good or bad), an operator (good or bad) and a body full of special characters.
reference_like = st.builds(
    "{}{}{}{}{}".format,
    st.sampled_from(["${env.", "$${env.", "x${env."]),
    st.sampled_from(["A", "B_1", "a", "A.B", ""]),
    st.sampled_from(["", ":=", ":+", ":?", ":-", ":", "="]),
    st.text(alphabet="x{}$:~", max_size=5),
    st.sampled_from(["}", "}}", "", "} ${env.A}"]),
)
any_text = st.one_of(st.text(max_size=40), grammar_soup, reference_like)

names = st.from_regex(re.compile(r"[A-Z][A-Z0-9_]{0,6}"), fullmatch=True)
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def references(draw: st.DrawFn, pool: list[str], depth: int = 0) -> str:
    name = draw(st.sampled_from(pool))
    op = draw(st.sampled_from(["", ":=", ":+", ":?"]))
    if not op:
        return f"${{env.{name}}}"
    if depth < 2 and draw(st.booleans()):
        body = draw(references(pool, depth + 1))
    else:
        body = draw(st.text(alphabet="abc 0123.:/-", max_size=6))
    return f"${{env.{name}{op}{body}}}"


@st.composite
def template(draw: st.DrawFn, pool: list[str]) -> str:
    parts = draw(st.lists(st.one_of(st.text(alphabet="xyz -/:", max_size=4), references(pool)), max_size=4))
    return "".join(parts)


def documents(pool: list[str]) -> st.SearchStrategy[Any]:
    leaves = st.one_of(template(pool), st.integers(), st.booleans(), st.none())
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(
                st.sampled_from(["url", "api_key", "port", "x", "provider_id"]), children, max_size=3
            ),
        ),
        max_leaves=12,
    )


@given(text=st.text().filter(lambda t: "${" not in t), env=st.dictionaries(names, values, max_size=4))
def test_text_without_a_reference_is_unchanged(text: str, env: dict[str, str]) -> None:
    sub = Substituter(env=env, home="/home/h")
    result = sub.string(text, PATH)
    assert result == text
    assert type(result) is str
    assert not sub.problems


@given(data=st.data())
def test_unrelated_variables_change_nothing(data: st.DataObject) -> None:
    pool = ["A", "B", "C_1"]
    doc = data.draw(documents(pool))
    env = data.draw(st.dictionaries(st.sampled_from(pool), values, max_size=3))
    unrelated = data.draw(
        st.dictionaries(names.filter(lambda n: n not in pool), values, min_size=1, max_size=4)
    )
    plain = Substituter(env=env, home="/home/h")
    noisy = Substituter(env={**unrelated, **env}, home="/home/h")
    assert noisy.value(doc, ()) == plain.value(doc, ())
    assert noisy.problems == plain.problems


@given(text=any_text, env=st.dictionaries(st.sampled_from(["A", "B_1", "FOO"]), values, max_size=3))
def test_no_input_crashes_with_anything_but_a_syntax_problem(text: str, env: dict[str, str]) -> None:
    try:
        parse(text)
    except SyntaxProblem as exc:
        assert exc.message
        assert "${env." in text
    sub = Substituter(env=env, home="/home/h")
    sub.string(text, PATH)  # problems are collected, never raised
    if sub.problems.syntax:
        assert all(path == PATH for path, _ in sub.problems.syntax)


@given(text=any_text)
def test_fast_path_agrees_with_the_general_parser(text: str) -> None:
    def run() -> Any:
        try:
            return parse.__wrapped__(text)
        except SyntaxProblem as exc:
            return ("error", exc.message, exc.hint)

    fast = run()
    saved = envsubst._SIMPLE
    envsubst._SIMPLE = re.compile(r"(?!)")  # never matches: every reference takes the general path
    try:
        general = run()
    finally:
        envsubst._SIMPLE = saved
    assert fast == general


@given(name=names)
def test_escape_round_trip(name: str) -> None:
    sub = Substituter(env={name: "set"})
    assert sub.string(f"$${{env.{name}}}", PATH) == f"${{env.{name}}}"


@given(name=names, value=values.filter(bool))
def test_set_variable_wins_over_default(name: str, value: str) -> None:
    sub = Substituter(env={name: value})
    expected = envsubst.coerce(value)
    assert sub.string(f"${{env.{name}:=fallback}}", PATH) == expected
    assert sub.string(f"${{env.{name}}}", PATH) == expected


def test_nesting_within_the_limit_evaluates() -> None:
    depth = envsubst.MAX_NESTING
    sub = Substituter(env={})
    assert sub.string("${env.A:=" * depth + "x" + "}" * depth, PATH) == "x"
    assert not sub.problems


@pytest.mark.parametrize("depth", [envsubst.MAX_NESTING + 2, 5000])
def test_hostile_nesting_is_a_syntax_problem_not_a_crash(depth: int) -> None:
    text = "${env.A:=" * depth + "x" + "}" * depth
    with pytest.raises(SyntaxProblem, match="nested"):
        parse(text)
    sub = Substituter(env={})
    assert sub.string(text, PATH) == text
    assert len(sub.problems.syntax) == 1


def test_braces_inside_defaults_nest_freely() -> None:
    text = "${env.A:=" + "{" * 3000 + "}" * 3000 + "}"
    assert Substituter(env={}).string(text, PATH) == "{" * 3000 + "}" * 3000
