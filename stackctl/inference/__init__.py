"""stackctl.inference."""
