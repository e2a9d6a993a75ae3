"""Connectors to the platforms\x27 HTTP APIs (no Qt)."""
