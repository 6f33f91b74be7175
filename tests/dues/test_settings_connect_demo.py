"""Invoice settings, Stripe Connect onboarding for the society admin, overdue status, demo data."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from common.models import Role
from dues.models import BankTransfer, Invoice, InvoiceSettings, Payment
from tenants.services import grant_role
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _client(society, user):
    client = client_for(society)
    client.force_login(user)
    return client


def test_settings_change_numbering_for_new_invoices_only(society_a, society_b, make_user, in_schema, issue):
    finance = make_user("fin@example.cn")
    with in_schema(society_a):
        grant_role(user=finance, role=Role.FINANCE)
    old = issue(society_a, finance)
    client = _client(society_a, finance)
    form = {
        "series_prefix": "CCS",
        "credit_prefix": "CCSC",
        "number_format": "{prefix}{year}{seq:05d}",
        "legal_name": "中国测试化学会",
        "default_due_days": "15",
    }
    bad = client.post("/dues/console/settings/", dict(form, number_format="{prefix}-{nope}"))
    assert bad.status_code == 200 and "{prefix}" in bad.content.decode()
    assert client.post("/dues/console/settings/", form).status_code == 302
    new = issue(society_a, finance)  # the series goes on under its new format: no gap, no restart
    year = timezone.localdate().year
    with in_schema(society_a):
        old = Invoice.objects.get(pk=old.pk)
        assert (new.number, new.issuer["name"], old.issuer["name"]) == (
            f"CCS{year}00002",
            "中国测试化学会",
            "测试化学会",
        )
        assert new.due_date == timezone.localdate() + datetime.timedelta(days=15)
    with in_schema(society_b):
        assert InvoiceSettings.objects.count() == 0
    assert issue(society_b, finance).number == f"BETA-{year}-000001"


def test_admin_connects_stripe_account(society_a, society_b, make_user, in_schema, fake_stripe):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(email="admin@alpha.example.cn")
    client = _client(society_a, admin)
    response = client.post("/dues/console/stripe/")
    assert response.status_code == 302 and response["Location"].startswith(f"{fake_stripe.url}/connect/onboarding/")
    with in_schema(society_a):
        account = InvoiceSettings.objects.get().stripe_account_id
    assert account.startswith("acct_")
    fake_stripe.complete_onboarding(account)
    page = client.get("/dues/console/stripe/?returned=1", follow=True).content.decode()
    assert account in page
    with in_schema(society_a):
        assert InvoiceSettings.objects.get().stripe_charges_enabled is True
    from billing.models import StripeObject

    assert StripeObject.objects.get(stripe_id=account).society_id == society_a.pk
    with in_schema(society_b):
        assert not InvoiceSettings.objects.exclude(stripe_account_id="").exists()
    member = make_user("m@example.cn")
    assert _client(society_a, member).get("/dues/console/stripe/").status_code == 403


def test_overdue_and_partly_paid_status(society_a, make_user, in_schema, issue):
    member = make_user("m@example.cn")
    late = issue(society_a, member, due_date=timezone.localdate() - datetime.timedelta(days=1))
    part = issue(society_a, member)
    with in_schema(society_a):
        Payment.objects.create(
            invoice=part, provider="bank_transfer", amount=Decimal("100"), currency="CNY", state="confirmed"
        )
        assert Invoice.objects.get(pk=late.pk).status == "overdue"
        assert (Invoice.objects.get(pk=part.pk).status, Invoice.objects.get(pk=part.pk).amount_due) == (
            "partly_paid",
            Decimal("400.00"),
        )


def test_demo_seed_is_idempotent(society_a, society_b, make_user, in_schema):
    from dues import demo

    finance = make_user("finance.demo@example.cn", "财务")
    members = [make_user("wang.demo@example.cn", "王芳"), make_user("li.demo@example.cn", "李雷")]
    with in_schema(society_a):
        grant_role(user=finance, role=Role.FINANCE)
        out = io.StringIO()
        demo.seed(society=society_a, people={"finance": finance, "members": members}, stdout=out)
        demo.seed(society=society_a, people={"finance": finance, "members": members}, stdout=out)
        statuses = sorted(i.status for i in Invoice.objects.all())
        assert statuses == ["issued", "issued", "paid"]
        assert sorted(BankTransfer.objects.values_list("payment__state", flat=True)) == ["confirmed", "pending"]
        assert InvoiceSettings.objects.get().logo_id is not None
    with in_schema(society_b):
        assert Invoice.objects.count() == 0


def test_demo_societies_are_connected_to_the_fake_stripe_and_offer_card_and_wallets(
    society_a, society_b, make_user, in_schema, fake_stripe, settings
):
    """``make run`` calls connect_fake_stripe after seeding: card, Alipay and WeChat Pay are offered."""
    from django.core.management import call_command

    from dues.models import Payment
    from dues.services import create_invoice

    member = make_user("wang.demo@example.cn", "王芳")
    with in_schema(society_a):
        invoice = create_invoice(
            buyer_user=member,
            buyer={"name": "王芳", "email": member.email},
            lines=[{"description": "会费", "quantity": 1, "unit_price": Decimal("200"), "tax_rate": Decimal("0")}],
            currency="CNY",
            purpose="membership.demo",
            subject_id="1",
            actor=None,
        )
    pay_page = f"/dues/invoices/{invoice.pk}/pay/"
    assert 'value="stripe"' not in _client(society_a, member).get(pay_page).content.decode()
    out = io.StringIO()
    call_command("connect_fake_stripe", stdout=out)
    call_command("connect_fake_stripe", stdout=out)  # again: nothing new
    accounts = []
    for society in (society_a, society_b):
        with in_schema(society):
            row = InvoiceSettings.objects.get()
            assert (row.stripe_account_id.startswith("acct_"), row.stripe_charges_enabled) == (True, True)
            assert fake_stripe.get_object(row.stripe_account_id)["charges_enabled"] is True
            accounts.append(row.stripe_account_id)
    assert out.getvalue().count("connected to the fake Stripe") == 2 and accounts[0] != accounts[1]
    response = _client(society_a, member).post(pay_page, {"method": Payment.Provider.STRIPE})
    assert response.status_code == 302 and response["Location"].startswith(f"{fake_stripe.url}/checkout/")
    session = fake_stripe.get_object(response["Location"].rsplit("/", 1)[1])
    assert session["payment_method_types"] == ["card", "alipay", "wechat_pay"]


def test_connect_fake_stripe_leaves_real_stripe_alone(society_a, in_schema, settings):
    from django.core.management import call_command

    settings.STRIPE_FAKE = False
    settings.STRIPE_API_BASE = ""
    out = io.StringIO()
    call_command("connect_fake_stripe", stdout=out)
    assert "nothing done" in out.getvalue()
    with in_schema(society_a):
        assert not InvoiceSettings.objects.exclude(stripe_account_id="").exists()


def test_settings_change_records_fields_before_and_after(society_a, society_b, make_user, in_schema):
    from common.models import AuditEntry
    from dues.selectors import invoice_settings
    from dues.services.settings import update_invoice_settings

    finance = make_user("fin@example.cn")
    with in_schema(society_a):
        settings = invoice_settings()
        update_invoice_settings(settings=settings, values={"series_prefix": "CCS", "phone": "010-1"}, actor=finance)
        entry = AuditEntry.objects.get(action="dues.update_invoice_settings")
        changed = {name for name in entry.after if entry.after[name] != entry.before[name]}
        assert (entry.actor_id, entry.object_id, changed) == (finance.pk, str(settings.pk), {"series_prefix", "phone"})
        assert (entry.before["series_prefix"], entry.after["series_prefix"], entry.after["phone"]) == (
            "ALPHA",
            "CCS",
            "010-1",
        )
        assert len(entry.after) == 15
    with in_schema(society_b):
        assert not AuditEntry.objects.filter(action="dues.update_invoice_settings").exists()


def test_only_the_administrator_is_offered_the_stripe_connection(society_a, make_user, in_schema):
    from django.contrib.auth import get_user_model

    finance = make_user("fin@example.cn")
    with in_schema(society_a):
        grant_role(user=finance, role=Role.FINANCE)
    admin = get_user_model().objects.get(email="admin@alpha.example.cn")
    link = 'href="/dues/console/stripe/"'
    finance_page = _client(society_a, finance).get("/dues/console/").content.decode()
    assert (link in finance_page, "在线支付（Stripe）" in finance_page, "未连接" in finance_page) == (False, True, True)
    assert link in _client(society_a, admin).get("/dues/console/").content.decode()
    assert _client(society_a, finance).get("/dues/console/stripe/").status_code == 403
