"""PostgreSQL's backend, refusing to connect with a message that says what to do.

Settings never start servers, so with DATABASE_URL unset and no embedded PostgreSQL running there is
nothing to connect to. Commands that need no database (``makemigrations --check``, ``check``,
``spectacular``) work; one that needs it fails with this message instead of a connection error
about a socket nobody started.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base
from django.db.utils import OperationalError

MESSAGE = (
    "DATABASE_URL is unset and no embedded PostgreSQL is running. Either set DATABASE_URL "
    "(see .env.example), or start the stack with `make run`, or run the command through the "
    "launcher, which starts the embedded servers first: `make manage ARGS='migrate'` "
    "(python -m config.stack manage migrate)."
)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        raise OperationalError(MESSAGE)
