"""The test session's settings: the project's, after starting the embedded servers it needs.

``config.settings`` starts nothing. The test session is one of the two places that do (``make
run`` is the other): for each of ``DATABASE_URL`` / ``REDIS_URL`` that is unset, the embedded
server starts (or is reused) under ``PAYOUTS_LOCAL_DIR`` and its URL is exported, so the worker
processes the tests start share it. ``tests/conftest.py`` stops what this started when the session
ends.

The database has its two roles (``config.db_roles``, made by ``ensure_servers`` from the URL
given): ``tests/conftest.py`` creates and migrates the test database as the owner (alias
``owner``), and every test, and every worker the tests start, connects as the application role
(alias ``default``), exactly as the application does.

The session is a development machine (``DEVELOPMENT=true``), with a ``SECRET_KEY`` and a field
encryption key generated for it and exported likewise, so that its workers sign and decrypt as
it does. Values already in the environment are kept.
"""

from __future__ import annotations

import os
import secrets

from cryptography.fernet import Fernet

from config import embedded

os.environ.setdefault("DEVELOPMENT", "true")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
servers = embedded.ensure_servers()

from config.settings import *  # noqa: E402, F403

# The tests' webhook receivers listen on 127.0.0.1 (tests/workers.py passes this on to workers).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  # whitenoise expects it
assert MIGRATION_DATABASE_ALIAS == "owner", "the test session needs both database roles"  # noqa: F405
# The application role's backend, but for the flush between transactional tests, which the owner
# runs (the application role may not TRUNCATE).
DATABASES["default"]["ENGINE"] = "tests.app_role_backend"  # noqa: F405
