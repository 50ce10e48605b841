"""The OpenAI-compatible HTTP server behind `stackctl serve` (FastAPI, imported only by that command)."""
