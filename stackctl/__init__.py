"""stackctl: a command-line toolkit for llama-stack-style stacks."""

__version__ = "0.1.0"
