"""stackctl.store.sqlite."""
