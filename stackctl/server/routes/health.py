"""`/v1/health`: liveness, and which store backend this server runs on (no api key needed). HEAD is
answered too (the same status and headers, no body), as load balancers' checks send it."""

from __future__ import annotations

from fastapi import APIRouter, Request

from stackctl.server.schemas import Health

router = APIRouter(prefix="/v1", tags=["health"])


@router.head("/health", response_model=Health, include_in_schema=False)  # one operation in the OpenAPI
@router.get("/health", response_model=Health, summary="Liveness check and store backend (no api key needed)")
async def health(request: Request) -> Health:
    # Async: answered on the event loop, whatever holds the thread pools (provider calls included).
    return Health(backend=request.app.state.backend)
