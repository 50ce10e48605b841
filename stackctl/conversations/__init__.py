"""stackctl.conversations."""
