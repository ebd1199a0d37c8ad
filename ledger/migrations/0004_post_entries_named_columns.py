from pathlib import Path

from django.db import migrations

# Frozen: 0004_post_entries_named_columns.sql is what this migration installs and never changes.
SQL = Path(__file__).with_suffix(".sql").read_text()

# Back to 0003's definition exactly: its own frozen SQL, which never changes either.
REVERSE_SQL = (
    "DROP FUNCTION ledger_post_entries(jsonb, jsonb, bigint[]);\n"
    + (Path(__file__).parent / "0003_post_entries.sql").read_text()
)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_post_entries")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE_SQL)]
