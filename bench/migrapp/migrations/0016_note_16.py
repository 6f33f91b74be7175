from django.db import migrations

from bench.migrapp.migrations._note import create_note


class Migration(migrations.Migration):
    dependencies = [("bench_migrapp", "0015_note_15")]
    operations = [create_note("BenchNote16")]
