"""Indexes the data board's incremental fill reads: rows written since its mark (members,
status history, terms) and the months it recomputes (joining dates, status changes, renewals)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_order_indexes"),
    ]

    operations = [
        migrations.AddIndex(model_name="member", index=models.Index(fields=["created_at"], name="member_created_at")),
        migrations.AddIndex(model_name="member", index=models.Index(fields=["joined_on"], name="member_joined_on")),
        migrations.AddIndex(model_name="statuschange", index=models.Index(fields=["at"], name="statuschange_at")),
        migrations.AddIndex(
            model_name="memberterm", index=models.Index(fields=["created_at"], name="memberterm_created_at")
        ),
    ]
