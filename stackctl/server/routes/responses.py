"""`/v1/responses`: the router the Responses API routes are added to (create, retrieve, delete, input_items,
streaming), as thin handlers over `stackctl.core.responses`. Mounted by `create_app` already, so adding a
route here is all it takes; errors raised by the core become OpenAI error objects like everywhere else.
"""

from __future__ import annotations

from fastapi import APIRouter

from stackctl.server.schemas import ERRORS

router = APIRouter(prefix="/v1/responses", tags=["responses"], responses=ERRORS)  # type: ignore[arg-type]
