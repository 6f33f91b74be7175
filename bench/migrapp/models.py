from django.db import models


class BenchNote(models.Model):
    title = models.CharField(max_length=200, db_index=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
