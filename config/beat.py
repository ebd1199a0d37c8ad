"""Celery beat's schedule: what runs periodically, each interval read from the environment."""

from __future__ import annotations

from typing import Any

from environs import Env


def beat_schedule(env: Env) -> dict[str, dict[str, Any]]:
    return {
        "ledger-verify-hourly": {
            "task": "ledger.verify",
            "schedule": env.float("LEDGER_VERIFY_INTERVAL_S", 3600),
        },
        # Re-sends lost or stuck payout work and polls providers for status changes.
        "payouts-sweep": {
            "task": "payouts.sweep",
            "schedule": env.float("PAYOUTS_SWEEP_INTERVAL_S", 5),
        },
        "payouts-refresh-batches": {
            "task": "payouts.refresh_batches",
            "schedule": env.float("PAYOUTS_BATCHES_INTERVAL_S", 30),
        },
        "payouts-run-schedules": {
            "task": "payouts.run_schedules",
            "schedule": env.float("PAYOUTS_SCHEDULES_INTERVAL_S", 60),
        },
        # Sends webhook deliveries that are due (retries, and any whose message was lost).
        "webhooks-sweep": {
            "task": "webhooks.sweep",
            "schedule": env.float("WEBHOOK_SWEEP_INTERVAL_S", 5),
        },
        # Processed outbox rows are kept PAYOUTS_OUTBOX_RETENTION_DAYS.
        "payouts-purge-outbox": {
            "task": "payouts.purge_outbox",
            "schedule": env.float("PAYOUTS_OUTBOX_PURGE_INTERVAL_S", 3600),
        },
        # Idempotency keys are kept 30 days.
        "api-purge-idempotency-keys": {
            "task": "payouts.purge_idempotency_keys",
            "schedule": env.float("IDEMPOTENCY_PURGE_INTERVAL_S", 3600),
        },
    }
