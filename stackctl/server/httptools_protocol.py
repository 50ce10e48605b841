"""uvicorn's httptools protocol with the header read timeout and OpenAI-shaped errors of
`stackctl.server.protocols`, in a module of its own: importing it needs httptools (uvicorn's `[standard]`
extra), which the h11 class does not."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from stackctl.server.protocols import Hardening, openai_service_unavailable


class TimedHttpToolsProtocol(Hardening, HttpToolsProtocol):
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if app is service_unavailable:
            app = openai_service_unavailable
        super()._start_asgi_task(cycle, app)
