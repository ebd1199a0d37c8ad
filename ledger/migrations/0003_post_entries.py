from pathlib import Path

from django.db import migrations

# Frozen: 0003_post_entries.sql is what this migration installed and never changes (0004 reads
# it too, to restore this definition when it is unapplied).
SQL = Path(__file__).with_suffix(".sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_invariants")]

    operations = [
        migrations.RunSQL(SQL, reverse_sql="DROP FUNCTION ledger_post_entries(jsonb, jsonb, bigint[])")
    ]
