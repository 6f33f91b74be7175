"""Changes captured between fills (PendingChange), and the two tables the capture triggers read:
``board_capture`` (per table and operation, the SQL that turns a statement's rows into changes
of the figures, written by board.capture.sync from board.metrics) and ``board_monthbounds``
(the month boundaries the metric SQL buckets timestamps into).  The triggers themselves are in
each society schema (common/migrations/0002_board_capture)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('board', '0002_yearsummary'),
        ('tenants', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingChange',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('metric', models.CharField(max_length=40)),
                ('period', models.DateField(null=True)),
                ('dimension', models.CharField(blank=True, default='', max_length=80)),
                ('value', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
                ('whole', models.BooleanField(default=False)),
                ('society', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.society')),
            ],
            options={
                'indexes': [models.Index(fields=['society', 'metric'], name='board_pending_society_metric')],
            },
        ),
        migrations.RunSQL(
            """
            CREATE TABLE public.board_capture (
                table_name text NOT NULL,
                operation text NOT NULL,
                query text,
                metrics text[] NOT NULL,
                whole text[] NOT NULL,
                version text NOT NULL,
                PRIMARY KEY (table_name, operation)
            );
            CREATE TABLE public.board_monthbounds (b timestamptz[] NOT NULL);
            """,
            "DROP TABLE public.board_capture; DROP TABLE public.board_monthbounds;",
        ),
    ]
