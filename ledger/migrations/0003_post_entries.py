from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).with_suffix(".sql")).read_text()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_invariants")]

    operations = [
        migrations.RunSQL(SQL, reverse_sql="DROP FUNCTION ledger_post_entries(jsonb, jsonb, bigint[])")
    ]
