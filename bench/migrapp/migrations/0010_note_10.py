from django.db import migrations

from bench.migrapp.migrations._note import create_note


class Migration(migrations.Migration):
    dependencies = [("bench_migrapp", "0009_note_9")]
    operations = [create_note("BenchNote10")]
