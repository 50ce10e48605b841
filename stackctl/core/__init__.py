"""Core logic: pure where possible, no printing, no exiting."""
