"""Pydantic models: run config, resources, OpenAI wire shapes."""
