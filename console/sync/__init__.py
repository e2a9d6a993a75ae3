"""Sync engine and outbox (no Qt)."""
