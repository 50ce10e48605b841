"""The config-load pipeline, the only one: read -> substitute -> normalize -> validate.

Every command that reads a run config goes through `render_config`. It is pure: the environment, the home
directory and the provider schemas are arguments. Every problem found in one pass is reported together.
Stage 1 is `stackctl.config.substitute` (YAML and `${env.*}`), stage 2 `stackctl.config.layout` (the later
llama-stack layout mapped onto the canonical one), stage 3 `stackctl.config.validate` (schemas).

The rendered document comes with its `Origins` (`stackctl.config.origins`): every step that drops list
elements or moves keys records it there, and every error or warning about the rendered document prints its
path through them, so that it names the place in the file the user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackctl.config.rendered import ProviderSchemas, Rendered
from stackctl.config.secrets import mask_error
from stackctl.config.substitute import substitute
from stackctl.config.validate import validate_run_config
from stackctl.errors import StackctlError
from stackctl.models.kinds import KINDS


def render_config(
    text: str | bytes,
    source: str,
    env: Mapping[str, str],
    *,
    home: str | None = None,
    schemas: ProviderSchemas | None = None,
    validate: bool = True,
    defer_secrets: bool = False,
    parsed: Any = None,
) -> Rendered:
    """The whole pipeline. With validate=False: substitution only, the document exactly as substituted.
    With defer_secrets: secret fields whose variables are unset are warnings (see `substitute`)."""
    substituted = substitute(text, source, env, home, schemas, defer_secrets=defer_secrets, parsed=parsed)
    if not validate:
        return substituted
    try:
        return validate_run_config(substituted, source, schemas, home)
    except StackctlError as exc:  # a schema error may quote a value, and so a secret
        raise mask_error(exc, substituted.secret_values) from None


def summarize(rendered: Rendered, stack: Any) -> dict[str, Any]:
    """What `config validate` reports for a valid config and its resolved stack."""
    doc = rendered.document
    providers = doc.get("providers", {})
    return {
        "valid": True,
        "image_name": doc.get("image_name"),
        "apis": sorted(providers),
        "providers": len(stack.order),
        "order": [p.key for p in stack.order],
        "resources": {k.key: len(doc[k.key]) for k in KINDS.values() if doc.get(k.key)},
        # What only warned in the render (`Rendered.strict`) is a problem for `config validate`.
        "warnings": [w for w in [*rendered.warnings, *stack.warnings] if w not in rendered.strict],
    }
