"""A bad value in the environment stops start-up with an error that names the variable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.test_fail_closed import production_values

BASE_DIR = Path(__file__).resolve().parents[2]
EXAMPLE = BASE_DIR / ".env.example"


def _import_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # fixed arguments
        [sys.executable, "-c", "import config.settings"],
        cwd=BASE_DIR,
        env={**os.environ, "PAYOUTS_LOCAL_DIR": str(tmp_path / "local"), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("WEBHOOK_CONCURRENCY", "eight", "Not a valid integer"),
        ("API_RATE_LIMIT_PER_S", "1.5", "Not a valid integer"),
        ("DEBUG", "maybe", "Not a valid boolean"),
        ("PRODUCTION", "sometimes", "Not a valid boolean"),
        ("WEBHOOK_TIMEOUT_S", "ten", "Not a valid number"),
    ],
)
def test_a_bad_value_names_its_variable(
    tmp_path: Path, name: str, value: str, complaint: str
) -> None:
    result = _import_settings(tmp_path, **{name: value})
    assert result.returncode != 0
    assert f'Environment variable "{name}" invalid: {complaint}' in result.stderr


def test_production_refuses_webhooks_to_private_networks(tmp_path: Path) -> None:
    production = {"PRODUCTION": "true", "DEVELOPMENT": "false", **production_values()}
    result = _import_settings(tmp_path, **production, WEBHOOK_ALLOW_PRIVATE_NETWORKS="true")
    assert result.returncode != 0
    assert "ImproperlyConfigured: WEBHOOK_ALLOW_PRIVATE_NETWORKS must not be set" in result.stderr
    allowed_not = _import_settings(tmp_path, **production, WEBHOOK_ALLOW_PRIVATE_NETWORKS="false")
    assert allowed_not.returncode == 0, allowed_not.stderr


def test_good_values_are_read(tmp_path: Path) -> None:
    result = subprocess.run(  # fixed arguments
        [
            sys.executable,
            "-c",
            "from config import settings as s; "
            "print(s.WEBHOOK_CONCURRENCY, s.DEBUG, s.ALLOWED_HOSTS, s.IDEMPOTENCY_WAIT_S)",
        ],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "PAYOUTS_LOCAL_DIR": str(tmp_path / "local"),
            "WEBHOOK_CONCURRENCY": "3",
            "DEBUG": "yes",
            "ALLOWED_HOSTS": "a.example, b.example,",
            "IDEMPOTENCY_WAIT_S": "2.5",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split("\n")[0] == "3 True ['a.example', 'b.example'] 2.5"


def test_env_example_lists_every_variable_the_code_reads() -> None:
    listed = set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), flags=re.MULTILINE))
    read: set[str] = set()
    patterns = [
        r'env\.\w+\("([A-Z][A-Z0-9_]+)"',
        r'os\.environ(?:\.get\(|\[)"([A-Z][A-Z0-9_]+)"',
    ]
    for top in ("config", "core", "ledger", "payouts", "rails", "compliance", "tests"):
        for path in (BASE_DIR / top).rglob("*.py"):
            text = path.read_text()
            for pattern in patterns:
                read.update(re.findall(pattern, text))
    # Set by the launcher or pytest-django for their children, or by the system, not by people.
    read -= {"DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED", "NO_COLOR", "PATH"}
    assert read - listed == set(), "read but missing from .env.example"
    assert listed - read == set(), "in .env.example but read nowhere"
