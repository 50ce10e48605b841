"""`/v1/models` (the registered models of every stack, in OpenAI's list shape) and `/v1/health`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from stackctl.server.deps import DB
from stackctl.server.schemas import ERRORS, Health, ModelList
from stackctl.store import registry

router = APIRouter(prefix="/v1", responses={401: ERRORS[401]})


@router.get("/models", response_model=ModelList, tags=["models"], summary="List registered models")
def list_models(db: DB) -> JSONResponse:
    # One entry per identifier: a model registered by several stacks is listed once, from the first stack.
    seen: dict[str, dict[str, object]] = {}
    for resource in registry.resources(db, kind="model"):
        seen.setdefault(
            resource["identifier"],
            {
                "id": resource["identifier"],
                "object": "model",
                "created": resource["created_at"],
                "owned_by": resource["provider_id"] or "stackctl",
            },
        )
    return JSONResponse({"object": "list", "data": list(seen.values())})


@router.get("/health", response_model=Health, tags=["health"], summary="Liveness check (no api key needed)")
def health() -> Health:
    return Health()
