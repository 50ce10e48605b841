"""stackctl.config."""
