from django.db import migrations


class Migration(migrations.Migration):
    """The webhook models now belong to the ``webhooks`` app (its 0001 takes them over): they
    leave this app's state only; their tables stay."""

    dependencies = [
        ('payouts', '0004_webhook_endpoint_failing_since'),
        ('webhooks', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='webhookdelivery',
                    name='event',
                ),
                migrations.RemoveField(
                    model_name='webhookattempt',
                    name='delivery',
                ),
                migrations.RemoveField(
                    model_name='webhookdelivery',
                    name='endpoint',
                ),
                migrations.RemoveField(
                    model_name='webhookendpoint',
                    name='platform',
                ),
                migrations.DeleteModel(
                    name='Event',
                ),
                migrations.DeleteModel(
                    name='WebhookAttempt',
                ),
                migrations.DeleteModel(
                    name='WebhookDelivery',
                ),
                migrations.DeleteModel(
                    name='WebhookEndpoint',
                ),
            ],
        ),
    ]
