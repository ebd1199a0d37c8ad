import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


MODELS = ["webhookendpoint", "event", "webhookdelivery", "webhookattempt"]


def _move_content_types(apps, schema_editor, source, target):
    """Give the models' content types (and so their admin permissions) to ``target``. A database
    migrated before this app existed has them under ``payouts``; a fresh one has none yet."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=source, model=model).update(
            app_label=target
        )


def content_types_forward(apps, schema_editor):
    _move_content_types(apps, schema_editor, "payouts", "webhooks")


def content_types_backward(apps, schema_editor):
    _move_content_types(apps, schema_editor, "webhooks", "payouts")


class Migration(migrations.Migration):
    """The webhook models move here from ``payouts``: their tables stay as they are (each model
    names its ``db_table``), so only Django's state changes, and their content types."""

    initial = True

    dependencies = [
        ('payouts', '0004_webhook_endpoint_failing_since'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Event',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('type', models.CharField(max_length=64)),
                        ('object_type', models.CharField(max_length=32)),
                        ('object_id', models.BigIntegerField()),
                        ('sequence', models.PositiveIntegerField()),
                        ('data', models.JSONField(default=dict)),
                        ('created', models.DateTimeField()),
                        ('platform', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payouts.platform')),
                    ],
                    options={
                        'db_table': 'payouts_event',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('succeeded', 'Succeeded'), ('failed', 'Failed (gave up)')], default='pending', max_length=16)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField()),
                        ('locked_until', models.DateTimeField(blank=True, null=True)),
                        ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('last_error', models.CharField(blank=True, max_length=500)),
                        ('is_redelivery', models.BooleanField(default=False)),
                        ('created', models.DateTimeField(auto_now_add=True)),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='webhooks.event')),
                    ],
                    options={
                        'db_table': 'payouts_webhookdelivery',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookAttempt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField()),
                        ('at', models.DateTimeField(auto_now_add=True)),
                        ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('latency_ms', models.PositiveIntegerField()),
                        ('error', models.CharField(blank=True, max_length=500)),
                        ('response_excerpt', models.CharField(blank=True, max_length=500)),
                        ('delivery', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attempt_log', to='webhooks.webhookdelivery')),
                    ],
                    options={
                        'db_table': 'payouts_webhookattempt',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('url', models.URLField(max_length=2000)),
                        ('description', models.CharField(blank=True, max_length=500)),
                        ('event_types', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=64), blank=True, default=list, size=None)),
                        ('status', models.CharField(choices=[('enabled', 'Enabled'), ('disabled', 'Disabled')], default='enabled', max_length=16)),
                        ('secret_encrypted', models.TextField()),
                        ('previous_secret_encrypted', models.TextField(blank=True)),
                        ('previous_secret_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('consecutive_failures', models.PositiveIntegerField(default=0)),
                        ('failing_since', models.DateTimeField(blank=True, null=True)),
                        ('disabled_reason', models.CharField(blank=True, max_length=500)),
                        ('disabled_at', models.DateTimeField(blank=True, null=True)),
                        ('deleted_at', models.DateTimeField(blank=True, null=True)),
                        ('created', models.DateTimeField(auto_now_add=True)),
                        ('updated', models.DateTimeField(auto_now=True)),
                        ('platform', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payouts.platform')),
                    ],
                    options={
                        'db_table': 'payouts_webhookendpoint',
                        'ordering': ['id'],
                    },
                ),
                migrations.AddField(
                    model_name='webhookdelivery',
                    name='endpoint',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='webhooks.webhookendpoint'),
                ),
                migrations.AddIndex(
                    model_name='event',
                    index=models.Index(fields=['platform', 'id'], name='payouts_event_platform'),
                ),
                migrations.AddIndex(
                    model_name='event',
                    index=models.Index(fields=['platform', 'type', 'id'], name='payouts_event_type'),
                ),
                migrations.AddConstraint(
                    model_name='event',
                    constraint=models.UniqueConstraint(fields=('object_type', 'object_id', 'sequence'), name='payouts_event_sequence'),
                ),
                migrations.AddIndex(
                    model_name='webhookendpoint',
                    index=models.Index(fields=['platform', 'id'], name='payouts_endpoint_platform'),
                ),
                migrations.AddIndex(
                    model_name='webhookdelivery',
                    index=models.Index(condition=models.Q(('status', 'pending')), fields=['next_attempt_at', 'id'], name='payouts_delivery_due'),
                ),
                migrations.AddIndex(
                    model_name='webhookdelivery',
                    index=models.Index(fields=['event', 'id'], name='payouts_delivery_event'),
                ),
            ],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
