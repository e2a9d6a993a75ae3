"""The inbox list."""
