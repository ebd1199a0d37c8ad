from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        from core.db.roles import append_only
        from ledger.models import Entry, Posting

        # Invariant 2 (append-only) is the triggers' too; the application role may not even try.
        append_only(Entry, Posting)
