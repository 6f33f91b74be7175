"""Issuing, numbering, immutability at every layer, credit notes and cancellation."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from dues.errors import DuesError
from dues.models import ImmutableInvoice, Invoice, InvoiceLine
from dues.selectors import invoices_for_user
from dues.services import cancel_invoice, create_credit_note, create_invoice
from tests.dues.fixtures import YEAR

pytestmark = pytest.mark.django_db


def test_create_invoice_numbers_and_snapshots(society_a, society_b, make_user, in_schema, issue):
    member = make_user("wang@example.cn", "王芳")
    first = issue(society_a, member)
    second = issue(society_a, member, "300.00")
    with in_schema(society_a):
        first = Invoice.objects.get(pk=first.pk)
        assert (first.number, second.number) == (f"ALPHA-{YEAR}-000001", f"ALPHA-{YEAR}-000002")
        assert (first.total, first.total_tax, first.currency, first.status) == (
            Decimal("500.00"),
            Decimal("0.00"),
            "CNY",
            "issued",
        )
        assert first.amount_due == Decimal("500.00")
        assert first.issuer["name"] == "测试化学会"
        assert [line.gross for line in first.lines.all()] == [Decimal("500.00")]
        assert list(invoices_for_user(member).values_list("number", flat=True)) == [second.number, first.number]
    with in_schema(society_b):
        assert Invoice.objects.count() == 0
        assert list(invoices_for_user(member)) == []
    assert issue(society_b, member).number == f"BETA-{YEAR}-000001"


def test_create_invoice_rejects_bad_input_and_writes_nothing(society_a, make_user, in_schema):
    member = make_user("li@example.cn")
    base = {"buyer_user": member, "purpose": "membership.dues", "subject_id": "1", "actor": member}
    line = {"description": "会费", "quantity": 1, "unit_price": Decimal("10"), "tax_rate": Decimal("0")}
    with in_schema(society_a):
        with pytest.raises(DuesError, match="购买方名称"):
            create_invoice(buyer={"name": ""}, lines=[line], **base)
        with pytest.raises(DuesError, match="纳税人识别号"):
            create_invoice(buyer={"name": "某公司", "kind": "special"}, lines=[line], **base)
        with pytest.raises(DuesError, match="至少需要一个项目"):
            create_invoice(buyer={"name": "李"}, lines=[], **base)
        with pytest.raises(DuesError, match="三位字母代码"):
            create_invoice(buyer={"name": "李"}, lines=[line], currency="RMB!", **base)
        assert Invoice.objects.count() == 0
        # Typed with a Chinese input method: full-width letters are the same code.
        usd = create_invoice(buyer={"name": "Li"}, lines=[dict(line, tax_rate=Decimal("6"))], currency="ｕｓｄ", **base)
        assert (usd.currency, usd.total_net, usd.total_tax, usd.total, usd.number) == (
            "USD",
            Decimal("10.00"),
            Decimal("0.60"),
            Decimal("10.60"),
            f"ALPHA-{YEAR}-000001",
        )


def test_issued_invoice_refuses_edit_and_delete_in_model(society_a, make_user, in_schema, issue):
    invoice = issue(society_a, make_user("a@example.cn"))
    with in_schema(society_a):
        invoice = Invoice.objects.get(pk=invoice.pk)
        invoice.total = Decimal("1.00")
        with pytest.raises(ImmutableInvoice):
            invoice.save()
        with pytest.raises(ImmutableInvoice):
            invoice.delete()
        assert Invoice.objects.get(pk=invoice.pk).total == Decimal("500.00")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE dues_invoice SET total = 1 WHERE id = %s",
        "UPDATE dues_invoice SET buyer = '{}'::jsonb WHERE id = %s",
        "DELETE FROM dues_invoice WHERE id = %s",
        "UPDATE dues_invoiceline SET unit_price = 1 WHERE invoice_id = %s",
        "DELETE FROM dues_invoiceline WHERE invoice_id = %s",
        "INSERT INTO dues_invoiceline (invoice_id, position, description, quantity, unit_price, tax_rate, net, tax,"
        " gross) VALUES (%s, 9, 'x', 1, 1, 0, 1, 0, 1)",
    ],
)
def test_database_trigger_refuses_changes_to_issued_invoice(society_a, make_user, in_schema, issue, statement):
    invoice = issue(society_a, make_user("a@example.cn"))
    with in_schema(society_a):
        with pytest.raises((InternalError, IntegrityError), match="issued invoice"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [invoice.pk])
        assert Invoice.objects.get(pk=invoice.pk).total == Decimal("500.00")
        assert InvoiceLine.objects.filter(invoice=invoice).count() == 1


def test_trigger_survives_template_clone(society_a, society_b):
    """Both societies were cloned from the template: each has both guards, calling public's function."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, t.tgname, p.proname, pn.nspname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace "
            "WHERE t.tgname LIKE 'dues_%%' AND n.nspname IN (%s, %s) ORDER BY 1, 2",
            [society_a.schema_name, society_b.schema_name],
        )
        rows = cursor.fetchall()
    assert rows == [
        (society_a.schema_name, "dues_invoice_guard", "dues_guard_issued_invoice", "public"),
        (society_a.schema_name, "dues_invoiceline_guard", "dues_guard_issued_invoice_line", "public"),
        (society_b.schema_name, "dues_invoice_guard", "dues_guard_issued_invoice", "public"),
        (society_b.schema_name, "dues_invoiceline_guard", "dues_guard_issued_invoice_line", "public"),
    ]


