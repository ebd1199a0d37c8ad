from django.db import migrations


class Migration(migrations.Migration):
    """IdempotencyKey now belongs to the ``api`` app (its 0001 takes it over): it leaves this
    app's state only; its table stays."""

    dependencies = [
        ('payouts', '0005_webhooks_app'),
        ('api', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(
                    name='IdempotencyKey',
                ),
            ],
        ),
    ]
