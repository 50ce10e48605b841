"""Building blocks shared by the built-in provider data: field records and storage samples.

Everything here returns plain dicts. A field record has the keys `name`, `type` (one of str, int, float,
bool, list, dict, any), `description`, `required`, `default`, `secret` and `items` (the element type of a
list). The literal text `{data_dir}` in a sample config is a placeholder the catalogue replaces with the
stackctl data directory.
"""

from __future__ import annotations

from typing import Any

DATA_DIR = "{data_dir}"


def field(
    name: str,
    kind: str,
    description: str,
    *,
    default: Any = None,
    required: bool = False,
    secret: bool = False,
    items: str | None = None,
    renamed_to: str | None = None,
) -> dict[str, Any]:
    return {
        "renamed_to": renamed_to,
        "name": name,
        "type": kind,
        "description": description,
        "required": required,
        "default": default,
        "secret": secret,
        "items": items,
    }


def kv_ref(namespace: str) -> dict[str, Any]:
    """A 0.3.x reference to the stack's key-value backend (defined in the run config's `storage` block)."""
    return {"namespace": namespace, "backend": "kv_default"}


def sql_ref(table_name: str) -> dict[str, Any]:
    """A 0.3.x reference to a table of the stack's SQL backend (defined in the `storage` block)."""
    return {"table_name": table_name, "backend": "sql_default"}


def store_path(filename: str) -> str:
    return f"${{env.SQLITE_STORE_DIR:={DATA_DIR}}}/{filename}"


def kvstore_field(
    description: str = "Key-value store for the provider's registry and metadata.",
    renamed_to: str | None = None,
) -> dict[str, Any]:
    return field("kvstore", "dict", description, renamed_to=renamed_to)


def auth_credential_field() -> dict[str, Any]:
    return field(
        "auth_credential", "str", "API key or bearer token the provider is called with.", secret=True
    )


def api_key_field(service: str) -> dict[str, Any]:
    return field("api_key", "str", f"API key for {service}.", secret=True)


# Fields every remote inference provider accepts on top of its own.
REMOTE_INFERENCE_FIELDS: tuple[dict[str, Any], ...] = (
    field(
        "allowed_models",
        "list",
        "Only these provider model ids are listed and served (default: all).",
        items="str",
    ),
    field("refresh_models", "bool", "Refresh the model list from the provider periodically.", default=False),
)

AWS_FIELDS: tuple[dict[str, Any], ...] = (
    field(
        "aws_access_key_id", "str", "AWS access key id (default: the boto3 credential chain).", secret=True
    ),
    field("aws_secret_access_key", "str", "AWS secret access key.", secret=True),
    field("aws_session_token", "str", "AWS session token.", secret=True),
    field("region_name", "str", "AWS region, e.g. us-east-1."),
    field("profile_name", "str", "Profile from the AWS shared credentials file."),
    field("total_max_attempts", "int", "Maximum attempts for a single request, retries included."),
    field("retry_mode", "str", "boto3 retry mode: legacy, standard or adaptive."),
    field("connect_timeout", "float", "Seconds to wait for a connection.", default=60.0),
    field("read_timeout", "float", "Seconds to wait for a response.", default=60.0),
    field("session_ttl", "int", "Seconds before the AWS session is refreshed.", default=3600),
)
