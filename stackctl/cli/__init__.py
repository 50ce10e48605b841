"""Thin typer commands: parse options, call one core function, hand the result to the output module."""
