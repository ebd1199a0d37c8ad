"""``manage.py db_roles_grant [--role NAME]``: the application role's privileges, set again.

``migrate`` does this itself when it finishes; this is for a database migrated otherwise, or to
check that the roles are as they must be (it refuses an application role that is the owner, a
superuser, or owns anything).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from core.db.roles import RolesRefused, application_role, roles_grant


class Command(BaseCommand):
    help = (
        "As the owner (MIGRATION_DATABASE_URL), grant the application role (DATABASE_URL's, or "
        "--role) exactly what the services need: read and write, no TRUNCATE, no DDL, no "
        "trigger control, and only read and insert on the ledger's entries and postings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", help="the application role (default: DATABASE_URL's user)")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = settings.MIGRATION_DATABASE_ALIAS
        role = options["role"] or application_role()
        if not role:
            raise CommandError(
                "set MIGRATION_DATABASE_URL (the owner) and DATABASE_URL (the application role, "
                "another user), or give --role"
            )
        try:
            roles_grant(connections[alias], role)
        except RolesRefused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"granted {role} the application's privileges", self.style.SUCCESS)
