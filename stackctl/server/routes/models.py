"""`/v1/models` (the registered models of every stack, in OpenAI's list shape) and `/v1/models/{id}` (one of
them; an id may hold slashes, `openai/gpt-4.1`). `/v1/health` is in `health`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from stackctl.errors import NotFoundError
from stackctl.registry import records
from stackctl.server.deps import DB
from stackctl.server.schemas import ERRORS, ModelList, ModelObject

router = APIRouter(prefix="/v1", responses={401: ERRORS[401]})


@router.get("/models", response_model=ModelList, tags=["models"], summary="List registered models")
def list_models(db: DB) -> JSONResponse:
    return JSONResponse({"object": "list", "data": records.model_rows(db)})


@router.get(
    "/models/{model_id:path}",
    response_model=ModelObject,
    tags=["models"],
    summary="Retrieve a registered model",
    responses={404: ERRORS[404]},
)
def retrieve_model(db: DB, model_id: str) -> JSONResponse:
    for row in records.model_rows(db):
        if row["id"] == model_id:
            return JSONResponse(row)
    raise NotFoundError(f"model not found: {model_id}", code="model_not_found", param="model")
