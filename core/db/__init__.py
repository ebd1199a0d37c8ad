"""Helpers for hand-written SQL shared by the apps: bulk statements and lookups by id."""
