"""The api=provider spec parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stackctl.distros.specs import ProviderSpecArg, parse_specs
from stackctl.errors import UsageError


def test_separators_several_args_and_whitespace() -> None:
    parsed = parse_specs([" inference = ollama ; safety=llama-guard", "agents=meta-reference"])
    assert [(p.api, p.provider) for p in parsed] == [
        ("inference", "ollama"),
        ("safety", "llama-guard"),
        ("agents", "meta-reference"),
    ]


def test_overrides() -> None:
    (item,) = parse_specs(["inference=ollama?url=http://h:1 & timeout=3"])
    assert item == ProviderSpecArg("inference", "ollama", (("url", "http://h:1"), ("timeout", "3")))


@pytest.mark.parametrize(
    "spec", ["inference", "=ollama", "inference=", "a=b,,c=d", "a=b,", "", "a=b?=x", "a=b?x"]
)
def test_malformed_is_usage_error(spec: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_specs([spec])
    assert info.value.exit_code == 2


_word = st.from_regex(r"[a-z][a-z0-9_:-]{0,12}", fullmatch=True)
_space = st.sampled_from(["", " ", "  ", "\t"])


@given(
    pairs=st.lists(st.tuples(_word, _word), min_size=1, max_size=6),
    seps=st.lists(st.sampled_from([",", ";"]), min_size=6, max_size=6),
    pads=st.lists(_space, min_size=24, max_size=24),
)
def test_well_formed_pairs_round_trip(pairs: list[tuple[str, str]], seps: list[str], pads: list[str]) -> None:
    parts = [
        f"{pads[4 * i]}{api}{pads[4 * i + 1]}={pads[4 * i + 2]}{prov}{pads[4 * i + 3]}"
        for i, (api, prov) in enumerate(pairs)
    ]
    text = parts[0] + "".join(seps[i] + part for i, part in enumerate(parts[1:]))
    assert [(p.api, p.provider) for p in parse_specs([text])] == pairs