def test_draft_invoice_is_editable_in_database(society_a, in_schema):
    with in_schema(society_a):
        draft = Invoice.objects.create(purpose="membership.dues", total=Decimal("5"))
        InvoiceLine.objects.create(
            invoice=draft, position=1, description="x", quantity=1, unit_price=5, net=5, tax=0, gross=5
        )
        draft.total = Decimal("6")
        draft.save()
        assert (draft.status, draft.number) == ("draft", None)
        InvoiceLine.objects.filter(invoice=draft).delete()
        draft.delete()
        assert Invoice.objects.count() == 0


def test_credit_note_partial_then_full_remainder(society_a, society_b, make_user, in_schema, issue):
    member = make_user("a@example.cn")
    invoice = issue(society_a, member)
    with in_schema(society_a):
        partial = create_credit_note(invoice=invoice, amount=Decimal("200"), reason="优惠", actor=member)
        assert (partial.number, partial.kind, partial.refers_to_id, partial.total) == (
            f"CN-{YEAR}-000001",
            "credit_note",
            invoice.pk,
            Decimal("-200.00"),
        )
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert (invoice.amount_payable, invoice.amount_due, invoice.status) == (
            Decimal("300.00"),
            Decimal("300.00"),
            "issued",
        )
        with pytest.raises(DuesError, match="0.01 至 300.00 CNY"):
            create_credit_note(invoice=invoice, amount=Decimal("300.01"), reason="x", actor=member)
        credit = cancel_invoice(invoice=invoice, reason="会员申请撤回", actor=member)
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert (credit.number, credit.total, invoice.status, invoice.amount_due) == (
            f"CN-{YEAR}-000002",
            Decimal("-300.00"),
            "cancelled",
            Decimal("0.00"),
        )
        with pytest.raises(DuesError, match="该账单已作废"):
            cancel_invoice(invoice=invoice, reason="again", actor=member)
    with in_schema(society_b):
        assert Invoice.objects.count() == 0


def test_full_credit_note_negates_every_line(society_a, make_user, in_schema, issue):
    member = make_user("a@example.cn")
    invoice = issue(society_a, member)
    with in_schema(society_a):
        credit = create_credit_note(invoice=invoice, reason="开错", actor=member)
        assert [(line.description, line.unit_price, line.gross) for line in credit.lines.all()] == [
            ("2026 年度个人会员会费", Decimal("-500.00"), Decimal("-500.00"))
        ]
        assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"


def test_admin_and_api_refuse_to_change_issued_invoice(society_a, make_user, in_schema, issue):
    from django.contrib import admin as django_admin

    from dues.admin import InvoiceAdmin, InvoiceLineInline

    member = make_user("a@example.cn")
    invoice = issue(society_a, member)
    model_admin = InvoiceAdmin(Invoice, django_admin.AdminSite())
    inline = InvoiceLineInline(Invoice, django_admin.AdminSite())
    with in_schema(society_a):
        draft = Invoice(purpose="x")
        assert (model_admin.has_change_permission(None, invoice), model_admin.has_delete_permission(None, invoice)) == (
            False,
            False,
        )
        assert (inline.has_add_permission(None, invoice), inline.has_delete_permission(None, invoice)) == (False, False)
        assert model_admin.has_change_permission(None, draft) is True
