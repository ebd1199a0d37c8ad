"""Platforms, their API keys, fee rules and settings, and the amounts a fee rule gives."""
