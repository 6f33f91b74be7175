"""Changes captured between fills (PendingChange), and the two tables the capture triggers read:
``board_capture`` (per table and operation, the SQL that turns a statement's rows into changes
of the figures, written by board.capture.sync from board.metrics) and ``board_monthbounds``
(the month boundaries the metric SQL buckets timestamps into).  The triggers themselves are in
each society schema (common/migrations/0002_board_capture).

It also creates ``public.board_capture()``, the function every society's capture triggers call
(created once here: run in every schema at the same time, CREATE OR REPLACE collides with
itself).  It reads the SQL for the table and operation from ``board_capture`` and finds the
society through TG_TABLE_SCHEMA.  Computing the change is the only part that may fail (a column
the metric reads is not there yet while the schemas migrate); then the society's metrics are
marked to be recomputed whole instead, and the write itself goes on.  That part only reads, so
its exception block takes no transaction id.
"""

import django.db.models.deletion
from django.db import migrations, models

CAPTURE_FUNCTION = """
CREATE OR REPLACE FUNCTION public.board_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  capture public.board_capture%ROWTYPE;
  society integer;
  metrics text[];
  periods date[];
  dimensions text[];
  amounts numeric[];
  failed boolean := false;
BEGIN
  SELECT * INTO capture FROM public.board_capture c WHERE c.table_name = TG_TABLE_NAME AND c.operation = TG_OP;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT s.id INTO society FROM public.tenants_society s WHERE s.schema_name = TG_TABLE_SCHEMA;
  IF society IS NULL THEN
    RETURN NULL;  -- the template schema
  END IF;
  IF capture.query IS NOT NULL THEN
    BEGIN
      EXECUTE replace(capture.query, '@schema@', quote_ident(TG_TABLE_SCHEMA))
        INTO metrics, periods, dimensions, amounts;
    EXCEPTION WHEN undefined_table OR undefined_column OR undefined_function OR datatype_mismatch THEN
      failed := true;
    END;
  END IF;
  IF failed THEN
    INSERT INTO public.board_pendingchange (society_id, metric, period, dimension, value, whole)
    SELECT society, m, NULL, '', 0, true FROM unnest(capture.metrics) m;
  ELSIF metrics IS NOT NULL THEN
    INSERT INTO public.board_pendingchange (society_id, metric, period, dimension, value, whole)
    SELECT society, u.m, u.p, u.d, u.v, false FROM unnest(metrics, periods, dimensions, amounts) AS u(m, p, d, v);
  END IF;
  IF cardinality(capture.whole) > 0 THEN
    INSERT INTO public.board_pendingchange (society_id, metric, period, dimension, value, whole)
    SELECT society, m, NULL, '', 0, true FROM unnest(capture.whole) m;
  END IF;
  RETURN NULL;
END $$;
"""




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
            """
            + CAPTURE_FUNCTION,
            "DROP FUNCTION public.board_capture(); DROP TABLE public.board_capture; DROP TABLE public.board_monthbounds;",
        ),
    ]
