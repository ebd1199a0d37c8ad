"""``manage.py migrate``, as the owner of the schema.

Django's own command, with ``--database`` defaulting to ``settings.MIGRATION_DATABASE_ALIAS``:
the ``owner`` connection (``MIGRATION_DATABASE_URL``) when one is configured, since the
application's role may not change the schema. Afterwards the application role's privileges are
set again for every table (``core.apps``, ``core.db.roles``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandParser
from django.core.management.commands import migrate


class Command(migrate.Command):
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(database=settings.MIGRATION_DATABASE_ALIAS)
