"""Settings start nothing; a command that needs the missing database says what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _manage(local_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(  # noqa: S603  # fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PAYOUTS_LOCAL_DIR": str(local_dir),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_makemigrations_check_with_no_urls_starts_no_server_and_creates_nothing(
    tmp_path: Path,
) -> None:
    local_dir = tmp_path / "local"
    result = _manage(local_dir, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    # An embedded server would have made its data folder there.
    assert not local_dir.exists()
    assert list(tmp_path.iterdir()) == []


def test_migrate_with_no_database_url_says_how_to_get_one(tmp_path: Path) -> None:
    local_dir = tmp_path / "local"
    result = _manage(local_dir, "migrate", "--noinput")
    assert result.returncode != 0
    assert "DATABASE_URL is unset and no embedded PostgreSQL is running" in result.stderr
    assert "make manage ARGS='migrate'" in result.stderr
    assert not local_dir.exists()
