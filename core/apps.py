from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        post_migrate.connect(_grant_after_migrate, dispatch_uid="core.db.roles.grant")


def _grant_after_migrate(sender: AppConfig, using: str, **_kwargs: Any) -> None:
    """After ``migrate`` as the owner, the application role's privileges (core.db.roles) cover
    every table there is now. post_migrate comes once per app with models, after all migrations:
    this acts on the last app's, when every other app's handlers have run. Nothing to do when
    migrating as the application role itself, or when only one role is configured."""
    from django.conf import settings
    from django.db import connections

    from core.db.roles import application_role, roles_grant

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    app_role = application_role()
    if sender is last and app_role is not None and using == settings.MIGRATION_DATABASE_ALIAS:
        roles_grant(connections[using], app_role)
