"""Helpers for hand-written SQL shared by the apps: table names (names), model instances read
with hand-written SQL (rows), bulk statements (bulk) and lookups by id (lookup)."""
