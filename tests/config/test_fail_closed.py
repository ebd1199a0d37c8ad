"""Configuration fails closed: outside an explicit development mode every secret and the allowed
hosts must be given, a known-insecure key is refused, and the HTTPS settings are on.

Each test imports the settings in a fresh interpreter with an environment built from nothing but
what it names (plus the interpreter's own PATH), so the test session's DEVELOPMENT does not leak
in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]
REQUIRED = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "SANDBOX_API_KEY",
    "SANDBOX_WEBHOOK_SECRET",
    "ALLOWED_HOSTS",
)
PRINT = (
    "import json; from config import settings as s; "
    "print(json.dumps({name: getattr(s, name) for name in %r}))"
)


def production_values() -> dict[str, str]:
    """Complete, strong production-like values (fresh each call)."""
    return {
        "SECRET_KEY": Fernet.generate_key().decode() + Fernet.generate_key().decode(),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SANDBOX_API_KEY": "sk_" + Fernet.generate_key().decode()[:32],
        "SANDBOX_WEBHOOK_SECRET": "whsec_" + Fernet.generate_key().decode()[:32],
        "ALLOWED_HOSTS": "payouts.example.com",
    }


def _python(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our interpreter, fixed code
        [sys.executable, "-c", code],
        cwd=tmp_path,  # no .env file here; the project is on PYTHONPATH
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(BASE_DIR),
            "DEVELOPMENT": "false",  # explicit: a .env file beside manage.py must not set it
            "PAYOUTS_LOCAL_DIR": str(tmp_path / "local"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _settings(tmp_path: Path, names: list[str], **env: str) -> dict[str, object]:
    result = _python(tmp_path, PRINT % (names,), **env)
    assert result.returncode == 0, result.stderr
    values: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return values


def test_without_development_mode_every_missing_setting_is_named(tmp_path: Path) -> None:
    result = _python(tmp_path, "import config.settings")
    assert result.returncode != 0
    assert "DEVELOPMENT" in result.stderr
    for name in REQUIRED:
        assert name in result.stderr, f"{name} not named in:\n{result.stderr}"


@pytest.mark.parametrize("missing", REQUIRED)
def test_each_required_setting_alone_is_refused_when_missing(tmp_path: Path, missing: str) -> None:
    values = production_values()
    del values[missing]
    result = _python(tmp_path, "import config.settings", **values)
    assert result.returncode != 0
    assert missing in result.stderr
    others = set(REQUIRED) - {missing}
    assert not any(f"{name} must be set" in result.stderr for name in others), result.stderr


@pytest.mark.parametrize(
    ("development", "key"),
    [
        ("false", "insecure-local-development-key-only"),
        ("true", "insecure-local-development-key-only"),
        ("false", "django-insecure-" + "x1y2z3" * 10),
        ("true", "django-insecure-" + "x1y2z3" * 10),
        ("false", "short-key"),
        ("false", "a" * 60),
    ],
)
def test_an_insecure_secret_key_is_refused_when_debug_is_off(
    tmp_path: Path, development: str, key: str
) -> None:
    values = {**production_values(), "SECRET_KEY": key, "DEVELOPMENT": development}
    result = _python(tmp_path, "import config.settings", **values)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_mode_never_falls_back_to_a_fixed_key(tmp_path: Path) -> None:
    first = _settings(tmp_path, ["SECRET_KEY"], DEVELOPMENT="true")
    second = _settings(tmp_path, ["SECRET_KEY"], DEVELOPMENT="true")
    assert first["SECRET_KEY"] != second["SECRET_KEY"]
    assert len(str(first["SECRET_KEY"])) >= 50


def test_a_wildcard_host_is_refused_outside_development(tmp_path: Path) -> None:
    values = {**production_values(), "ALLOWED_HOSTS": "payouts.example.com,*"}
    result = _python(tmp_path, "import config.settings", **values)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_debug_and_production_need_development_mode_and_exclude_it(tmp_path: Path) -> None:
    debug = _python(tmp_path, "import config.settings", **{**production_values(), "DEBUG": "true"})
    assert debug.returncode != 0
    assert "DEBUG" in debug.stderr
    both = _python(tmp_path, "import config.settings", DEVELOPMENT="true", PRODUCTION="true")
    assert both.returncode != 0
    assert "PRODUCTION" in both.stderr


def test_production_turns_on_secure_cookies_https_and_hsts(tmp_path: Path) -> None:
    names = [
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "ALLOWED_HOSTS",
    ]
    values = _settings(tmp_path, names, **production_values())
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "ALLOWED_HOSTS": ["payouts.example.com"],
    }


def test_check_deploy_with_production_values_reports_nothing(tmp_path: Path) -> None:
    result = _python(
        tmp_path,
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **production_values(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_make_target_runs_check_deploy_with_generated_values(tmp_path: Path) -> None:
    # What `make deploy-check` (part of `make test`) runs; it must pass on its own, from an
    # environment without any of the values.
    result = _python(
        tmp_path, "import sys; from config import deploy_check; sys.exit(deploy_check.main())"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_make_runs_development_secrets_are_made_once_and_read_by_every_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config import embedded

    monkeypatch.setenv("PAYOUTS_LOCAL_DIR", str(tmp_path / "local"))
    path = embedded.development_secrets_ensure()
    text = path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
    assert embedded.development_secrets_ensure().read_text() == text  # kept, not remade
    names = ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"]
    first = _settings(tmp_path, names, DEVELOPMENT="true")
    assert first == _settings(tmp_path, names, DEVELOPMENT="true")
    assert f"SECRET_KEY={first['SECRET_KEY']}\n" in text
    # Outside DEVELOPMENT the file is never read.
    result = _python(tmp_path, "import config.settings")
    assert "SECRET_KEY must be set" in result.stderr
