"""The deliveries in flight (pending and leased), which every claim counts per endpoint and per
platform: few rows, found by a partial index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_fan_out_after_commit"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("locked_until__isnull", False), ("status", "pending")),
                fields=["endpoint"],
                name="webhooks_delivery_leased",
            ),
        ),
    ]
