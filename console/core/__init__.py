"""Core: domain and storage, no Qt."""
