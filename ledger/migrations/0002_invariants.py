from pathlib import Path

from django.db import migrations

# Frozen: 0002_invariants.sql is what this migration installed and never changes. A change to a
# rule is a new migration, so fresh and migrated databases get the same definitions.
SQL = Path(__file__).with_suffix(".sql").read_text()

# Exactly what SQL created, dropped in the reverse order.
REVERSE_SQL = """
DROP TRIGGER ledger_entry_balanced ON ledger_entry;
DROP FUNCTION ledger_entry_check_balanced();
DROP TRIGGER ledger_postings_apply ON ledger_posting;
DROP FUNCTION ledger_postings_apply();
DROP TRIGGER ledger_entries_check ON ledger_entry;
DROP FUNCTION ledger_entries_check();
DROP TRIGGER ledger_book_guard ON ledger_book;
DROP FUNCTION ledger_book_guard();
DROP TRIGGER ledger_account_guard ON ledger_account;
DROP FUNCTION ledger_account_guard();
DROP TRIGGER ledger_posting_append_only ON ledger_posting;
DROP TRIGGER ledger_entry_append_only ON ledger_entry;
DROP FUNCTION ledger_refuse_change();
DROP FUNCTION ledger_normal_sign(text);
ALTER TABLE ledger_account DROP CONSTRAINT ledger_account_shard_of_parent;
ALTER TABLE ledger_account RESET (fillfactor);
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE_SQL)]
