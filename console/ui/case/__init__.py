"""The case panel."""
