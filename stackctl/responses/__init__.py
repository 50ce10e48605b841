"""stackctl.responses."""
