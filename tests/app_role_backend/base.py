"""PostgreSQL's backend, for the application role in the test session, with one difference: the
flush that empties every table between transactional tests runs as the owner.

The application role may not TRUNCATE (``core.db.roles``), and a test database has to be emptied
somehow; the owner may, as it could in production. The flush opens a connection of its own with
the owner's settings (a test's own ``owner`` connection is closed to it unless the test asks for
it). Nothing else differs: every query of the application and of the tests runs as the
application role.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections
from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def execute_sql_flush(self, sql_list: Iterable[str]) -> None:
        owner = connections["owner"]
        raw = owner.get_new_connection(owner.get_connection_params())
        try:
            with raw.transaction():
                for statement in sql_list:
                    raw.execute(statement)
        finally:
            raw.close()


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
