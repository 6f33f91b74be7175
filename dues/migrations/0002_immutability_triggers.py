"""The database's own guard for issued invoices: no UPDATE of the snapshot, no DELETE, no line
changes once numbered.  The functions live in ``public`` and find the invoice table through
TG_TABLE_SCHEMA, so one function serves every society schema; the triggers are per table and are
copied when tenants/schemas.py clones the template (pg_get_triggerdef)."""

from django.db import migrations

SNAPSHOT = (
    "kind, series, number, sequence, number_year, refers_to_id, buyer_user_id, buyer, issuer, currency, "
    "total_net, total_tax, total, purpose, subject_id, note, issued_at, due_date, created_at"
)
OLD = ", ".join(f"OLD.{c.strip()}" for c in SNAPSHOT.split(","))
NEW = ", ".join(f"NEW.{c.strip()}" for c in SNAPSHOT.split(","))

FORWARD = f"""
CREATE OR REPLACE FUNCTION public.dues_guard_issued_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.number IS NOT NULL THEN
      RAISE EXCEPTION 'dues: issued invoice % cannot be deleted', OLD.number USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.number IS NULL THEN
    RETURN NEW;
  END IF;
  IF ({NEW}) IS DISTINCT FROM ({OLD}) THEN
    RAISE EXCEPTION 'dues: issued invoice % cannot be edited', OLD.number USING ERRCODE = 'restrict_violation';
  END IF;
  IF (OLD.pdf_file_id IS NOT NULL AND NEW.pdf_file_id IS DISTINCT FROM OLD.pdf_file_id)
     OR (OLD.pdf_sha256 <> '' AND NEW.pdf_sha256 IS DISTINCT FROM OLD.pdf_sha256)
     OR (OLD.receipt_file_id IS NOT NULL AND NEW.receipt_file_id IS DISTINCT FROM OLD.receipt_file_id)
     OR (OLD.receipt_sha256 <> '' AND NEW.receipt_sha256 IS DISTINCT FROM OLD.receipt_sha256) THEN
    RAISE EXCEPTION 'dues: the stored document of invoice % cannot be replaced', OLD.number
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION public.dues_guard_issued_invoice_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  issued text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    EXECUTE format('SELECT number FROM %I.dues_invoice WHERE id = $1', TG_TABLE_SCHEMA) INTO issued USING OLD.invoice_id;
    IF issued IS NOT NULL THEN
      RAISE EXCEPTION 'dues: lines of issued invoice % cannot change', issued USING ERRCODE = 'restrict_violation';
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    EXECUTE format('SELECT number FROM %I.dues_invoice WHERE id = $1', TG_TABLE_SCHEMA) INTO issued USING NEW.invoice_id;
    IF issued IS NOT NULL THEN
      RAISE EXCEPTION 'dues: lines of issued invoice % cannot change', issued USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER dues_invoice_guard BEFORE UPDATE OR DELETE ON dues_invoice
  FOR EACH ROW EXECUTE FUNCTION public.dues_guard_issued_invoice();
CREATE TRIGGER dues_invoiceline_guard BEFORE INSERT OR UPDATE OR DELETE ON dues_invoiceline
  FOR EACH ROW EXECUTE FUNCTION public.dues_guard_issued_invoice_line();
"""

# The functions stay: other schemas' triggers still use them.
BACKWARD = """
DROP TRIGGER IF EXISTS dues_invoice_guard ON dues_invoice;
DROP TRIGGER IF EXISTS dues_invoiceline_guard ON dues_invoiceline;
"""


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
