"""``make deploy-check`` (part of ``make test``): Django's deployment checks on production settings.

Runs ``manage.py check --deploy --fail-level WARNING`` in a child whose environment has what a
production deployment must set (config.fail_closed), generated afresh and thrown away, and
DEVELOPMENT, DEBUG and PRODUCTION cleared: so any warning the settings would give a real
deployment fails the build. Connects to nothing.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent


def production_environment() -> dict[str, str]:
    """This process's environment as a production deployment would have it (fresh secrets)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "PRODUCTION", "DJANGO_SETTINGS_MODULE"}
    }
    return {
        **env,
        # Explicit, so that a .env file's DEVELOPMENT=true cannot turn development mode on.
        "DEVELOPMENT": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": ",".join(Fernet.generate_key().decode() for _ in range(2)),
        "SANDBOX_API_KEY": "sk_" + secrets.token_urlsafe(24),
        "SANDBOX_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
        "ALLOWED_HOSTS": "payouts.example.com",
    }


def main() -> int:
    command = [
        sys.executable,
        str(BASE_DIR / "manage.py"),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    ]
    sys.stdout.write("deploy-check: manage.py check --deploy with generated production values\n")
    sys.stdout.flush()
    return subprocess.run(  # noqa: S603  # our interpreter and manage.py, fixed arguments
        command, cwd=BASE_DIR, env=production_environment(), check=False
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
