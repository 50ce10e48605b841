"""`/v1/models` (the registered models of every stack, in OpenAI's list shape) and `/v1/health`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from stackctl.registry import records
from stackctl.server.deps import DB
from stackctl.server.schemas import ERRORS, Health, ModelList

router = APIRouter(prefix="/v1", responses={401: ERRORS[401]})


@router.get("/models", response_model=ModelList, tags=["models"], summary="List registered models")
def list_models(db: DB) -> JSONResponse:
    return JSONResponse({"object": "list", "data": records.model_rows(db)})


@router.get("/health", response_model=Health, tags=["health"], summary="Liveness check (no api key needed)")
def health() -> Health:
    return Health()
