import django.db.models.deletion
from django.db import migrations, models


MODELS = ["idempotencykey"]


def _move_content_types(apps, schema_editor, source, target):
    """Give the model's content type (and so its admin permissions) to ``target``. A database
    migrated before this app existed has it under ``payouts``; a fresh one has none yet."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=source, model=model).update(
            app_label=target
        )


def content_types_forward(apps, schema_editor):
    _move_content_types(apps, schema_editor, "payouts", "api")


def content_types_backward(apps, schema_editor):
    _move_content_types(apps, schema_editor, "api", "payouts")


class Migration(migrations.Migration):
    """IdempotencyKey moves here from ``payouts``: its table stays as it is (the model names its
    ``db_table``), so only Django's state changes, and its content type."""

    initial = True

    dependencies = [
        ('payouts', '0005_webhooks_app'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='IdempotencyKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=255)),
                        ('method', models.CharField(max_length=8)),
                        ('path', models.CharField(max_length=500)),
                        ('request_hash', models.CharField(max_length=64)),
                        ('response_status', models.PositiveSmallIntegerField()),
                        ('response_body', models.TextField(blank=True)),
                        ('response_headers', models.JSONField(blank=True, default=dict)),
                        ('created', models.DateTimeField(auto_now_add=True)),
                        ('platform', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payouts.platform')),
                    ],
                    options={
                        'db_table': 'payouts_idempotencykey',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['created'], name='payouts_idempotency_created')],
                        'constraints': [models.UniqueConstraint(fields=('platform', 'key'), name='payouts_idempotency_key_unique')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
