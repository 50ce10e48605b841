"""Compare stackctl with an installed llama-stack 0.3.x, and regenerate the catalogue's facts from it.

Run by hand, never in CI or tests; llama-stack is not a dependency of stackctl. Give it a scratch venv that has
llama-stack installed (`python -m venv /tmp/ls && /tmp/ls/bin/pip install 'llama-stack==0.3.*'`):

    python scripts/check_against_llama_stack.py --venv /tmp/ls regenerate   # rewrite catalogue/data/facts.json
    python scripts/check_against_llama_stack.py --venv /tmp/ls catalogue    # the catalogue diff
    python scripts/check_against_llama_stack.py --venv /tmp/ls configs      # shipped run configs, both tools
    python scripts/check_against_llama_stack.py --venv /tmp/ls outputs      # what stackctl writes, loaded back
    python scripts/check_against_llama_stack.py --venv /tmp/ls all

The llama-stack side runs in the venv's own interpreter (`_llama_stack_registry.py`, `_llama_stack_load.py`);
this side runs in the interpreter that has stackctl.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FACTS = ROOT / "stackctl" / "catalogue" / "data" / "facts.json"


def venv_python(venv: Path) -> str:
    return str(venv / "bin" / "python")


def run_in_venv(venv: Path, script: str, stdin: str | None = None, *args: str) -> str:
    done = subprocess.run(
        [venv_python(venv), str(HERE / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        cwd="/tmp",
    )
    return done.stdout


def registry(venv: Path) -> dict[str, Any]:
    return json.loads(run_in_venv(venv, "_llama_stack_registry.py"))


# --- facts -------------------------------------------------------------------------------------------------

_REPLACED = re.compile(r"`((?:inline|remote)::[A-Za-z0-9_.:-]+)`")


def facts_from_registry(dump: dict[str, Any]) -> dict[str, Any]:
    """Our facts format: per API, per provider type, the facts (no prose) of llama-stack's registry."""
    providers: dict[str, dict[str, Any]] = {}
    for record in dump["providers"]:
        deprecation = record["deprecation_error"] or record["deprecation_warning"]
        replaced = _REPLACED.search(deprecation or "")
        providers.setdefault(record["api"], {})[record["provider_type"]] = {
            "pip_packages": record["pip_packages"],
            "api_dependencies": record["api_dependencies"],
            "optional_api_dependencies": record["optional_api_dependencies"],
            "extra": record.get("extra"),
            "deprecated": None
            if deprecation is None
            else {
                "replaced_by": replaced.group(1) if replaced else None,
                "broken": record["deprecation_error"] is not None,
            },
            "fields": [
                [f["name"], f["type"], f["items"], f["required"], f["default"], f["secret"]]
                + ([True] if f["required"] and f["nullable"] else [])
                for f in record["fields"]
            ],
        }
    apis = [[a["name"], a["kind"], a["routes"]] for a in dump["apis"]]
    return {"release": dump["release"], "apis": apis, "providers": providers}


