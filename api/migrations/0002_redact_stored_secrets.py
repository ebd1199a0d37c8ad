"""Redact the webhook signing secrets that idempotency keys stored before responses were kept
without their secret fields (api.idempotency): the same shape a key stored since has, a body
with ``"secret": null`` and the header ``Idempotent-Redacted: secret``. The secrets cannot come
back, so there is nothing to undo."""

import json
import re

from django.db import migrations

# The two operations whose response shows a secret once, as their paths were when this ran.
SECRET_PATH = re.compile(r"/v1/webhook-endpoints(/[0-9]+/rotate-secret)?")


def redact(apps, schema_editor):
    IdempotencyKey = apps.get_model("api", "IdempotencyKey")
    db = schema_editor.connection.alias
    rows = IdempotencyKey.objects.using(db).filter(
        method="POST", path__startswith="/v1/webhook-endpoints", response_body__contains='"secret"'
    )
    for row in rows.iterator():
        if not SECRET_PATH.fullmatch(row.path):
            continue
        try:
            body = json.loads(row.response_body)
        except ValueError:
            continue
        if not isinstance(body, dict) or body.get("secret") is None:
            continue
        body["secret"] = None
        row.response_body = json.dumps(body, separators=(",", ":"))
        row.response_headers = {**row.response_headers, "Idempotent-Redacted": "secret"}
        row.save(update_fields=["response_body", "response_headers"])


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop, elidable=True)]
