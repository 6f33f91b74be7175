"""The board's capture triggers: after each statement that writes a table the board's metrics
read, ``public.board_capture()`` records how the statement changed the society's figures in
``public.board_pendingchange`` (see board/capture.py), in the writer's own transaction.

One function serves every society schema: it reads the SQL for the table and operation from
``public.board_capture`` (kept up to date from board.metrics) and finds the society through
TG_TABLE_SCHEMA.  The triggers are per table and are copied when tenants/schemas.py clones the
template (pg_get_triggerdef).  Computing the change is the only part that may fail (a column the
metric reads is not there yet while the schemas migrate); then the society's metrics are marked
to be recomputed whole instead, and the write itself goes on.  That part only reads, so its
exception block takes no transaction id.

The society's watermarks are cleared: changes written before the triggers existed were not
captured, so its next fill recomputes every metric from its rows.
"""

from django.db import migrations

TABLES = (
    "common_auditentry",
    "common_roleassignment",
    "dues_invoice",
    "dues_payment",
    "dues_refund",
    "meetings_meeting",
    "meetings_registration",
    "members_member",
    "members_membershipcategory",
    "members_memberterm",
    "members_statuschange",
    "reviews_assignment",
    "reviews_decision",
    "reviews_review",
    "reviews_submission",
)

FUNCTION = """
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


def triggers(table: str) -> str:
    return f"""
CREATE TRIGGER board_capture_insert AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS board_new FOR EACH STATEMENT EXECUTE FUNCTION public.board_capture();
CREATE TRIGGER board_capture_update AFTER UPDATE ON {table}
  REFERENCING OLD TABLE AS board_old NEW TABLE AS board_new FOR EACH STATEMENT EXECUTE FUNCTION public.board_capture();
CREATE TRIGGER board_capture_delete AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS board_old FOR EACH STATEMENT EXECUTE FUNCTION public.board_capture();
"""


FORWARD = (
    FUNCTION
    + "".join(triggers(table) for table in TABLES)
    + """
UPDATE public.board_fillwatermark SET watermark = NULL
WHERE society_id IN (SELECT id FROM public.tenants_society WHERE schema_name = current_schema());
"""
)

# The function stays: other schemas' triggers still use it.
BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS board_capture_{operation} ON {table};\n"
    for table in TABLES
    for operation in ("insert", "update", "delete")
)


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_initial"),
        ("board", "0003_pending_changes"),
        ("dues", "0003_auto_renewal"),
        ("meetings", "0003_discountcode_active_question_active"),
        ("members", "0003_board_indexes"),
        ("reviews", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
