"""The run-config half of `check_against_llama_stack.py`: both tools on the same files.

`check_configs`: every run config the installed llama-stack ships, in an empty and in a plausible environment;
llama-stack's loader and resolver checks (`_llama_stack_load.py`) against stackctl's `config render` and
`config validate` (render + resolve). `check_outputs`: what stackctl writes (`config render` of those files,
`distro render` of every shipped distro, `adhoc` of a dozen specs, `config upgrade` of the older-layout
templates) loaded back by llama-stack, counting the registered resources it loses.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Values a user plausibly has set: keys and URLs of the hosted providers, a model, a safety model.
PLAUSIBLE = {
    "OPENAI_API_KEY": "sk-test",
    "FIREWORKS_API_KEY": "fw-test",
    "TOGETHER_API_KEY": "tg-test",
    "OLLAMA_URL": "http://localhost:11434",
    "VLLM_URL": "http://localhost:8000/v1",
    "INFERENCE_MODEL": "meta-llama/Llama-3.2-3B-Instruct",
    "SAFETY_MODEL": "meta-llama/Llama-Guard-3-1B",
    "NVIDIA_API_KEY": "nv-test",
    "WATSONX_API_KEY": "wx-test",
    "WATSONX_PROJECT_ID": "proj",
    "POSTGRES_PASSWORD": "pw",
    "DEH_URL": "http://localhost:8181",
    "CHROMA_URL": "http://localhost:6001",
    "TAVILY_SEARCH_API_KEY": "tv-test",
    "VLLM_TLS_VERIFY": "false",
    "SQLITE_STORE_DIR": "/tmp/stackctl-check",
}
# Only the variables the shipped files reference without a default.
MINIMAL = {
    "INFERENCE_MODEL": "meta-llama/Llama-3.2-3B-Instruct",
    "SAFETY_MODEL": "meta-llama/Llama-Guard-3-1B",
    "DEH_URL": "http://localhost:8181",
    "DEH_SAFETY_URL": "http://localhost:8282",
}
ENVIRONMENTS = {"empty": {}, "minimal": MINIMAL, "plausible": {**PLAUSIBLE, **MINIMAL}}
# Where `config validate` is stricter than llama-stack's resolver on purpose (README, "Deliberate differences").
DOCUMENTED_STRICTER = ("duplicate provider id", "(llama-stack ignores it)")
ADHOC_SPECS = [
    ["inference=ollama"],
    ["inference=openai,vector_io=faiss"],
    ["inference=fireworks,safety=llama-guard"],
    ["inference=together,agents=meta-reference,safety=llama-guard,vector_io=faiss,tool_runtime=rag-runtime,"
     "files=localfs"],
    ["inference=vllm,vector_io=sqlite-vec"],
    ["inference=ollama,inference=openai"],
    ["inference=openai,files=localfs"],
    ["inference=openai,datasetio=localfs,scoring=basic"],
    ["inference=openai,datasetio=localfs,scoring=basic,eval=meta-reference,agents=meta-reference,"
     "safety=llama-guard,vector_io=faiss,tool_runtime=rag-runtime,files=localfs"],
    ["inference=openai,batches=reference,files=localfs"],
    ["inference=sentence-transformers,vector_io=chromadb"],
    ["inference=openai,tool_runtime=tavily-search,tool_runtime=model-context-protocol"],
]  # fmt: skip

Runner = Callable[..., str]


def _venv_site(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def shipped_configs(venv: Path) -> list[tuple[str, str]]:
    root = _venv_site(venv) / "llama_stack" / "distributions"
    return [(f"{p.parent.name}/{p.name}", p.read_text()) for p in sorted(root.glob("*/*.yaml")) if "run" in p.name]


def llama_load(venv: Path, run: Runner, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = run(venv, "_llama_stack_load.py", json.dumps(items))
    return {row["name"]: row for row in map(json.loads, out.splitlines())}


def stackctl_render(text: str, env: dict[str, str]) -> tuple[Any, str | None, Any]:
    """(rendered document as written, error of `config render`, error of `config validate`), with the
    functions those commands call."""
    from stackctl.catalogue.load import load_catalogue
    from stackctl.catalogue.stack import StackCatalogue
    from stackctl.config.pipeline import render_config
    from stackctl.errors import StackctlError
    from stackctl.registry.checks import validate_file

    schemas = StackCatalogue(load_catalogue())
    home = os.path.expanduser("~")
    report = validate_file(text, "check", env, schemas, home=home)
    invalid = None if report.valid else "; ".join(p.text() for p in report.problems[:2])
    try:
        rendered = render_config(text, "check", env, home=home, schemas=schemas)
    except StackctlError as exc:
        return None, _first(exc), invalid
    return rendered.as_written, None, invalid


def _first(exc: Any) -> str:
    details = getattr(exc, "details", None) or []
    return exc.message + (f" [{details[0]}]" if details else "")


def _differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in dict.fromkeys([*ours, *theirs]):
            if key not in ours or key not in theirs:
                found.append(f"{path}.{key}: {'only llama-stack' if key in theirs else 'only stackctl'}")
            else:
                found.extend(_differences(ours[key], theirs[key], f"{path}.{key}"))
        return found
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{path}: {len(ours)} items in stackctl, {len(theirs)} in llama-stack"]
        return [d for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) for d in _differences(a, b, f"{path}[{i}]")]
    if ours != theirs or type(ours) is not type(theirs):
        return [f"{path}: stackctl {ours!r}, llama-stack {theirs!r}"]
    return []


def _skip_disabled(ours: Any, theirs: Any) -> int:
    """A provider whose id resolves to null keeps its config unexpanded in stackctl (SPEC section 2, a
    documented improvement): its config is not compared. Returns how many were skipped."""
    skipped = 0
    for api, entries in (ours or {}).get("providers", {}).items():
        others = (theirs or {}).get("providers", {}).get(api) or []
        for entry, other in zip(entries, others, strict=False):
            if isinstance(entry, dict) and entry.get("provider_id") is None and isinstance(other, dict):
                entry["config"] = other.get("config")
                skipped += 1
    return skipped


def check_configs(venv: Path, run: Runner) -> int:
    configs = shipped_configs(venv)
    items = [{"name": f"{env}:{name}", "text": text, "env": values}
             for env, values in ENVIRONMENTS.items() for name, text in configs]  # fmt: skip
    theirs = llama_load(venv, run, items)
    figures = dict.fromkeys(("files", "ls_loads", "render_ok", "render_missed", "same_values", "ls_resolves",
                             "validate_ok", "validate_documented_stricter", "validate_missed", "both_reject", "ls_rejects_stackctl_accepts",
                             "disabled_unexpanded"), 0)  # fmt: skip
    print(f"shipped run configs: {len(configs)} files x {len(ENVIRONMENTS)} environments")
    for item in items:
        figures["files"] += 1
        row = theirs[item["name"]]
        written, render_error, validate_error = stackctl_render(item["text"], item["env"])
        if row["loaded"]:
            figures["ls_loads"] += 1
            if render_error is None:
                figures["render_ok"] += 1
                figures["disabled_unexpanded"] += _skip_disabled(written, row["substituted"])
                diffs = _differences(written, row["substituted"])
                figures["same_values"] += not diffs
                for diff in diffs:
                    print(f"  {item['name']}: value: {diff}")
            else:
                figures["render_missed"] += 1
                print(f"  {item['name']}: llama-stack loads, stackctl render fails: {render_error}")
        else:
            print(f"  {item['name']}: llama-stack does not load: {row['error']}; stackctl: {render_error or 'renders'}")
        if row.get("resolved") is True:
            figures["ls_resolves"] += 1
            if validate_error is None:
                figures["validate_ok"] += 1
            elif any(cause in validate_error for cause in DOCUMENTED_STRICTER):
                figures["validate_documented_stricter"] += 1
                print(f"  {item['name']}: llama-stack resolves, stackctl rejects (documented): {validate_error}")
            else:
                figures["validate_missed"] += 1
                print(f"  {item['name']}: llama-stack resolves, stackctl validate fails: {validate_error}")
        elif validate_error is None:
            figures["ls_rejects_stackctl_accepts"] += 1
            print(f"  {item['name']}: llama-stack rejects ({row.get('resolved') or row['error']}); stackctl accepts")
        else:
            figures["both_reject"] += 1
            print(f"  {item['name']}: both reject: llama-stack {row.get('resolved') or row['error']}; "
                  f"stackctl {validate_error}")  # fmt: skip
    print("  figures: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    return figures["render_missed"] + figures["validate_missed"]


OLDER_LAYOUT = Path(__file__).resolve().parents[1] / "tests" / "golden" / "inputs"


def _outputs(venv: Path) -> list[tuple[str, str, int]]:
    """(name, text, registered resources in it) of what stackctl writes."""
    from stackctl.catalogue.load import load_catalogue
    from stackctl.catalogue.stack import StackCatalogue
    from stackctl.config.pipeline import render_config
    from stackctl.config.upgrade import upgrade
    from stackctl.config.yamlio import dump_yaml, load_yaml
    from stackctl.distros.adhoc import build_adhoc
    from stackctl.distros.templates import read_template, template_names

    schemas = StackCatalogue(load_catalogue())
    home = Path(os.path.expanduser("~"))
    out = []
    for name in template_names():
        text, _ = read_template(name)
        for env_name, env in ENVIRONMENTS.items():
            try:
                rendered = render_config(text, name, env, home=str(home), schemas=schemas)
            except Exception as exc:  # a distro that needs variables the environment lacks
                print(f"  distro render {name} ({env_name}): {exc}")
                continue
            out.append((f"distro render {name} ({env_name})", dump_yaml(rendered.as_written), _count(rendered.as_written)))
        upgraded = upgrade(load_yaml(text, name)).document
        out.append((f"config upgrade {name}", dump_yaml(upgraded), _count(upgraded)))
    for name, text in shipped_configs(venv):
        try:
            rendered = render_config(text, name, PLAUSIBLE, home=str(home), schemas=schemas)
        except Exception as exc:
            print(f"  config render {name}: {exc}")
            continue
        out.append((f"config render {name}", dump_yaml(rendered.as_written), _count(rendered.as_written)))
    for path in sorted(OLDER_LAYOUT.glob("*.yaml")):
        raw = load_yaml(path.read_text(), path.name)
        if upgrade(raw).changed:
            upgraded = upgrade(raw).document
            older = sum(len(raw.get(k) or []) for k in ("models", "shields", "vector_dbs", "datasets",
                                                         "scoring_fns", "benchmarks", "tool_groups"))  # fmt: skip
            assert older == _count(upgraded), path
            out.append((f"config upgrade {path.name}", dump_yaml(upgraded), older))
    for spec in ADHOC_SPECS:
        stack = build_adhoc(spec, schemas, home / ".local/share/stackctl", home=home)
        out.append((f"adhoc {' '.join(spec)}", dump_yaml(stack.document), _count(stack.document)))
    return out


def _count(doc: dict[str, Any]) -> int:
    resources = doc.get("registered_resources") or {}
    return sum(len(v) for k, v in resources.items() if isinstance(v, list) and k != "vector_dbs")


def check_outputs(venv: Path, run: Runner) -> int:
    outputs = _outputs(venv)
    items = [{"name": name, "text": text, "env": PLAUSIBLE} for name, text, _ in outputs]
    theirs = llama_load(venv, run, items)
    loaded = lost = 0
    for name, _, count in outputs:
        row = theirs[name]
        if not row["loaded"]:
            print(f"  {name}: llama-stack does not load it: {row['error']}")
            continue
        loaded += 1
        kept = sum(row["resources"].values())
        if kept != count:
            lost += count - kept
            print(f"  {name}: {count - kept} registered resource(s) lost")
    print(f"  figures: outputs={len(outputs)}, loads={loaded}, resources_lost={lost}")
    return (len(outputs) - loaded) + lost
