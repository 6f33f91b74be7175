from django.db import migrations

from bench.migrapp.migrations._note import create_note


class Migration(migrations.Migration):
    dependencies = [("bench_migrapp", "0006_note_6")]
    operations = [create_note("BenchNote7")]
