"""stackctl.registry."""