def dump_facts(facts: dict[str, Any]) -> str:
    """The facts as JSON that diffs well: one line per API, per provider's list, per field."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    out = ['{', f' "release": {one(facts["release"])},', ' "apis": [']
    out.append(",\n".join(f"  {one(api)}" for api in facts["apis"]))
    out.append(' ],')
    out.append(' "providers": {')
    api_blocks = []
    for api, types in facts["providers"].items():
        type_blocks = []
        for provider_type, fact in types.items():
            body = [f'    {one(key)}: {one(value)}' for key, value in fact.items() if key != "fields"]
            fields = ",\n".join(f"     {one(f)}" for f in fact["fields"])
            body.append('    "fields": [' + (f"\n{fields}\n    ]" if fields else "]"))
            type_blocks.append(f"   {one(provider_type)}: {{\n" + ",\n".join(body) + "\n   }")
        api_blocks.append(f"  {one(api)}: {{\n" + ",\n".join(type_blocks) + "\n  }")
    out.append(",\n".join(api_blocks))
    out.append(' }')
    out.append('}')
    return "\n".join(out) + "\n"


def regenerate(venv: Path) -> None:
    facts = facts_from_registry(registry(venv))
    FACTS.write_text(dump_facts(facts))
    count = sum(len(v) for v in facts["providers"].values())
    print(f"wrote {FACTS.relative_to(ROOT)}: llama-stack {facts['release']}, {count} provider types")


def catalogue_diff(venv: Path) -> int:
    """Every difference between llama-stack's registry and the catalogue stackctl loads; 0 when none."""
    from stackctl.catalogue.load import load_catalogue

    theirs = facts_from_registry(registry(venv))
    catalogue = load_catalogue()
    ours = {spec.key: spec for spec in catalogue.providers}
    counts = dict.fromkeys(("missing", "field", "required", "default", "secret", "type", "deps", "pip", "dep"), 0)
    lines: list[str] = []
    stricter: list[str] = []  # schema-marked secret in stackctl only: documented in the README
    for api, types in theirs["providers"].items():
        for provider_type, fact in types.items():
            spec = ours.get((api, provider_type))
            if spec is None:
                counts["missing"] += 1
                lines.append(f"missing type: {api} {provider_type}")
                continue
            for check, mine, other in (
                ("deps", list(spec.api_dependencies), fact["api_dependencies"]),
                ("deps", list(spec.optional_api_dependencies), fact["optional_api_dependencies"]),
                ("pip", list(spec.pip_packages), fact["pip_packages"]),
                ("dep", spec.deprecated is not None, fact["deprecated"] is not None),
            ):
                if mine != other:
                    counts[check] += 1
                    lines.append(f"{check}: {api} {provider_type}: ours {mine!r}, llama-stack {other!r}")
            current = {f.name: f for f in spec.fields if f.renamed_to is None}
            for name, kind, items, required, default, secret, *nullable in fact["fields"]:
                mine = current.pop(name, None)
                where = f"{api} {provider_type} {name}"
                if mine is None:
                    counts["field"] += 1
                    lines.append(f"missing field: {where}")
                    continue
                if mine.secret and not secret:
                    stricter.append(f"{where}")
                for check, a, b in (
                    ("type", (mine.kind, mine.items), (kind, items)),
                    ("required", (mine.required, mine.nullable), (required, bool(nullable))),
                    ("default", mine.default, default),
                    ("secret", mine.secret or secret, secret or (mine.secret and not secret)),
                ):
                    if a != b:
                        counts[check] += 1
                        lines.append(f"{check}: {where}: ours {a!r}, llama-stack {b!r}")
            for name in current:
                counts["field"] += 1
                lines.append(f"extra field: {api} {provider_type} {name}")
    extra = sorted(set(ours) - {(a, t) for a, ts in theirs["providers"].items() for t in ts})
    for api, provider_type in extra:
        lines.append(f"extra type (older layout, ours only): {api} {provider_type}")
    print(f"catalogue vs llama-stack {theirs['release']}:")
    for line in lines:
        print("  " + line)
    if stricter:
        print(f"  secret in stackctl only (stricter, README): {', '.join(stricter)}")
    print("  figures: " + ", ".join(f"{k}={v}" for k, v in counts.items()) + f", extra_types={len(extra)}")
    return sum(counts.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, required=True, help="a venv with llama-stack 0.3.x installed")
    parser.add_argument("what", choices=("regenerate", "catalogue", "configs", "outputs", "all"))
    args = parser.parse_args(argv)
    if args.what == "regenerate":
        regenerate(args.venv)
        return 0
    failures = 0
    if args.what in ("catalogue", "all"):
        failures += catalogue_diff(args.venv)
    if args.what in ("configs", "all"):
        from _configs_check import check_configs  # type: ignore[import-not-found]

        failures += check_configs(args.venv, run_in_venv)
    if args.what in ("outputs", "all"):
        from _configs_check import check_outputs  # type: ignore[import-not-found]

        failures += check_outputs(args.venv, run_in_venv)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
