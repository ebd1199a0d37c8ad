"""Deliveries are created after the event's transaction commits: the event is the outbox record
of its fan-out (``fanned_out_at``). Every event stored before this migration had its deliveries
written with it, so it counts as fanned out at its creation. An event has one first delivery per
endpoint (redeliveries aside), and a platform's recent redeliveries are found by an index."""

from django.db import migrations, models
from django.db.models import F


def events_fanned_out(apps, schema_editor):
    Event = apps.get_model("webhooks", "Event")
    Event.objects.using(schema_editor.connection.alias).filter(fanned_out_at=None).update(
        fanned_out_at=F("created")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0007_money_fields"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="fanned_out_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(events_fanned_out, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("fanned_out_at__isnull", True)),
                fields=["id"],
                name="webhooks_event_to_fan_out",
            ),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("is_redelivery", True)),
                fields=["endpoint", "created"],
                name="webhooks_delivery_redelivered",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_redelivery", False)),
                fields=("event", "endpoint"),
                name="webhooks_delivery_once",
            ),
        ),
    ]
