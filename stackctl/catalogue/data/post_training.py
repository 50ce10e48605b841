"""Built-in providers of the `post_training` API: fine-tuning (SFT) and preference optimization."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import DATA_DIR, api_key_field, field

API = "post_training"

_DEPS = ("datasetio", "datasets")


def _huggingface(device: str) -> dict[str, Any]:
    return {
        "provider_type": f"inline::huggingface-{device}",
        "description": f"Hugging Face TRL trainers (SFT, DPO) on {device.upper()}.",
        "api_dependencies": _DEPS,
        "optional_api_dependencies": (),
        "fields": (
            field(
                "device",
                "str",
                "torch device: cuda, cpu or mps.",
                default=device if device == "cpu" else "cuda",
            ),
            field("distributed_backend", "str", "Distributed backend: fsdp or deepspeed (default: none)."),
            field("checkpoint_format", "str", "Checkpoint format.", default="huggingface"),
            field("chat_template", "str", "Template that formats a row into a training prompt."),
            field("model_specific_config", "dict", "Per-model loading options (trust_remote_code, ...)."),
            field("max_seq_length", "int", "Maximum tokens per training example.", default=2048),
            field("gradient_checkpointing", "bool", "Trade compute for memory.", default=False),
            field("save_total_limit", "int", "Checkpoints kept on disk.", default=3),
            field("logging_steps", "int", "Steps between log lines.", default=10),
            field("warmup_ratio", "float", "Fraction of steps for learning-rate warm-up.", default=0.1),
            field("weight_decay", "float", "Weight decay.", default=0.01),
            field("dataloader_num_workers", "int", "Data loader worker processes.", default=4),
            field("dataloader_pin_memory", "bool", "Pin data loader memory.", default=True),
            field("dpo_beta", "float", "DPO temperature.", default=0.1),
            field("use_reference_model", "bool", "Use a reference model for DPO.", default=True),
            field("dpo_loss_type", "str", "DPO loss: sigmoid, hinge, ipo or kto_pair.", default="sigmoid"),
            field("dpo_output_dir", "str", "Directory for DPO outputs."),
        ),
        "sample": {
            "checkpoint_format": "huggingface",
            "distributed_backend": None,
            "device": device if device == "cpu" else "cuda",
            "dpo_output_dir": f"{DATA_DIR}/dpo_output",
        },
    }


def _torchtune(device: str) -> dict[str, Any]:
    return {
        "provider_type": f"inline::torchtune-{device}",
        "description": f"torchtune LoRA and full fine-tuning recipes on {device.upper()}.",
        "api_dependencies": _DEPS,
        "optional_api_dependencies": (),
        "fields": (
            field("torch_seed", "int", "Seed for torch's random number generators."),
            field("checkpoint_format", "str", "Checkpoint format: meta or huggingface.", default="meta"),
        ),
        "sample": {"checkpoint_format": "meta"},
    }


PROVIDERS: tuple[dict[str, Any], ...] = (
    _huggingface("cpu"),
    _huggingface("gpu"),
    _torchtune("cpu"),
    _torchtune("gpu"),
    {
        "provider_type": "remote::nvidia",
        "description": "NVIDIA NeMo Customizer.",
        "api_dependencies": _DEPS,
        "optional_api_dependencies": (),
        "fields": (
            api_key_field("NVIDIA"),
            field("user_id", "str", "User id recorded with customization jobs.", default="llama-stack-user"),
            field("dataset_namespace", "str", "Namespace of the training datasets.", default="default"),
            field("project_id", "str", "NeMo project id.", default="test-project"),
            field("customizer_url", "str", "URL of the NeMo Customizer."),
            field("timeout", "int", "Request timeout in seconds.", default=300),
            field("max_retries", "int", "Retries for failed requests.", default=3),
            field(
                "output_model_dir",
                "str",
                "Directory for the fine-tuned model.",
                default="test-example-model@v1",
            ),
        ),
        "sample": {
            "api_key": "${env.NVIDIA_API_KEY:=}",
            "dataset_namespace": "${env.NVIDIA_DATASET_NAMESPACE:=default}",
            "project_id": "${env.NVIDIA_PROJECT_ID:=test-project}",
            "customizer_url": "${env.NVIDIA_CUSTOMIZER_URL:=http://nemo.test}",
        },
    },
)
