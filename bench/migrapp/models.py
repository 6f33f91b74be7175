"""The benchmark's throwaway models: one table a timed run, all alike (see bench.migrate_societies)."""

from django.db import models

from bench.migrapp import NOTES


class Note(models.Model):
    title = models.CharField(max_length=200, db_index=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


BenchNote = type("BenchNote", (Note,), {"__module__": __name__})
for number in range(2, NOTES + 1):
    globals()[f"BenchNote{number}"] = type(f"BenchNote{number}", (Note,), {"__module__": __name__})
