"""stackctl.catalogue."""
