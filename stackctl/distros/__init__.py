"""stackctl.distros."""
