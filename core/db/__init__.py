"""Helpers for hand-written SQL shared by the apps: table names (names), model instances read
with hand-written SQL (rows), bulk statements (bulk), lookups by id (lookup) and ids taken before
an insert (ids)."""
