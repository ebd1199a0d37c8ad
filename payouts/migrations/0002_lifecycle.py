from pathlib import Path

from django.db import migrations

# Frozen: 0002_lifecycle.sql is what this migration installed and never changes. A change to the
# lifecycle is a new migration, so fresh and migrated databases get the same trigger.
SQL = Path(__file__).with_suffix(".sql").read_text()

# Exactly what SQL created.
REVERSE_SQL = """
DROP TRIGGER payouts_transition_append_only ON payouts_payouttransition;
DROP FUNCTION payouts_append_only();
DROP TRIGGER payouts_payout_transition_guard ON payouts_payout;
DROP FUNCTION payouts_payout_transition_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE_SQL)]
