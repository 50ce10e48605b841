"""Built-in providers of the `inference` API: chat/completion/embedding model serving."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import (
    AWS_FIELDS,
    REMOTE_INFERENCE_FIELDS,
    api_key_field,
    auth_credential_field,
    field,
)

API = "inference"


def http(
    url_keys: tuple[str, ...],
    default_url: str | None,
    *,
    suffix: str = "",
    key_fields: tuple[str, ...] = ("api_key",),
    auth: str = "bearer",
    key_required: bool = True,
) -> dict[str, Any]:
    """How stackctl reaches the provider's OpenAI-compatible HTTP API (`stackctl.inference.endpoints`).

    The config keys that may hold its base URL, the URL when none is configured, the path suffix a
    configured URL may lack (ollama's has no /v1), the config fields that may hold the key, how the key is
    sent ("bearer": `Authorization: Bearer KEY`; "api-key": Azure's `api-key: KEY` header), and whether
    it is needed.
    """
    return {
        "url_keys": url_keys,
        "default_url": default_url,
        "suffix": suffix,
        "key_fields": key_fields,
        "auth": auth,
        "key_required": key_required,
    }


def _remote(
    provider_type: str,
    description: str,
    fields: tuple[dict[str, Any], ...],
    sample: dict[str, Any],
    profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "http": profile,
        "provider_type": provider_type,
        "description": description,
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (*fields, *REMOTE_INFERENCE_FIELDS),
        "sample": sample,
    }


def _openai_compatible(
    provider_type: str, service: str, url: str, env_prefix: str, profile: dict[str, Any]
) -> dict[str, Any]:
    """A hosted OpenAI-compatible service: a base URL with a default and an API key."""
    return _remote(
        provider_type,
        f"{service} hosted models through its OpenAI-compatible API.",
        (
            field("url", "str", f"Base URL of the {service} API.", default=url),
            api_key_field(service),
        ),
        {"url": url, "api_key": f"${{env.{env_prefix}_API_KEY:=}}"},
        profile,
    )


PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::meta-reference",
        "description": "Meta's reference implementation: Llama models run in-process on local GPUs.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            field("model", "str", "Llama model descriptor to load, e.g. Llama3.2-3B-Instruct."),
            field("torch_seed", "int", "Seed for torch's random number generators."),
            field("max_seq_len", "int", "Maximum sequence length.", default=4096),
            field("max_batch_size", "int", "Maximum batch size.", default=1),
            field("model_parallel_size", "int", "Number of GPUs to shard the model over (0: auto)."),
            field(
                "create_distributed_process_group",
                "bool",
                "Create a torch distributed process group.",
                default=True,
            ),
            field("checkpoint_dir", "str", "Directory holding the model checkpoint."),
            field("quantization", "dict", "Quantization settings, e.g. {type: fp8_mixed}."),
        ),
        "sample": {
            "model": "${env.INFERENCE_MODEL}",
            "checkpoint_dir": "${env.INFERENCE_CHECKPOINT_DIR:=}",
            "quantization": {"type": "${env.QUANTIZATION_TYPE:=bf16}"},
            "model_parallel_size": "${env.MODEL_PARALLEL_SIZE:=0}",
            "max_batch_size": "${env.MAX_BATCH_SIZE:=1}",
            "max_seq_len": "${env.MAX_SEQ_LEN:=4096}",
        },
    },
    {
        "provider_type": "inline::sentence-transformers",
        "description": "Embedding models from sentence-transformers, run in-process.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (),
        "sample": {},
    },
    _remote(
        "remote::cerebras",
        "Cerebras Cloud inference.",
        (
            field("base_url", "str", "Base URL of the Cerebras API.", default="https://api.cerebras.ai"),
            api_key_field("Cerebras"),
        ),
        {"base_url": "https://api.cerebras.ai", "api_key": "${env.CEREBRAS_API_KEY:=}"},
        http(("base_url", "url"), "https://api.cerebras.ai", suffix="/v1"),
    ),
    _remote(
        "remote::ollama",
        "A local or remote Ollama server.",
        (
            field("url", "str", "URL of the Ollama server.", default="http://localhost:11434"),
            auth_credential_field(),
        ),
        {"url": "${env.OLLAMA_URL:=http://localhost:11434}"},
        http(("url", "base_url"), "http://localhost:11434", suffix="/v1", key_required=False),
    ),
    _remote(
        "remote::vllm",
        "A vLLM server through its OpenAI-compatible API.",
        (
            field("url", "str", "URL of the vLLM server's OpenAI-compatible API, e.g. http://host:8000/v1."),
            field("max_tokens", "int", "Default maximum tokens to generate.", default=4096),
            field("api_token", "str", "Bearer token for the vLLM server.", default="fake", secret=True),
            field(
                "tls_verify", "any", "Verify TLS certificates (true/false) or a CA bundle path.", default=True
            ),
        ),
        {
            "url": "${env.VLLM_URL:=}",
            "max_tokens": "${env.VLLM_MAX_TOKENS:=4096}",
            "api_token": "${env.VLLM_API_TOKEN:=fake}",
            "tls_verify": "${env.VLLM_TLS_VERIFY:=true}",
        },
        http(("url", "base_url"), None, key_fields=("api_token", "api_key"), key_required=False),
    ),
    _remote(
        "remote::tgi",
        "A Hugging Face text-generation-inference server.",
        (field("url", "str", "URL of the TGI server.", required=True), auth_credential_field()),
        {"url": "${env.TGI_URL}"},
    ),
    _remote(
        "remote::hf::serverless",
        "Hugging Face serverless inference API.",
        (
            field(
                "huggingface_repo", "str", "Model repository, e.g. meta-llama/Llama-3.2-3B.", required=True
            ),
            field("api_token", "str", "Hugging Face API token.", secret=True),
        ),
        {"huggingface_repo": "${env.INFERENCE_MODEL}", "api_token": "${env.HF_API_TOKEN:=}"},
    ),
    _remote(
        "remote::hf::endpoint",
        "A dedicated Hugging Face inference endpoint.",
        (
            field("endpoint_name", "str", "Endpoint name, as {namespace}/{endpoint_name}.", required=True),
            field("api_token", "str", "Hugging Face API token.", secret=True),
        ),
        {"endpoint_name": "${env.INFERENCE_ENDPOINT_NAME}", "api_token": "${env.HF_API_TOKEN:=}"},
    ),
    _openai_compatible(
        "remote::fireworks",
        "Fireworks AI",
        "https://api.fireworks.ai/inference/v1",
        "FIREWORKS",
        http(("url", "base_url"), "https://api.fireworks.ai/inference/v1"),
    ),
    _remote(
        "remote::together",
        "Together AI hosted models.",
        (
            field("url", "str", "Base URL of the Together API.", default="https://api.together.xyz/v1"),
            api_key_field("Together AI"),
        ),
        {"url": "https://api.together.xyz/v1", "api_key": "${env.TOGETHER_API_KEY:=}"},
        http(("url", "base_url"), "https://api.together.xyz/v1"),
    ),
    _remote(
        "remote::databricks",
        "Databricks model serving endpoints.",
        (
            field("url", "str", "Databricks workspace URL."),
            field("api_token", "str", "Databricks personal access token.", secret=True),
        ),
        {"url": "${env.DATABRICKS_HOST:=}", "api_token": "${env.DATABRICKS_TOKEN:=}"},
    ),
    _remote(
        "remote::bedrock",
        "Amazon Bedrock hosted models.",
        (
            field("auth_credential", "any", "Bedrock API key (bearer token).", secret=True),
            field(
                "api_key",
                "str",
                "Bedrock API key (older layout).",
                secret=True,
                renamed_to="auth_credential",
            ),
            *AWS_FIELDS,
        ),
        {
            "auth_credential": "${env.AWS_BEARER_TOKEN_BEDROCK:=}",
            "region_name": "${env.AWS_DEFAULT_REGION:=us-east-2}",
        },
    ),
    _remote(
        "remote::nvidia",
        "NVIDIA NIM, hosted (build.nvidia.com) or self-hosted.",
        (
            field("url", "str", "Base URL of the NIM API.", default="https://integrate.api.nvidia.com"),
            api_key_field("NVIDIA"),
            field("timeout", "int", "Request timeout in seconds.", default=60),
            field("append_api_version", "bool", "Append /v1 to the URL.", default=True),
        ),
        {
            "url": "${env.NVIDIA_BASE_URL:=https://integrate.api.nvidia.com}",
            "api_key": "${env.NVIDIA_API_KEY:=}",
            "append_api_version": "${env.NVIDIA_APPEND_API_VERSION:=True}",
        },
        http(("url", "base_url"), "https://integrate.api.nvidia.com", suffix="/v1"),
    ),
    _remote(
        "remote::runpod",
        "RunPod serverless vLLM endpoints.",
        (
            field("url", "str", "URL of the RunPod endpoint's OpenAI-compatible API."),
            field("api_token", "str", "RunPod API token.", secret=True),
        ),
        {"url": "${env.RUNPOD_URL:=}", "api_token": "${env.RUNPOD_API_TOKEN:=}"},
    ),
    _remote(
        "remote::openai",
        "OpenAI's API, or any service that speaks it.",
        (
            api_key_field("OpenAI"),
            field("base_url", "str", "Base URL of the API.", default="https://api.openai.com/v1"),
        ),
        {
            "api_key": "${env.OPENAI_API_KEY:=}",
            "base_url": "${env.OPENAI_BASE_URL:=https://api.openai.com/v1}",
        },
        http(("base_url", "url"), "https://api.openai.com/v1"),
    ),
    _remote(
        "remote::anthropic",
        "Anthropic's Claude models.",
        (api_key_field("Anthropic"),),
        {"api_key": "${env.ANTHROPIC_API_KEY:=}"},
        http(("base_url", "url"), "https://api.anthropic.com/v1"),
    ),
    _remote(
        "remote::gemini",
        "Google Gemini models through the Gemini API.",
        (api_key_field("Gemini"),),
        {"api_key": "${env.GEMINI_API_KEY:=}"},
        http(("base_url", "url"), "https://generativelanguage.googleapis.com/v1beta/openai"),
    ),
    _remote(
        "remote::vertexai",
        "Google Gemini models through Vertex AI (application default credentials).",
        (
            field("project", "str", "Google Cloud project id.", required=True),
            field("location", "str", "Google Cloud region.", default="us-central1"),
            auth_credential_field(),
        ),
        {"project": "${env.VERTEX_AI_PROJECT}", "location": "${env.VERTEX_AI_LOCATION:=us-central1}"},
    ),
    _remote(
        "remote::groq",
        "Groq's LPU inference cloud.",
        (
            field("url", "str", "Base URL of the Groq API.", default="https://api.groq.com"),
            api_key_field("Groq"),
        ),
        {"url": "https://api.groq.com", "api_key": "${env.GROQ_API_KEY:=}"},
        http(("url", "base_url"), "https://api.groq.com", suffix="/openai/v1"),
    ),
    _remote(
        "remote::llama-openai-compat",
        "Meta's Llama API through its OpenAI-compatible endpoint.",
        (
            field(
                "openai_compat_api_base",
                "str",
                "Base URL of the OpenAI-compatible endpoint.",
                default="https://api.llama.com/compat/v1/",
            ),
            api_key_field("the Llama API"),
        ),
        {"openai_compat_api_base": "https://api.llama.com/compat/v1/", "api_key": "${env.LLAMA_API_KEY:=}"},
        http(("openai_compat_api_base", "base_url", "url"), "https://api.llama.com/compat/v1"),
    ),
    _openai_compatible(
        "remote::sambanova",
        "SambaNova Cloud",
        "https://api.sambanova.ai/v1",
        "SAMBANOVA",
        http(("url", "base_url"), "https://api.sambanova.ai/v1"),
    ),
    _remote(
        "remote::passthrough",
        "Forwards requests unchanged to another llama-stack-compatible server.",
        (
            field("url", "str", "URL of the upstream server.", required=True),
            api_key_field("the upstream server"),
        ),
        {"url": "${env.PASSTHROUGH_URL}", "api_key": "${env.PASSTHROUGH_API_KEY:=}"},
        http(("url", "base_url"), None, key_required=False),
    ),
    _remote(
        "remote::watsonx",
        "IBM watsonx.ai foundation models.",
        (
            field("url", "str", "watsonx.ai endpoint.", default="https://us-south.ml.cloud.ibm.com"),
            api_key_field("IBM Cloud"),
            field("project_id", "str", "watsonx.ai project id."),
            field("timeout", "int", "Request timeout in seconds.", default=60),
        ),
        {
            "url": "${env.WATSONX_BASE_URL:=https://us-south.ml.cloud.ibm.com}",
            "api_key": "${env.WATSONX_API_KEY:=}",
            "project_id": "${env.WATSONX_PROJECT_ID:=}",
        },
    ),
    _remote(
        "remote::azure",
        "Azure OpenAI Service deployments.",
        (
            api_key_field("Azure OpenAI"),
            field("api_base", "str", "Resource endpoint, e.g. https://NAME.openai.azure.com/."),
            field("api_version", "str", "Azure OpenAI API version, e.g. 2024-12-01-preview."),
            field("api_type", "str", "API type.", default="azure"),
        ),
        {
            "api_key": "${env.AZURE_API_KEY:=}",
            "api_base": "${env.AZURE_API_BASE}",
            "api_version": "${env.AZURE_API_VERSION:=}",
            "api_type": "${env.AZURE_API_TYPE:=azure}",
        },
        http(("api_base", "base_url", "url"), None, suffix="/openai/v1", auth="api-key"),
    ),
)
