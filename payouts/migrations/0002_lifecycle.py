from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).with_suffix(".sql")).read_text()


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial")]

    operations = [migrations.RunSQL(SQL, reverse_sql=migrations.RunSQL.noop)]
