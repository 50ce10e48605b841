"""Built-in providers of the `vector_io` API: vector stores for retrieval."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import api_key_field, field, kv_ref, kvstore_field, store_path

API = "vector_io"

_DEPS = ("inference",)
_OPTIONAL = ("files", "models")


def _provider(
    provider_type: str, description: str, fields: tuple[dict[str, Any], ...], sample: dict[str, Any]
) -> dict[str, Any]:
    return {
        "provider_type": provider_type,
        "description": description,
        "api_dependencies": _DEPS,
        "optional_api_dependencies": _OPTIONAL,
        "fields": (
            *fields,
            kvstore_field(
                "Store for the registry of vector stores (older layout).", renamed_to="persistence"
            ),
            field(
                "persistence", "dict", "Reference to the key-value backend for the registry of vector stores."
            ),
        ),
        "sample": sample,
    }


def _faiss(provider_type: str, description: str) -> dict[str, Any]:
    return _provider(provider_type, description, (), {"persistence": kv_ref("vector_io::faiss")})


def _local_db(
    provider_type: str, description: str, filename: str, extra: tuple[dict[str, Any], ...] = ()
) -> dict[str, Any]:
    stem = filename.rsplit(".", 1)[0]
    return _provider(
        provider_type,
        description,
        (field("db_path", "str", "Database file.", required=True), *extra),
        {"db_path": store_path(filename), "persistence": kv_ref(f"vector_io::{stem}")},
    )


PROVIDERS: tuple[dict[str, Any], ...] = (
    _faiss("inline::faiss", "FAISS in-memory index, persisted to a key-value store."),
    _faiss("inline::meta-reference", "Deprecated alias of inline::faiss."),
    _local_db("inline::sqlite-vec", "sqlite-vec: vectors in a local SQLite database.", "sqlite_vec.db"),
    _local_db("inline::sqlite_vec", "Deprecated alias of inline::sqlite-vec.", "sqlite_vec.db"),
    _local_db("inline::chromadb", "Chroma, embedded in-process.", "chroma.db"),
    _local_db(
        "inline::milvus",
        "Milvus Lite, embedded in-process.",
        "milvus.db",
        (field("consistency_level", "str", "Milvus consistency level.", default="Strong"),),
    ),
    _provider(
        "inline::qdrant",
        "Qdrant in local (on-disk) mode.",
        (field("path", "str", "Directory of the local Qdrant database.", required=True),),
        {"path": store_path("qdrant.db"), "persistence": kv_ref("vector_io::qdrant")},
    ),
    _provider(
        "remote::chromadb",
        "A Chroma server.",
        (field("url", "str", "URL of the Chroma server."),),
        {"url": "${env.CHROMADB_URL}", "persistence": kv_ref("vector_io::chroma_remote")},
    ),
    _provider(
        "remote::pgvector",
        "PostgreSQL with the pgvector extension.",
        (
            field("host", "str", "Database host.", default="localhost"),
            field("port", "int", "Database port.", default=5432),
            field("db", "str", "Database name.", default="postgres"),
            field("user", "str", "Database user.", default="postgres"),
            field("password", "str", "Database password.", default="mysecretpassword", secret=True),
        ),
        {
            "host": "${env.PGVECTOR_HOST:=localhost}",
            "port": "${env.PGVECTOR_PORT:=5432}",
            "db": "${env.PGVECTOR_DB:=postgres}",
            "user": "${env.PGVECTOR_USER:=postgres}",
            "password": "${env.PGVECTOR_PASSWORD:=}",
            "persistence": kv_ref("vector_io::pgvector"),
        },
    ),
    _provider(
        "remote::weaviate",
        "A Weaviate server or Weaviate Cloud cluster.",
        (
            field("weaviate_api_key", "str", "Weaviate API key.", secret=True),
            field("weaviate_cluster_url", "str", "Weaviate cluster URL.", default="localhost:8080"),
        ),
        {
            "weaviate_api_key": "${env.WEAVIATE_API_KEY:=}",
            "weaviate_cluster_url": "${env.WEAVIATE_CLUSTER_URL:=localhost:8080}",
            "persistence": kv_ref("vector_io::weaviate"),
        },
    ),
    _provider(
        "remote::qdrant",
        "A Qdrant server or Qdrant Cloud cluster.",
        (
            field("location", "str", "':memory:' or a URL."),
            field("url", "str", "URL of the Qdrant server."),
            field("host", "str", "Host of the Qdrant server."),
            field("port", "int", "REST port.", default=6333),
            field("grpc_port", "int", "gRPC port.", default=6334),
            field("prefer_grpc", "bool", "Use gRPC where possible.", default=False),
            field("https", "bool", "Use HTTPS."),
            api_key_field("Qdrant"),
            field("prefix", "str", "URL path prefix."),
            field("timeout", "int", "Request timeout in seconds."),
        ),
        {
            "url": "${env.QDRANT_URL:=}",
            "api_key": "${env.QDRANT_API_KEY:=}",
            "persistence": kv_ref("vector_io::qdrant_remote"),
        },
    ),
    _provider(
        "remote::milvus",
        "A Milvus server or Zilliz Cloud cluster.",
        (
            field("uri", "str", "URI of the Milvus server.", required=True),
            field("token", "str", "Milvus access token.", secret=True),
            field("consistency_level", "str", "Milvus consistency level.", default="Strong"),
            field("config", "dict", "Extra keyword arguments for the Milvus client."),
        ),
        {
            "uri": "${env.MILVUS_ENDPOINT}",
            "token": "${env.MILVUS_TOKEN}",
            "persistence": kv_ref("vector_io::milvus_remote"),
        },
    ),
)
