"""Routers of the HTTP API, one module per resource: conversations, models, health, responses."""
