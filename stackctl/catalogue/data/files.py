"""Built-in providers of the `files` API: OpenAI-compatible file upload and storage."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import DATA_DIR, field, sql_ref

API = "files"

_METADATA = "SQL store for file metadata."

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::localfs",
        "description": "Files kept in a local directory, metadata in SQLite.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            field("storage_dir", "str", "Directory that holds uploaded files.", required=True),
            field("metadata_store", "dict", _METADATA),
            field("ttl_secs", "int", "Seconds before an uploaded file expires.", default=365 * 24 * 3600),
        ),
        "sample": {
            "storage_dir": f"${{env.FILES_STORAGE_DIR:={DATA_DIR}/files}}",
            "metadata_store": sql_ref("files_metadata"),
        },
    },
    {
        "provider_type": "remote::s3",
        "description": "Files in an Amazon S3 (or S3-compatible) bucket, metadata in SQLite.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            field("bucket_name", "str", "S3 bucket name.", required=True),
            field("region", "str", "AWS region.", default="us-east-1"),
            field("aws_access_key_id", "str", "AWS access key id.", secret=True),
            field("aws_secret_access_key", "str", "AWS secret access key.", secret=True),
            field("endpoint_url", "str", "Custom endpoint for S3-compatible services (MinIO, ...)."),
            field("auto_create_bucket", "bool", "Create the bucket when it does not exist.", default=False),
            field("metadata_store", "dict", _METADATA),
        ),
        "sample": {
            "bucket_name": "${env.S3_BUCKET_NAME}",
            "region": "${env.AWS_REGION:=us-east-1}",
            "aws_access_key_id": "${env.AWS_ACCESS_KEY_ID:=}",
            "aws_secret_access_key": "${env.AWS_SECRET_ACCESS_KEY:=}",
            "endpoint_url": "${env.S3_ENDPOINT_URL:=}",
            "auto_create_bucket": "${env.S3_AUTO_CREATE_BUCKET:=false}",
            "metadata_store": sql_ref("s3_files_metadata"),
        },
    },
)
