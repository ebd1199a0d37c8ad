"""Payout methods' tokens are bound to their row (``payouts.payees.secrets``).

Every method's ``secret_encrypted`` written before binding holds its values alone; forward, each
is re-encrypted under the newest key with the context ``payouts_payoutmethod:<id>``, so that it
opens on that row only. Tokens already bound to their row are moved to the newest key as well;
a token that no configured key opens, or that is bound to another row, stops the migration and
names the method. Backward, each is unbound again. The context is written out here rather than
imported, so this migration keeps meaning what it meant.
"""

from django.db import migrations

from core import crypto

CHUNK = 1000


def _context(model, method_id):
    return f"{model._meta.db_table}:{method_id}"


def _rewrite(apps, schema_editor, change):
    model = apps.get_model("payouts", "PayoutMethod")
    objects = model.objects.using(schema_editor.connection.alias)  # the owner's, migrating
    batch = []
    for method in objects.only("pk", "secret_encrypted").order_by("pk").iterator(CHUNK):
        try:
            token = change(method.secret_encrypted, _context(model, method.pk))
        except crypto.DecryptionError as error:
            raise RuntimeError(f"payout method {method.pk}: {error}") from None
        if token is not None:
            method.secret_encrypted = token
            batch.append(method)
        if len(batch) >= CHUNK:
            objects.bulk_update(batch, ["secret_encrypted"])
            batch = []
    objects.bulk_update(batch, ["secret_encrypted"])


def bind(apps, schema_editor):
    _rewrite(
        apps,
        schema_editor,
        lambda token, context: crypto.reseal(token, context=context, accept_unbound=True),
    )


def unbind(apps, schema_editor):
    _rewrite(
        apps,
        schema_editor,
        lambda token, context: crypto.encrypt_json(crypto.decrypt_json(token, context=context)),
    )


class Migration(migrations.Migration):
    dependencies = [("payouts", "0009_outbox_dead_letter")]

    operations = [migrations.RunPython(bind, unbind, elidable=False)]
