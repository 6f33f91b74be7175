"""The board's capture triggers: after each statement that writes a table the board's metrics
read, ``public.board_capture()`` records how the statement changed the society's figures in
``public.board_pendingchange`` (see board/capture.py), in the writer's own transaction.

One function, ``public.board_capture()`` (board/migrations/0003_pending_changes, created once in
the platform schema), serves every society schema.  The triggers are per table and are copied
when tenants/schemas.py clones the template (pg_get_triggerdef).

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
    "".join(triggers(table) for table in TABLES)
    + """
UPDATE public.board_fillwatermark SET watermark = NULL
WHERE society_id IN (SELECT id FROM public.tenants_society WHERE schema_name = current_schema());
"""
)

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
