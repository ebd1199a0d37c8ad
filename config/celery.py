"""The Celery application: Redis broker, JSON only, late acks, explicit queues."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("payouts")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "ledger", "payouts", "webhooks")]
app.autodiscover_tasks()
