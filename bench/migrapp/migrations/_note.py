"""The one operation of each of the app's migrations: a table like every other one's."""

from django.db import migrations, models


def create_note(name: str) -> migrations.CreateModel:
    return migrations.CreateModel(
        name=name,
        fields=[
            ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ("title", models.CharField(db_index=True, max_length=200)),
            ("body", models.TextField(blank=True)),
            ("created_at", models.DateTimeField(auto_now_add=True)),
        ],
        options={"abstract": False},
    )
